"""Widgets that more than one screen uses, or that carry their own logic."""

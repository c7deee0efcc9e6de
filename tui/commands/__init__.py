"""Subcommands of `mailroom`, one module per group, imported on demand.

Opening the terminal app is the common case, and importing every command
module (with SQLModel, DNS and SMTP behind them) would add about 0.6 s before
its first frame, so a subcommand's module is imported only when it is named.
"""

import importlib

import click

# Subcommand name -> "module:attribute" of its click command.
COMMAND_PATHS = {
    "demo": "tui.commands.demo:demo",
    "tenants": "tui.commands.tenants:tenants",
    "templates": "tui.commands.templates:templates",
    "reply-to": "tui.commands.reply_to:reply_to",
    "audit": "tui.commands.audit:audit",
    "sender": "tui.commands.sender:sender",
    "send": "tui.commands.delivery:send",
    "outbox": "tui.commands.delivery:outbox",
}


def load_command(name: str) -> click.Command | None:
    """Import and return the subcommand called `name`, or None."""
    path = COMMAND_PATHS.get(name)
    if path is None:
        return None
    module_name, attribute = path.split(":")
    command: click.Command = getattr(importlib.import_module(module_name), attribute)
    return command

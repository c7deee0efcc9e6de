"""Subcommands of `mailroom`, one module per group."""

import click


def register_commands(group: click.Group) -> None:
    """Add every subcommand to the `mailroom` group."""
    from tui.commands import audit, demo, reply_to, templates, tenants

    for module in (demo, tenants, templates, reply_to, audit):
        for command in module.COMMANDS:
            group.add_command(command)

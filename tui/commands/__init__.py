"""Subcommands of `mailroom`, one module per group."""

import click


def register_commands(group: click.Group) -> None:
    """Add every subcommand to the `mailroom` group."""
    from tui.commands import (
        audit,
        delivery,
        demo,
        reply_to,
        sender,
        templates,
        tenants,
    )

    for module in (demo, tenants, templates, reply_to, audit, delivery, sender):
        for command in module.COMMANDS:
            group.add_command(command)

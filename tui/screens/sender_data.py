"""Reads for the sender screen: the sender view, its history, who may change it.

Each function opens its own short sessions through the store and is meant
to run in a worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from store.db import Database
    from store.sender.views import HistoryEntry, SenderView
    from store.settings import Settings

# Entries of the sender's history that the screen lists, newest first.
HISTORY_LIMIT = 100


@dataclass(frozen=True)
class SenderPage:
    """Everything the sender screen shows, read at one time."""

    view: SenderView
    history: list[HistoryEntry]
    primary_user: str
    # Whether the acting user is the tenant's primary user, who alone may
    # request or cancel a custom address.
    is_primary: bool
    # Whether the sender's state allows a new request (default or failed).
    can_request: bool


def read_sender_page(
    db: Database, settings: Settings, slug: str, actor: str
) -> SenderPage:
    """Read the tenant's sender, its history and its primary user."""
    from store.sender.service import (
        REQUESTABLE_STATES,
        is_primary_user,
        sender_history,
        show_sender,
    )
    from store.tenants import get_tenant

    view = show_sender(db, settings, slug)
    history = sender_history(db, slug, HISTORY_LIMIT)
    with db.read() as session:
        tenant = get_tenant(session, slug)
    return SenderPage(
        view=view,
        history=history,
        primary_user=tenant.primary_user,
        is_primary=is_primary_user(tenant, actor),
        can_request=view.state in REQUESTABLE_STATES,
    )

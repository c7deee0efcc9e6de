"""Sending document email: what the command line and the terminal app call.

`queue_document` renders a tenant's template, composes and signs the
message and stores it in the outbox. `send_document` does that and delivers
it at once; `send_test` does the same for an unsaved template with sample
data. `run_outbox` delivers whatever is due.
"""

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from store.addresses import Mailbox
from store.db import Database
from store.delivery.compose import (
    Attachment,
    ComposedMessage,
    MessageContent,
    compose_message,
)
from store.delivery.engine import DeliveryEngine, RunSummary
from store.delivery.outbox import enqueue, get_message
from store.delivery.policy import (
    DEFAULT_CONNECTIONS,
    DEFAULT_LEASE_SECONDS,
    RetryPolicy,
)
from store.delivery.relay import DeliveryStopped, RelayConfig, relay_config
from store.delivery.signing import DkimKey, load_dkim_key
from store.delivery.tables import OutboxState
from store.errors import InvalidInput, MailroomError
from store.kinds import TemplateKind
from store.models import SenderIdentity, Tenant
from store.render import render_message, sample_context
from store.sender.effective import EffectiveSender, effective_sender
from store.settings import Settings
from store.templates import get_template
from store.tenants import get_tenant

# States from which a message will still move to sent, deferred or failed.
_UNSETTLED = frozenset({OutboxState.QUEUED.value, OutboxState.SENDING.value})


@dataclass(frozen=True)
class DeliveryResult:
    """The outcome of one message that was sent at once."""

    outbox_id: int
    message_id: str
    state: str
    # True only when the relay accepted the message.
    accepted: bool
    reply_code: int | None
    # The relay's reply when accepted, else why not.
    detail: str | None
    next_attempt_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        """Return the result's fields for JSON output."""
        return {
            "outbox_id": self.outbox_id,
            "message_id": self.message_id,
            "state": self.state,
            "accepted": self.accepted,
            "reply_code": self.reply_code,
            "detail": self.detail,
            "next_attempt_at": self.next_attempt_at,
        }


@dataclass(frozen=True)
class _Sending:
    """The tenant, its current sender and DKIM key, read to compose a message."""

    tenant: Tenant
    sender: EffectiveSender
    dkim_key: DkimKey | None


def document_context(
    kind: TemplateKind,
    tenant: Tenant,
    data: Mapping[str, Any] | None,
    company_email: str | None = None,
) -> dict[str, Any]:
    """Return the render context: the kind's sample data, with `data` over it.

    Each top-level key of `data` (company, counterparty, document, user)
    replaces the sample value whole; keys that `data` leaves out keep their
    sample values. `company.email` is `company_email` unless `data` gives
    the company.
    """
    context = sample_context(
        kind, company_name=tenant.name, company_email=company_email
    )
    if data:
        context.update(data)
    return context


def company_email(sender: EffectiveSender, reply_to: Sequence[Mailbox]) -> str:
    """Return the address a message offers as the company's own.

    That is the company's From address when it is active, else the first
    Reply-To address, else the platform From: never an address made up
    from the company name, which the sample data would otherwise use.
    """
    if sender.is_custom:
        return sender.address
    if reply_to:
        return reply_to[0]["address"]
    return sender.address


def queue_document(
    db: Database,
    settings: Settings,
    slug: str,
    kind: TemplateKind,
    to: str,
    *,
    actor: str,
    data: Mapping[str, Any] | None = None,
    attachments: Sequence[Attachment] = (),
) -> int:
    """Render the tenant's template, compose the message and queue it.

    Returns the outbox id. Raises `InvalidInput` when the template is
    disabled or does not render, or an address or header is invalid.
    """
    with db.read() as session:
        sending = _load_sending(session, settings, slug)
        template = get_template(session, sending.tenant, kind)
    if not template.enabled:
        raise InvalidInput(
            f"the {kind.value} template of tenant {slug!r} is disabled; enable it "
            f"with: mailroom templates set --tenant {slug} {kind.value} --enable"
        )
    email = company_email(sending.sender, template.reply_to)
    context = document_context(kind, sending.tenant, data, email)
    content = _render(
        template.subject,
        template.text_body,
        template.html_body,
        template.reply_to,
        context,
        attachments,
    )
    composed = _compose(sending, to, content)
    return _store(db, sending.tenant, kind, composed, actor, is_test=False)


async def send_document(
    db: Database,
    settings: Settings,
    slug: str,
    kind: TemplateKind,
    to: str,
    *,
    actor: str,
    data: Mapping[str, Any] | None = None,
    attachments: Sequence[Attachment] = (),
) -> DeliveryResult:
    """Queue a document email and deliver it before returning.

    The SMTP settings are checked before anything is queued.
    """
    relay = relay_config(settings.smtp)
    outbox_id = queue_document(
        db,
        settings,
        slug,
        kind,
        to,
        actor=actor,
        data=data,
        attachments=attachments,
    )
    return await deliver(db, relay, outbox_id)


async def send_test(
    db: Database,
    settings: Settings,
    slug: str,
    kind: TemplateKind,
    to: str,
    subject: str,
    text_body: str,
    html_body: str | None,
    reply_to: list[Mailbox],
    *,
    actor: str,
) -> DeliveryResult:
    """Render an unsaved template with sample data and send it to `to` now.

    The message goes through the outbox like any other, marked as a test,
    from the tenant's current sender.
    """
    relay = relay_config(settings.smtp)
    with db.read() as session:
        sending = _load_sending(session, settings, slug)
    email = company_email(sending.sender, reply_to)
    context = document_context(kind, sending.tenant, None, email)
    content = _render(subject, text_body, html_body, reply_to, context, ())
    composed = _compose(sending, to, content)
    outbox_id = _store(db, sending.tenant, kind, composed, actor, is_test=True)
    return await deliver(db, relay, outbox_id)


async def deliver(db: Database, relay: RelayConfig, outbox_id: int) -> DeliveryResult:
    """Try to deliver one outbox message now and report what became of it.

    A fatal relay failure is reported in the result (the message stays
    queued) rather than raised. When another process is sending the message,
    this waits for that attempt, up to a few relay timeouts.
    """
    engine = DeliveryEngine(db, relay, connections=1)
    stopped: str | None = None
    try:
        await engine.run(once=True, ids=[outbox_id])
    except DeliveryStopped as error:
        stopped = error.message

    message = get_message(db, outbox_id).message
    # Connect, EHLO, MAIL, RCPT and DATA may each take up to the timeout.
    deadline = asyncio.get_running_loop().time() + relay.timeout * 5
    while (
        stopped is None
        and message.state in _UNSETTLED
        and asyncio.get_running_loop().time() < deadline
    ):
        await asyncio.sleep(0.2)
        message = get_message(db, outbox_id).message

    accepted = message.state == OutboxState.SENT.value
    if accepted:
        detail = message.relay_reply
    elif stopped is not None:
        detail = f"{stopped}; the message stays queued"
    else:
        detail = message.last_error
    assert message.id is not None
    return DeliveryResult(
        outbox_id=message.id,
        message_id=message.message_id,
        state=message.state,
        accepted=accepted,
        reply_code=message.reply_code,
        detail=detail,
        next_attempt_at=message.next_attempt_at,
    )


async def run_outbox(
    db: Database,
    settings: Settings,
    *,
    once: bool = True,
    connections: int = DEFAULT_CONNECTIONS,
    policy: RetryPolicy | None = None,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
) -> RunSummary:
    """Deliver every due message; see `DeliveryEngine.run`."""
    engine = DeliveryEngine(
        db,
        relay_config(settings.smtp),
        connections=connections,
        policy=policy,
        lease_seconds=lease_seconds,
    )
    return await engine.run(once=once)


def _load_sending(session: Session, settings: Settings, slug: str) -> _Sending:
    tenant = get_tenant(session, slug)
    identity = session.exec(
        select(SenderIdentity).where(SenderIdentity.tenant_id == tenant.id)
    ).first()
    sender = effective_sender(tenant, identity, settings.platform)
    dkim_key = None
    if sender.is_custom:
        assert identity is not None
        dkim_key = _dkim_key(identity, slug)
    return _Sending(tenant, sender, dkim_key)


def _dkim_key(identity: SenderIdentity, slug: str) -> DkimKey:
    pem = identity.dkim_private_key
    selector = identity.dkim_selector
    if not (pem and selector and identity.domain):
        raise MailroomError(
            f"the sender of tenant {slug!r} is active but has no DKIM key, "
            "selector or domain stored; cancel and request the custom sender again"
        )
    return load_dkim_key(identity.domain, selector, pem)


def _render(
    subject: str,
    text_body: str,
    html_body: str | None,
    reply_to: list[Mailbox],
    context: dict[str, Any],
    attachments: Sequence[Attachment],
) -> MessageContent:
    result = render_message(subject, text_body, html_body, context)
    if result.errors:
        error = result.errors[0]
        where = f" on line {error.line}" if error.line else ""
        raise InvalidInput(
            f"the template does not render: {error.field.replace('_', ' ')}"
            f"{where}: {error.message}"
        )
    # Without errors every field rendered, so only an absent HTML body is None.
    assert result.subject is not None and result.text_body is not None
    return MessageContent(
        subject=result.subject,
        text_body=result.text_body,
        html_body=result.html_body,
        reply_to=list(reply_to),
        attachments=tuple(attachments),
    )


def _compose(sending: _Sending, to: str, content: MessageContent) -> ComposedMessage:
    return compose_message(sending.sender, [to], content, dkim_key=sending.dkim_key)


def _store(
    db: Database,
    tenant: Tenant,
    kind: TemplateKind,
    composed: ComposedMessage,
    actor: str,
    *,
    is_test: bool,
) -> int:
    assert tenant.id is not None
    with db.write() as session:
        message = enqueue(
            session,
            composed,
            tenant_id=tenant.id,
            kind=kind.value,
            actor=actor,
            is_test=is_test,
        )
        session.flush()
        assert message.id is not None
        return message.id

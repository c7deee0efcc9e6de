"""`mailroom demo`: a demo company to try Mailroom on."""

import click
from sqlmodel import select
from store.defaults import DEFAULT_TEMPLATES

from store import audit
from store.addresses import normalise_address
from store.errors import InvalidInput
from store.kinds import TemplateKind
from store.models import Template, utc_now
from store.tenants import create_tenant, find_tenant, tenant_as_dict
from tui.commands.common import CliState, emit, json_option, pass_state

DEMO_SLUG = "demo"
DEMO_NAME = "Northwind Trading Ltd"
DEMO_PRIMARY_USER = "owner@northwind.example"


@click.command()
@json_option
@pass_state
def demo(state: CliState, as_json: bool) -> None:
    """Create the demo tenant "demo", or reset its templates to the defaults.

    Its primary user is the acting --user when that is an email address, so
    that the same person can try the sender actions.
    """
    primary_user = _primary_user(state.user)
    with state.db.read() as session:
        exists = find_tenant(session, DEMO_SLUG) is not None
    if exists:
        reset_templates(state, DEMO_SLUG)
        message = f"reset the templates of tenant {DEMO_SLUG} to the defaults"
    else:
        create_tenant(state.db, DEMO_SLUG, DEMO_NAME, primary_user, state.user)
        message = (
            f"created tenant {DEMO_SLUG} ({DEMO_NAME}); "
            f"open it with: mailroom --tenant {DEMO_SLUG}"
        )

    with state.db.read() as session:
        tenant = find_tenant(session, DEMO_SLUG)
        assert tenant is not None
    emit(tenant_as_dict(tenant), as_json, lambda _: message)


def _primary_user(user: str) -> str:
    try:
        return normalise_address(user)
    except InvalidInput:
        return DEMO_PRIMARY_USER


def reset_templates(state: CliState, slug: str) -> None:
    """Put every template of a tenant back to its default, as new versions."""
    with state.db.write() as session:
        tenant = find_tenant(session, slug)
        assert tenant is not None
        for template in session.exec(
            select(Template).where(Template.tenant_id == tenant.id)
        ):
            default = DEFAULT_TEMPLATES[TemplateKind(template.kind)]
            template.subject = default.subject
            template.text_body = default.text_body
            template.html_body = None
            template.reply_to = []
            template.enabled = True
            template.version += 1
            template.updated_at = utc_now()
            template.updated_by = state.user
            session.add(template)
        audit.record(
            session,
            tenant_id=tenant.id,
            actor=state.user,
            action="tenant.demo_reset",
            target=slug,
        )


COMMANDS = [demo]

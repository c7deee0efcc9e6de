"""Small builders the tests share."""

from store.db import Database
from store.models import Tenant
from store.tenants import create_tenant

OWNER = "owner@acme.example"


def make_tenant(db: Database, slug: str = "acme", name: str = "Acme GmbH") -> Tenant:
    """Create a tenant whose primary user is `OWNER`."""
    return create_tenant(db, slug, name, OWNER, actor=OWNER)

"""The recursive resolver Mailroom queries, built from `DnsSettings`."""

import dns.asyncresolver
import dns.resolver

from store.errors import InvalidInput
from store.settings import DnsSettings


def query_budget(settings: DnsSettings) -> float:
    """Return the seconds one lookup may take: its attempts, capped by the lifetime."""
    return min(settings.lifetime, settings.timeout * (settings.retries + 1))


def make_resolver(settings: DnsSettings) -> dns.asyncresolver.Resolver:
    """Build an uncached async resolver that queries the configured nameservers.

    With no nameservers configured it reads the system's (/etc/resolv.conf).
    A SERVFAIL is not retried at the same server: it is reported as a lookup
    error, since a broken zone rarely heals within one check.
    """
    if settings.nameservers:
        resolver = dns.asyncresolver.Resolver(configure=False)
        try:
            resolver.nameservers = list(settings.nameservers)
        except ValueError:
            raise InvalidInput(
                f"DNS nameservers {', '.join(settings.nameservers)!r} are not all "
                "IP addresses; set MAILROOM_DNS_NAMESERVERS to addresses such as "
                "127.0.0.1"
            ) from None
    else:
        resolver = dns.asyncresolver.Resolver()
    resolver.port = settings.port
    resolver.timeout = settings.timeout
    resolver.lifetime = query_budget(settings)
    resolver.cache = None
    resolver.retry_servfail = False
    return resolver


def resolver_label(resolver: dns.resolver.BaseResolver) -> str:
    """Return the resolver's servers as `address#port`, for messages."""
    servers = [str(server) for server in resolver.nameservers]
    return ", ".join(f"{server}#{resolver.port}" for server in servers)

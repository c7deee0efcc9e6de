"""Knot DNS on loopback: the real authoritative server the sender tests use.

One `knotd` runs per test session on a free port, from a config and zone
files in a temporary folder. It serves two zones, `example.test` and the IDN
zone `müller.test` (`xn--mller-kva.test`), both delegated to
`ns1.example.test`, whose address record points at 127.0.0.1. Pointing
Mailroom's resolver at that port therefore makes Knot both the recursive
resolver and, through that glue, the authoritative server.

Tests change records at run time with RFC 2136 dynamic updates over TCP,
the way a customer's DNS host would publish them.

When `knotd` is not installed, tests that use it are skipped, or fail if the
environment sets `MAILROOM_REQUIRE_KNOT=1` (as CI does).
"""

import itertools
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.update
import pytest

from store.settings import DnsSettings

ZONES = ("example.test", "xn--mller-kva.test")
NAMESERVER = "ns1.example.test."
TTL = 60

# How long knotd may take to answer its first query before the fixture fails.
START_TIMEOUT_SECONDS = 10.0

CONFIG_TEMPLATE = """\
server:
    rundir: "{folder}/run"
    listen: 127.0.0.1@{port}
log:
  - target: stderr
    any: warning
database:
    storage: "{folder}/db"
control:
    listen: "{folder}/run/knot.sock"
acl:
  - id: local_update
    address: 127.0.0.1
    action: update
template:
  - id: default
    storage: "{folder}/zones"
    file: "%s.zone"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
    serial-policy: increment
zone:
{zones}
"""

ZONE_TEMPLATE = """\
$ORIGIN {zone}.
$TTL {ttl}
@    SOA {nameserver} hostmaster.example.test. 1 3600 900 604800 {ttl}
@    NS  {nameserver}
{extra}
"""


def find_knotd() -> str | None:
    """Return the path of `knotd`, which Debian installs outside a user's PATH."""
    found = shutil.which("knotd")
    if found:
        return found
    for folder in ("/usr/sbin", "/usr/local/sbin"):
        candidate = Path(folder) / "knotd"
        if candidate.exists():
            return str(candidate)
    return None


def free_port() -> int:
    """Return a port that is free for both UDP and TCP on 127.0.0.1."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
        return port


@dataclass
class KnotServer:
    """A running `knotd` and the helpers that change its zones."""

    folder: Path
    port: int
    process: subprocess.Popen[bytes] | None = None
    _labels: Iterator[int] = field(default_factory=itertools.count)

    def dns_settings(self, timeout: float = 2.0, retries: int = 1) -> DnsSettings:
        """Return DNS settings that send every query to this server."""
        return DnsSettings(
            nameservers=("127.0.0.1",),
            port=self.port,
            timeout=timeout,
            lifetime=timeout * (retries + 1),
            retries=retries,
        )

    def environment(self) -> dict[str, str]:
        """Return the environment variables that point `mailroom` at this server."""
        return {
            "MAILROOM_DNS_NAMESERVERS": "127.0.0.1",
            "MAILROOM_DNS_PORT": str(self.port),
            "MAILROOM_DNS_TIMEOUT": "2",
            "MAILROOM_DNS_LIFETIME": "4",
            "MAILROOM_DNS_RETRIES": "1",
        }

    def new_domain(self, zone: str = "example.test") -> str:
        """Return a subdomain of `zone` that no other test of the session uses."""
        return f"t{next(self._labels)}.{zone}"

    def add(self, name: str, rdtype: str, *values: str, ttl: int = TTL) -> None:
        """Add records, each value in zone-file syntax (TXT strings quoted)."""
        update = self._update_for(name)
        for value in values:
            update.add(dns.name.from_text(name), ttl, rdtype, value)
        self._send(update)

    def add_txt(self, name: str, *strings: str, ttl: int = TTL) -> None:
        """Add one TXT record made of `strings`, as a DNS host stores it."""
        quoted = " ".join('"' + text.replace('"', '\\"') + '"' for text in strings)
        self.add(name, "TXT", quoted, ttl=ttl)

    def publish(self, record: Any, ttl: int = TTL) -> None:
        """Publish a record Mailroom issued (a `RecordSpec`): TXT split as issued."""
        if record.rtype == "TXT":
            self.add_txt(record.name, *record.strings, ttl=ttl)
        else:
            self.add(record.name, record.rtype, record.value, ttl=ttl)

    def delete(self, name: str, rdtype: str | None = None) -> None:
        """Delete every record of `rdtype` at `name`, or every record there."""
        update = self._update_for(name)
        if rdtype is None:
            update.delete(dns.name.from_text(name))
        else:
            update.delete(dns.name.from_text(name), rdtype)
        self._send(update)

    def reload(self, zone: str) -> None:
        """Reset `zone` to its zone file, dropping every dynamic update."""
        subprocess.run(
            ["knotc", "-c", str(self.folder / "knot.conf"), "zone-reload", zone],
            check=True,
            capture_output=True,
            timeout=10,
        )

    def _update_for(self, name: str) -> dns.update.UpdateMessage:
        absolute = dns.name.from_text(name)
        for zone in ZONES:
            if absolute.is_subdomain(dns.name.from_text(zone)):
                return dns.update.UpdateMessage(zone)
        raise ValueError(f"{name} is in none of the test zones {ZONES}")

    def _send(self, update: dns.update.UpdateMessage) -> None:
        response = dns.query.tcp(update, "127.0.0.1", port=self.port, timeout=5)
        if response.rcode() != dns.rcode.NOERROR:
            raise RuntimeError(
                f"Knot rejected the update: {dns.rcode.to_text(response.rcode())}"
            )

    def is_answering(self) -> bool:
        """Return whether the server answers an SOA query for its first zone."""
        query = dns.message.make_query(ZONES[0], dns.rdatatype.SOA)
        try:
            response = dns.query.udp(query, "127.0.0.1", port=self.port, timeout=0.2)
        except (OSError, dns.exception.Timeout):
            return False
        return response.rcode() == dns.rcode.NOERROR

    def stop(self) -> None:
        """Stop `knotd` with SIGTERM and wait for it to exit."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


def write_config(folder: Path, port: int) -> Path:
    """Write the Knot config and zone files into `folder`."""
    for sub in ("run", "db", "zones"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    zones = "\n".join(f"  - domain: {zone}\n    acl: local_update" for zone in ZONES)
    config = folder / "knot.conf"
    config.write_text(CONFIG_TEMPLATE.format(folder=folder, port=port, zones=zones))
    for zone in ZONES:
        extra = "ns1  A  127.0.0.1" if zone == "example.test" else ""
        text = ZONE_TEMPLATE.format(
            zone=zone, ttl=TTL, nameserver=NAMESERVER, extra=extra
        )
        (folder / "zones" / f"{zone}.zone").write_text(text)
    return config


def start_knot(folder: Path) -> KnotServer:
    """Start `knotd` in the foreground and wait until it answers."""
    knotd = find_knotd()
    if knotd is None:
        reason = "knotd is not installed (apt-get install knot)"
        if os.environ.get("MAILROOM_REQUIRE_KNOT") == "1":
            pytest.fail(f"{reason}, and MAILROOM_REQUIRE_KNOT=1 requires it")
        pytest.skip(f"{reason}; the DNS tests need it")

    port = free_port()
    config = write_config(folder, port)
    server = KnotServer(folder=folder, port=port)
    log = (folder / "knotd.log").open("wb")
    server.process = subprocess.Popen(
        [knotd, "-c", str(config)], stdout=log, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not server.is_answering():
        if server.process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            output = (folder / "knotd.log").read_text(errors="replace")
            pytest.fail(f"knotd did not start on port {port}:\n{output}")
        time.sleep(0.02)
    return server


@pytest.fixture(scope="session")
def knot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnotServer]:
    """A Knot DNS server on loopback for the whole test session."""
    server = start_knot(tmp_path_factory.mktemp("knot"))
    yield server
    server.stop()

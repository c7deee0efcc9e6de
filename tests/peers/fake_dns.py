"""A fake DNS server on loopback for faults that a real server will not produce.

It listens on UDP and TCP on the same port, in the caller's event loop, and
passes every query to a handler that returns a response, or None to send
nothing (the client then times out). Ready-made handlers cover SERVFAIL,
silence, and truncated UDP answers that only TCP completes. `ZoneResponder`
answers authoritatively from zone-file text, and `delay` adds latency to
every answer, which the benchmark uses.

Run as a module, it serves a zone file in its own process:

    python -m tests.peers.fake_dns --zone FILE --origin bench.test --delay 0.1
"""

import argparse
import asyncio
import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.zone

UDP = "udp"
TCP = "tcp"

Handler = Callable[[dns.message.Message, str], dns.message.Message | None]

# Largest UDP answer for a query without EDNS (RFC 1035 section 4.2.1).
CLASSIC_UDP_SIZE = 512


def servfail(query: dns.message.Message, transport: str) -> dns.message.Message:
    """Respond to every query with SERVFAIL."""
    response = dns.message.make_response(query)
    response.set_rcode(dns.rcode.SERVFAIL)
    return response


def silent(query: dns.message.Message, transport: str) -> None:
    """Never respond, so that every query times out."""
    return None


def truncating(handler: Handler) -> Handler:
    """Answer UDP queries with an empty, truncated response; TCP gets the real one."""

    def respond(
        query: dns.message.Message, transport: str
    ) -> dns.message.Message | None:
        if transport == UDP:
            response = dns.message.make_response(query)
            response.flags |= dns.flags.TC
            return response
        return handler(query, transport)

    return respond


def failing_names(handler: Handler, labels: tuple[str, ...], fault: Handler) -> Handler:
    """Pass queries for names starting with one of `labels` to `fault`."""

    def respond(
        query: dns.message.Message, transport: str
    ) -> dns.message.Message | None:
        first_label = query.question[0].name.labels[0].decode().lower()
        if first_label in labels:
            return fault(query, transport)
        return handler(query, transport)

    return respond


class ZoneResponder:
    """Answers like an authoritative server for one zone, from zone-file text.

    It sets AA on every answer, whether or not recursion was requested, so it
    serves as both resolver and authoritative server, like Knot in the tests.
    It follows a CNAME within the zone once and refuses names outside it.
    A name at or below a delegation (NS records below the apex) gets a
    referral, except that a recursive query for the delegation's NS records
    gets them as an answer, as a resolver would return them.
    """

    def __init__(self, text: str, origin: str) -> None:
        self.origin = dns.name.from_text(origin)
        self.zone = dns.zone.from_text(text, origin=self.origin, relativize=False)
        self.soa = self.zone.find_rrset(self.origin, dns.rdatatype.SOA)
        self.names_with_children = {
            ancestor for name in self.zone.nodes for ancestor in _ancestors(name)
        }
        self.delegations = {
            name
            for name, node in self.zone.nodes.items()
            if name != self.origin
            and node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.NS) is not None
        }

    def __call__(
        self, query: dns.message.Message, transport: str
    ) -> dns.message.Message:
        question = query.question[0]
        response = dns.message.make_response(query)
        if not question.name.is_subdomain(self.origin):
            response.set_rcode(dns.rcode.REFUSED)
            return response
        cut = self._delegation_above(question.name)
        if cut is not None:
            self._refer(response, query, cut, question.rdtype)
            return response
        response.flags |= dns.flags.AA
        self._answer(response, question.name, question.rdtype, follow_alias=True)
        return response

    def _delegation_above(self, name: dns.name.Name) -> dns.name.Name | None:
        while name != self.origin and len(name) > 1:
            if name in self.delegations:
                return name
            name = name.parent()
        return None

    def _refer(
        self,
        response: dns.message.Message,
        query: dns.message.Message,
        cut: dns.name.Name,
        rdtype: int,
    ) -> None:
        servers = self.zone.find_rrset(cut, dns.rdatatype.NS)
        recursive_ns_query = (
            query.flags & dns.flags.RD
            and rdtype == dns.rdatatype.NS
            and query.question[0].name == cut
        )
        if recursive_ns_query:
            response.answer.append(servers)
        else:
            response.authority.append(servers)

    def _answer(
        self,
        response: dns.message.Message,
        name: dns.name.Name,
        rdtype: int,
        follow_alias: bool,
    ) -> None:
        node = self.zone.get_node(name)
        if node is None:
            if name not in self.names_with_children:
                response.set_rcode(dns.rcode.NXDOMAIN)
            response.authority.append(self.soa)
            return
        rdataset = node.get_rdataset(dns.rdataclass.IN, rdtype)
        if rdataset is not None:
            response.answer.append(_rrset(name, rdataset))
            return
        alias = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.CNAME)
        if alias is None:
            response.authority.append(self.soa)
            return
        response.answer.append(_rrset(name, alias))
        target = alias[0].target
        if follow_alias and target.is_subdomain(self.origin):
            self._answer(response, target, rdtype, follow_alias=False)


def _ancestors(name: dns.name.Name) -> list[dns.name.Name]:
    ancestors = []
    while len(name) > 1:
        name = name.parent()
        ancestors.append(name)
    return ancestors


def _rrset(name: dns.name.Name, rdataset: object) -> dns.rrset.RRset:
    rrset = dns.rrset.RRset(name, dns.rdataclass.IN, rdataset.rdtype)  # type: ignore[attr-defined]
    rrset.update(rdataset)  # type: ignore[arg-type]
    return rrset


@dataclass
class FakeDnsServer:
    """A UDP and TCP DNS server on a loopback address; `handler` makes the answers."""

    handler: Handler
    delay: float = 0.0
    port: int = 0
    host: str = "127.0.0.1"
    # Every query received: (transport, name, type), for assertions.
    queries: list[tuple[str, str, str]] = field(default_factory=list)
    _udp: asyncio.DatagramTransport | None = None
    _tcp: asyncio.base_events.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def start(self) -> "FakeDnsServer":
        """Bind both sockets on one free port and start serving."""
        loop = asyncio.get_running_loop()
        for _ in range(20):
            udp_socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            udp_socket.bind((self.host, self.port))
            port = udp_socket.getsockname()[1]
            try:
                self._tcp = await asyncio.start_server(
                    self._serve_stream, self.host, port
                )
            except OSError:
                udp_socket.close()
                if self.port:
                    raise
                continue
            self.port = port
            self._udp, _ = await loop.create_datagram_endpoint(
                lambda: _DatagramProtocol(self), sock=udp_socket
            )
            return self
        raise RuntimeError("no free port for the fake DNS server")

    async def stop(self) -> None:
        """Close both sockets and drop answers still waiting for their delay."""
        if self._udp is not None:
            self._udp.close()
        if self._tcp is not None:
            self._tcp.close()
            await self._tcp.wait_closed()
        for task in list(self._tasks):
            task.cancel()

    async def __aenter__(self) -> "FakeDnsServer":
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def respond(self, wire: bytes, transport: str) -> bytes | None:
        """Return the wire answer to one query, or None to send nothing."""
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return None
        question = query.question[0]
        self.queries.append(
            (transport, question.name.to_text(), dns.rdatatype.to_text(question.rdtype))
        )
        response = self.handler(query, transport)
        if self.delay:
            await asyncio.sleep(self.delay)
        if response is None:
            return None
        return _to_wire(response, query, transport)

    def answer_datagram(self, wire: bytes, address: tuple[str, int]) -> None:
        task = asyncio.ensure_future(self._send_datagram(wire, address))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send_datagram(self, wire: bytes, address: tuple[str, int]) -> None:
        answer = await self.respond(wire, UDP)
        if answer is not None and self._udp is not None and not self._udp.is_closing():
            self._udp.sendto(answer, address)

    async def _serve_stream(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            while True:
                (length,) = struct.unpack("!H", await reader.readexactly(2))
                answer = await self.respond(await reader.readexactly(length), TCP)
                if answer is None:
                    continue
                writer.write(struct.pack("!H", len(answer)) + answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


class _DatagramProtocol(asyncio.DatagramProtocol):
    def __init__(self, server: FakeDnsServer) -> None:
        self.server = server

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.server.answer_datagram(data, addr)


def _to_wire(
    response: dns.message.Message, query: dns.message.Message, transport: str
) -> bytes:
    if transport == TCP:
        return response.to_wire()
    limit = query.payload if query.edns >= 0 else CLASSIC_UDP_SIZE
    try:
        return response.to_wire(max_size=max(limit, CLASSIC_UDP_SIZE))
    except dns.exception.TooBig:
        truncated = dns.message.make_response(query)
        truncated.flags |= dns.flags.TC | (response.flags & dns.flags.AA)
        return truncated.to_wire()


async def serve_forever(zone: Path, origin: str, delay: float, port: int) -> None:
    """Serve a zone file until the process is stopped; print the port first."""
    server = FakeDnsServer(ZoneResponder(zone.read_text(), origin), delay, port)
    await server.start()
    print(f"listening on 127.0.0.1#{server.port}", flush=True)
    await asyncio.Event().wait()


def main() -> None:
    """Parse the command line and serve a zone, for the benchmark's own process."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--zone", type=Path, required=True, help="zone file to serve")
    parser.add_argument("--origin", required=True, help="the zone's origin")
    parser.add_argument(
        "--delay", type=float, default=0.0, help="seconds added before each answer"
    )
    parser.add_argument("--port", type=int, default=0, help="port (0 picks a free one)")
    arguments = parser.parse_args()
    try:
        asyncio.run(
            serve_forever(
                arguments.zone, arguments.origin, arguments.delay, arguments.port
            )
        )
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()

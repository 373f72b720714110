"""grpc checks against a grpc.aio server with the standard health service, tcp checks
against a listening socket, dns checks against a small DNS server (dnspython messages over
UDP on a free port)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import dns.message
import dns.rcode
import dns.rrset
import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio
from harness import make

from otelpy.probes.result import Status
from otelpy.testing.clock import FakeClock
from otelpy.testing.polling import until
from otelpy.testing.process import free_port

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


async def test_grpc_health_service() -> None:
    port = free_port()
    health = health_aio.HealthServicer()
    server = grpc.aio.server()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    await health.set("", SERVING)
    await health.set("orders", NOT_SERVING)
    clock = FakeClock()
    receiver, _, host = make({
        "server": {"type": "grpc", "endpoint": f"127.0.0.1:{port}", "interval": "10s"},
        "orders": {"type": "grpc", "endpoint": f"127.0.0.1:{port}", "service": "orders",
                   "interval": "10s"},
        "unknown": {"type": "grpc", "endpoint": f"127.0.0.1:{port}", "service": "nope",
                    "interval": "10s"}}, clock)
    try:
        await receiver.start(host)
        states = receiver.states
        await until(lambda: all(s.last_check_ns for s in states.values()), 30)
        assert states["server"].status is Status.HEALTHY
        assert states["server"].details == {"serving_status": "SERVING"}
        assert states["orders"].status is Status.CRITICAL
        assert states["orders"].message == "service 'orders' is NOT_SERVING"
        assert states["unknown"].status is Status.CRITICAL
        assert states["unknown"].details == {"grpc_status": "NOT_FOUND"}
        await health.set("orders", SERVING)
        await server.stop(0)
        last = states["server"].last_check_ns
        await clock.advance(10)
        await until(lambda: states["server"].last_check_ns != last, 30)
        assert states["server"].status is Status.CRITICAL
        assert states["server"].details == {"grpc_status": "UNAVAILABLE"}
    finally:
        await receiver.shutdown()
        await server.stop(0)


async def test_tcp_connect() -> None:
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    receiver, _, host = make({
        "up": {"type": "tcp", "endpoint": f"127.0.0.1:{port}", "interval": "1h"},
        "down": {"type": "tcp", "endpoint": f"127.0.0.1:{free_port()}", "interval": "1h"}})
    try:
        await receiver.start(host)
        await until(lambda: all(s.last_check_ns for s in receiver.states.values()), 30)
        assert receiver.states["up"].status is Status.HEALTHY
        assert receiver.states["up"].details["connect_ms"] >= 0
        assert receiver.states["down"].status is Status.CRITICAL
        assert "ConnectionRefusedError" in receiver.states["down"].message
    finally:
        await receiver.shutdown()
        server.close()
        await server.wait_closed()


class _Dns(asyncio.DatagramProtocol):
    """Answers A queries for db.test. with 10.0.0.5 and 10.0.0.6; NXDOMAIN otherwise."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.queries: list[str] = []

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        query = dns.message.from_wire(data)
        reply = dns.message.make_response(query)
        question = query.question[0]
        self.queries.append(question.name.to_text())
        if question.name.to_text() == "db.test.":
            reply.answer.append(dns.rrset.from_text("db.test.", 60, "IN", "A", "10.0.0.5",
                                                    "10.0.0.6"))
        else:
            reply.set_rcode(dns.rcode.NXDOMAIN)
        self.transport.sendto(reply.to_wire(), addr)  # type: ignore[attr-defined]


@pytest.fixture
async def dns_server() -> AsyncIterator[tuple[int, _Dns]]:
    loop = asyncio.get_running_loop()
    transport, proto = await loop.create_datagram_endpoint(_Dns, local_addr=("127.0.0.1", 0))
    yield transport.get_extra_info("sockname")[1], proto
    transport.close()


async def test_dns_expected_records(dns_server: tuple[int, _Dns]) -> None:
    port, proto = dns_server
    ns = f"127.0.0.1:{port}"
    receiver, _, host = make({
        "ok": {"type": "dns", "name": "db.test", "expected": ["10.0.0.5"], "nameserver": ns,
               "interval": "1h"},
        "any": {"type": "dns", "name": "db.test", "nameserver": ns, "interval": "1h"},
        "missing": {"type": "dns", "name": "db.test", "expected": ["10.0.0.5", "10.0.0.9"],
                    "nameserver": ns, "interval": "1h"},
        "nx": {"type": "dns", "name": "nope.test", "nameserver": ns, "interval": "1h"}})
    try:
        await receiver.start(host)
        await until(lambda: all(s.last_check_ns for s in receiver.states.values()), 30)
        s = receiver.states
        assert (s["ok"].status, s["ok"].details["records"]) == (
            Status.HEALTHY, ["10.0.0.5", "10.0.0.6"])
        assert s["any"].status is Status.HEALTHY
        assert (s["missing"].status, s["missing"].message) == (
            Status.CRITICAL, "missing expected record(s): 10.0.0.9")
        assert s["nx"].status is Status.CRITICAL
        assert "NXDOMAIN" in s["nx"].message
        assert "nope.test." in proto.queries
    finally:
        await receiver.shutdown()

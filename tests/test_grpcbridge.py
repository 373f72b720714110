"""otelpy.grpcbridge on its own: raw clients on the Unix socket, raw TLS servers on
127.0.0.1. Byte integrity both ways, backpressure, connect timeout, target parsing,
lifecycle. (The otlp exporter through the bridge: tests/exporters/otlp/test_otlp_skip_verify.py.)
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
import uvloop

from otelpy.component import ComponentID, Kind, Settings
from otelpy.config.tls import TLSClientSettings
from otelpy.grpcbridge import BridgeTarget, GrpcTLSBridge, parse_target
from otelpy.telemetry import Telemetry
from otelpy.testing.certs import CertificateAuthority

SKIP = TLSClientSettings(insecure_skip_verify=True)
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def settings() -> Settings:
    return Settings(ComponentID("otlp", "bridge"), Kind.EXPORTER,
                    logging.getLogger("t.grpcbridge"), Telemetry())


@pytest.fixture
def server_context(tmp_path: Path) -> ssl.SSLContext:
    cert, key = CertificateAuthority("unknown CA").issue("localhost", server=True).write(
        tmp_path, "server")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


async def tls_server(ctx: ssl.SSLContext | None, handler: Handler) -> tuple[asyncio.Server, int]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0, ssl=ctx)
    return server, int(server.sockets[0].getsockname()[1])


@pytest.fixture
async def bridges() -> AsyncIterator[list[GrpcTLSBridge]]:
    started: list[GrpcTLSBridge] = []
    yield started
    for bridge in started:
        await bridge.stop()


async def bridge_to(bridges: list[GrpcTLSBridge], port: int, connect_timeout: float = 5.0
                    ) -> GrpcTLSBridge:
    bridge = GrpcTLSBridge(BridgeTarget("localhost", port), SKIP, settings(),
                           connect_timeout=connect_timeout)
    bridges.append(bridge)
    await bridge.start()
    return bridge


async def flow_with_backpressure(server_context: ssl.SSLContext) -> None:
    """A server that does not read yet: the client's writes stall (the bridge stops
    reading instead of buffering); once it reads, 24 MiB arrive intact and its echo
    comes back intact."""
    size = 24 * 1024 * 1024
    payload = os.urandom(size)
    reading = asyncio.Event()

    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reading.wait()
        got = await reader.readexactly(size)
        writer.write(got)
        await writer.drain()
        writer.close()

    server, port = await tls_server(server_context, echo)
    bridge = GrpcTLSBridge(BridgeTarget("localhost", port), SKIP, settings())
    await bridge.start()
    try:
        reader, writer = await asyncio.open_unix_connection(bridge.socket_path)
        writer.write(payload)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(asyncio.shield(writer.drain()), 0.5)
        reading.set()
        back = await asyncio.wait_for(reader.readexactly(size), 30)
        assert hashlib.sha256(back).digest() == hashlib.sha256(payload).digest()
        assert await asyncio.wait_for(reader.read(), 5) == b""  # the server closed: so do we
        writer.close()
    finally:
        await bridge.stop()
        server.close()


async def test_bytes_flow_both_ways_with_backpressure(server_context: ssl.SSLContext) -> None:
    await flow_with_backpressure(server_context)


def test_bytes_flow_both_ways_with_backpressure_on_uvloop(
        server_context: ssl.SSLContext) -> None:
    uvloop.run(flow_with_backpressure(server_context))


async def test_connect_timeout_closes_the_channel_side(
        bridges: list[GrpcTLSBridge], caplog: pytest.LogCaptureFixture) -> None:
    """A server that accepts TCP but never answers the TLS handshake."""
    silent: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        silent.append(writer)
        await reader.read()

    server, port = await tls_server(None, hold)
    bridge = await bridge_to(bridges, port, connect_timeout=0.3)
    caplog.set_level(logging.WARNING)
    reader, writer = await asyncio.open_unix_connection(bridge.socket_path)
    writer.write(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
    try:  # closed with our bytes unread: a Unix socket reports a reset
        assert await asyncio.wait_for(reader.read(), 5) == b""
    except ConnectionResetError:
        pass
    assert f"tls: cannot connect to localhost:{port} over TLS: no answer within 0.3s" in (
        caplog.text)
    writer.close()
    for w in silent:
        w.close()
    server.close()


async def test_lifecycle(tmp_path: Path) -> None:
    bridge = GrpcTLSBridge(BridgeTarget("localhost", 1), SKIP, settings())
    await bridge.stop()  # safe without start
    assert bridge.directory is None and not bridge.listening
    target = await bridge.start()
    directory = bridge.directory
    assert directory is not None and target == f"unix:{directory}/grpc.sock"
    assert os.stat(directory).st_mode & 0o777 == 0o700
    await bridge.stop()
    await bridge.stop()  # idempotent
    assert not await asyncio.to_thread(os.path.exists, directory)


def test_channel_options() -> None:
    bridge = GrpcTLSBridge(BridgeTarget("::1", 4317), SKIP, settings())
    opts = dict(bridge.channel_options([("grpc.ssl_target_name_override", "x"),
                                        ("grpc.lb_policy_name", "round_robin")]))
    assert opts == {"grpc.lb_policy_name": "round_robin", "grpc.default_authority": "[::1]:4317",
                    "grpc.http2_scheme": "https", "grpc.use_local_subchannel_pool": 1}
    named = GrpcTLSBridge(BridgeTarget("10.0.0.1", 4317), TLSClientSettings(
        insecure_skip_verify=True, server_name_override="collector"), settings())
    assert dict(named.channel_options([]))["grpc.default_authority"] == "collector"
    # an explicit `authority` wins
    assert dict(named.channel_options([("grpc.default_authority", "vhost")]))[
        "grpc.default_authority"] == "vhost"


@pytest.mark.parametrize(("target", "parsed"), [
    ("localhost:4317", BridgeTarget("localhost", 4317)),
    ("collector", BridgeTarget("collector", 443)),
    ("dns:///collector:4317", BridgeTarget("collector", 4317)),
    ("dns:collector:4317", BridgeTarget("collector", 4317)),
    ("[::1]:4317", BridgeTarget("::1", 4317)),
    ("10.0.0.1:4317", BridgeTarget("10.0.0.1", 4317)),
], ids=["host-port", "no-port", "dns-uri", "dns-short", "ipv6", "ipv4"])
def test_parse_target(target: str, parsed: BridgeTarget) -> None:
    assert parse_target(target) == parsed


@pytest.mark.parametrize("target", [
    "unix:/run/otel.sock", "unix-abstract:otel", "ipv4:10.0.0.1:1,10.0.0.2:1", "xds:///svc",
    "dns://8.8.8.8/collector:4317", "::1", "[nothex]:1", "host:port", "host:0", "host:70000",
], ids=["unix", "unix-abstract", "ipv4-list", "xds", "dns-authority", "bare-ipv6",
        "bad-ipv6", "port-name", "port-0", "port-too-big"])
def test_parse_target_refuses(target: str) -> None:
    with pytest.raises(ValueError, match=repr(target).replace("[", r"\[")):
        parse_target(target)

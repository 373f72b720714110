"""TLS reload_interval: certificate, key and CA rotation on real servers and clients.

Files rotate as a Kubernetes secret volume does: the configured paths go through a
``current`` symlink that is atomically moved to a new directory, so a certificate and
its key change together. Servers are otelpy otlp receivers (gRPC and HTTP) on
127.0.0.1; their clients are Python ssl/aiohttp and grpc channels, and the otlp and
otlphttp exporters.
"""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import grpc
import pytest

from otelpy.component import Kind, Signal
from otelpy.config.tls import TLSClientSettings, TLSServerSettings
from otelpy.errors import RetryableError
from otelpy.pdata import Batch
from otelpy.receivers.otlp import OTLPReceiver
from otelpy.telemetry import Telemetry
from otelpy.testing.authhost import create_component
from otelpy.testing.certs import CertificateAuthority
from otelpy.testing.polling import until
from otelpy.testing.samples import traces_request
from otelpy.testing.servers import GRPC_METHODS
from otelpy.testing.sink import FakeHost, SinkConsumer

INTERVAL = 0.2
BODY = traces_request(3).SerializeToString()


@dataclass
class PKI:
    """A CA with a server and a client certificate, written under ``directory``."""

    ca: CertificateAuthority
    directory: Path

    @classmethod
    def make(cls, directory: Path, name: str) -> PKI:
        pki = cls(CertificateAuthority(f"{name} CA"), directory / name)
        pki.directory.mkdir()
        (pki.directory / "ca.crt").write_bytes(pki.ca.cert_pem)
        pki.ca.issue("localhost", server=True).write(pki.directory, "server")
        pki.ca.issue(f"{name} client", client=True).write(pki.directory, "client")
        return pki

    def path(self, name: str) -> str:
        return str(self.directory / name)

    def files(self) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in self.directory.iterdir()}


class Rotating:
    """Paths under ``<base>/current/``, a symlink moved atomically to each new version."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.versions = 0
        base.mkdir()

    def publish(self, files: dict[str, bytes]) -> None:
        self.versions += 1
        version = self.base / f"v{self.versions}"
        version.mkdir()
        for name, data in files.items():
            (version / name).write_bytes(data)
        link = self.base / "current.new"
        link.symlink_to(version.name)
        os.replace(link, self.base / "current")

    def path(self, name: str) -> str:
        return str(self.base / "current" / name)


@pytest.fixture
def pkis(tmp_path: Path) -> tuple[PKI, PKI]:
    return PKI.make(tmp_path, "a"), PKI.make(tmp_path, "b")


class Rig:
    def __init__(self, tmp_path: Path) -> None:
        self.telemetry = Telemetry()
        self.sink = SinkConsumer()
        self.files = Rotating(tmp_path / "live")
        self._started: list[Any] = []

    @staticmethod
    def port(rcv: OTLPReceiver, transport: str) -> int:
        server = rcv.grpc if transport == "grpc" else rcv.http
        assert server is not None and server.port is not None
        return server.port

    async def receiver(self, transport: str, tls: dict[str, Any],
                       port: int = 0) -> OTLPReceiver:
        doc = {"protocols": {transport: {"endpoint": f"127.0.0.1:{port}", "tls": tls}}}
        rcv: OTLPReceiver = create_component(Kind.RECEIVER, "otlp", doc, self.telemetry,
                                             {s: self.sink for s in Signal})
        self._started.append(rcv)
        await rcv.start(FakeHost())
        return rcv

    async def exporter(self, transport: str, port: int, tls: dict[str, Any],
                       name: str = "client") -> Any:
        type_, endpoint = (("otlp", f"localhost:{port}") if transport == "grpc"
                           else ("otlphttp", f"https://localhost:{port}"))
        doc = {"endpoint": endpoint, "tls": tls, "sending_queue": {"enabled": False},
               "retry_on_failure": {"enabled": False}}
        exp = create_component(Kind.EXPORTER, f"{type_}/{name}", doc, self.telemetry,
                               frozenset(Signal))
        self._started.append(exp)
        await exp.start(FakeHost())
        return exp

    async def receiver_port(self, transport: str, tls: dict[str, Any]) -> int:
        return self.port(await self.receiver(transport, tls), transport)

    def count(self, kind: str, component: str, tls: str, failures: bool = False) -> float:
        name = "otelpy_tls_reload_failures_total" if failures else "otelpy_tls_reloads_total"
        return self.telemetry.value(name, {"kind": kind, "component": component, "tls": tls})

    async def close(self) -> None:
        for comp in reversed(self._started):
            await comp.shutdown()
        self._started.clear()


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    r = Rig(tmp_path)
    yield r
    await r.close()


def _http_context(trust: PKI, client: PKI | None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=trust.path("ca.crt"))
    if client is not None:
        ctx.load_cert_chain(client.path("client.crt"), client.path("client.key"))
    return ctx


async def _post(session: aiohttp.ClientSession, port: int, ctx: ssl.SSLContext) -> bool:
    try:
        async with session.post(f"https://localhost:{port}/v1/traces", data=BODY, ssl=ctx,
                                headers={"Content-Type": "application/x-protobuf"}) as resp:
            assert resp.status == 200
            return True
    except aiohttp.ClientError:
        return False


async def _grpc_call(channel: grpc.aio.Channel) -> bool:
    try:
        await channel.unary_unary(GRPC_METHODS[Signal.TRACES])(BODY, timeout=5)
        return True
    except grpc.aio.AioRpcError as err:
        assert err.code() is grpc.StatusCode.UNAVAILABLE
        return False


def _channel(port: int, trust: PKI, client: PKI | None) -> grpc.aio.Channel:
    key = cert = None
    if client is not None:
        key = (client.directory / "client.key").read_bytes()
        cert = (client.directory / "client.crt").read_bytes()
    creds = grpc.ssl_channel_credentials((trust.directory / "ca.crt").read_bytes(), key, cert)
    return grpc.aio.secure_channel(f"localhost:{port}", creds)


async def connects(transport: str, port: int, trust: PKI, client: PKI | None = None) -> bool:
    """A new client trusting only ``trust``'s CA (with ``client``'s certificate) sends."""
    if transport == "grpc":
        async with _channel(port, trust, client) as channel:
            return await _grpc_call(channel)
    async with aiohttp.ClientSession() as session:
        return await _post(session, port, _http_context(trust, client))


# -- servers ---------------------------------------------------------------------------------
@pytest.mark.parametrize("transport", ["grpc", "http"])
async def test_server_certificate_rotation(rig: Rig, pkis: tuple[PKI, PKI], transport: str,
                                           caplog: pytest.LogCaptureFixture) -> None:
    a, b = pkis
    rig.files.publish(a.files())
    port = await rig.receiver_port(transport, {
        "cert_file": rig.files.path("server.crt"), "key_file": rig.files.path("server.key"),
        "reload_interval": f"{int(INTERVAL * 1000)}ms"})
    key = ("receiver", "otlp", f"protocols::{transport}::tls")
    assert await connects(transport, port, a)
    assert not await connects(transport, port, b)
    # a connection made before the rotation
    async with aiohttp.ClientSession() as session, _channel(port, a, None) as channel:
        kept = _http_context(a, None)
        assert await (_grpc_call(channel) if transport == "grpc" else _post(session, port, kept))

        rig.files.publish(b.files())
        await until(lambda: rig.count(*key) == 1)
        assert await connects(transport, port, b)
        assert not await connects(transport, port, a)
        # ... is not cut: it keeps the certificate it was made with
        assert await (_grpc_call(channel) if transport == "grpc" else _post(session, port, kept))

    # a corrupt certificate keeps the last good one, counted and logged once
    caplog.set_level(logging.WARNING)
    rig.files.publish({**b.files(), "server.crt": b"-----BEGIN CERTIFICATE-----\nnot one\n"})
    await until(lambda: rig.count(*key, failures=True) == 1)
    await asyncio.sleep(3 * INTERVAL)
    assert rig.count(*key, failures=True) == 1 and rig.count(*key) == 1
    assert await connects(transport, port, b)
    assert not await connects(transport, port, a)
    warnings = [r for r in caplog.records if "cannot reload" in r.getMessage()]
    assert len(warnings) == 1
    assert f"protocols::{transport}::tls::cert_file" in warnings[0].getMessage()
    # fixed again: taken
    rig.files.publish(a.files())
    await until(lambda: rig.count(*key) == 2)
    assert await connects(transport, port, a)
    assert rig.sink.items[Signal.TRACES] == 6 * 3


@pytest.mark.parametrize("transport", ["grpc", "http"])
async def test_client_ca_rotation(rig: Rig, pkis: tuple[PKI, PKI], tmp_path: Path,
                                  transport: str) -> None:
    a, b = pkis
    server = PKI.make(tmp_path, "server")
    rig.files.publish({"client-ca.crt": a.ca.cert_pem})
    port = await rig.receiver_port(transport, {
        "cert_file": server.path("server.crt"), "key_file": server.path("server.key"),
        "client_ca_file": rig.files.path("client-ca.crt"), "reload_interval": INTERVAL})
    assert await connects(transport, port, server, a)
    assert not await connects(transport, port, server, b)
    assert not await connects(transport, port, server, None)
    rig.files.publish({"client-ca.crt": b.ca.cert_pem})
    await until(lambda: rig.count("receiver", "otlp", f"protocols::{transport}::tls") == 1)
    assert await connects(transport, port, server, b)
    assert not await connects(transport, port, server, a)  # CA a is no longer trusted
    assert rig.sink.items[Signal.TRACES] == 6


async def test_client_ca_file_reload_without_reload_interval(
        rig: Rig, pkis: tuple[PKI, PKI], tmp_path: Path) -> None:
    """The Collector's client_ca_file_reload: the client CA is checked every second."""
    a, b = pkis
    server = PKI.make(tmp_path, "server")
    rig.files.publish({"client-ca.crt": a.ca.cert_pem})
    port = await rig.receiver_port("grpc", {
        "cert_file": server.path("server.crt"), "key_file": server.path("server.key"),
        "client_ca_file": rig.files.path("client-ca.crt"), "client_ca_file_reload": True})
    assert await connects("grpc", port, server, a)
    rig.files.publish({"client-ca.crt": b.ca.cert_pem})
    await until(lambda: rig.count("receiver", "otlp", "protocols::grpc::tls") == 1)
    assert await connects("grpc", port, server, b)
    assert not await connects("grpc", port, server, a)


# -- exporters --------------------------------------------------------------------------------
def _mtls_server(pki: PKI) -> dict[str, Any]:
    return {"cert_file": pki.path("server.crt"), "key_file": pki.path("server.key"),
            "client_ca_file": pki.path("ca.crt")}


@pytest.mark.parametrize("transport", ["grpc", "http"])
async def test_exporter_ca_and_client_certificate_rotation(
        rig: Rig, pkis: tuple[PKI, PKI], transport: str) -> None:
    """An exporter's ca_file, cert_file and key_file move from PKI a to PKI b; then the
    a-only server is replaced on the same port by one that presents and trusts only b.
    The reloading exporter goes on sending; one without reload_interval is refused."""
    a, b = pkis
    rig.files.publish(a.files())
    old_server = await rig.receiver(transport, _mtls_server(a))
    port = rig.port(old_server, transport)
    live = {"ca_file": rig.files.path("ca.crt"), "cert_file": rig.files.path("client.crt"),
            "key_file": rig.files.path("client.key")}
    exp = await rig.exporter(transport, port, {**live, "reload_interval": INTERVAL})
    static = await rig.exporter(transport, port, live, name="static")
    batch = Batch.from_bytes(Signal.TRACES, BODY)
    await exp.consume(batch)
    await static.consume(batch)
    assert rig.sink.items[Signal.TRACES] == 6

    rig.files.publish(b.files())
    component = "otlp/client" if transport == "grpc" else "otlphttp/client"
    await until(lambda: rig.count("exporter", component, "tls") == 1)
    await old_server.shutdown()
    await rig.receiver(transport, _mtls_server(b), port=port)
    await exp.consume(batch)
    assert rig.sink.items[Signal.TRACES] == 9
    with pytest.raises(RetryableError):  # kept a's material: refused by the b server
        await static.consume(batch)
    assert rig.sink.items[Signal.TRACES] == 9
    assert rig.count("exporter", component, "tls", failures=True) == 0


async def test_grpc_exporter_lets_an_in_flight_call_finish(
        rig: Rig, pkis: tuple[PKI, PKI]) -> None:
    a, b = pkis
    rig.files.publish({"ca.crt": a.ca.cert_pem})
    port = await rig.receiver_port("grpc", {"cert_file": a.path("server.crt"),
                                       "key_file": a.path("server.key")})
    exp = await rig.exporter("grpc", port, {"ca_file": rig.files.path("ca.crt"),
                                            "reload_interval": INTERVAL})
    rig.sink.hold()
    call = asyncio.create_task(exp.consume(Batch.from_bytes(Signal.TRACES, BODY)))
    await until(lambda: rig.sink.in_flight == 1)  # the call is in flight, held by the server
    rig.files.publish({"ca.crt": b.ca.cert_pem})
    await until(lambda: rig.count("exporter", "otlp/client", "tls") == 1)
    rig.sink.release()
    await asyncio.wait_for(call, 5)  # finished on the old channel, not cancelled
    assert rig.sink.items[Signal.TRACES] == 3
    with pytest.raises(RetryableError):  # new calls trust only b: the a server is refused
        await exp.consume(Batch.from_bytes(Signal.TRACES, BODY))


# -- settings ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("doc", "files", "period"), [
    ({}, [], 0.0),
    ({"reload_interval": "1m"}, ["c", "k"], 60.0),
    ({"client_ca_file": "ca"}, [], 0.0),
    ({"client_ca_file": "ca", "client_ca_file_reload": True}, ["ca"], 1.0),
    ({"client_ca_file": "ca", "reload_interval": "2s"}, ["c", "k", "ca"], 2.0),
    ({"cert_pem": "x", "key_pem": "y", "cert_file": "", "key_file": "",
      "reload_interval": "1s"}, [], 1.0),
], ids=["off", "interval", "client-ca-static", "client-ca-reload", "both", "inline-only"])
def test_server_reload_files(doc: dict[str, Any], files: list[str], period: float) -> None:
    tls = TLSServerSettings.model_validate({"cert_file": "c", "key_file": "k", **doc})
    assert tls.reload_files() == files
    assert tls.reload_period() == period


def test_client_reload_files_include_ca_file() -> None:
    tls = TLSClientSettings.model_validate({"ca_file": "ca", "cert_file": "c", "key_file": "k",
                                            "reload_interval": "500ms"})
    assert tls.reload_files() == ["c", "k", "ca"]
    assert tls.reload_period() == 0.5
    assert TLSClientSettings.model_validate({"ca_file": "ca"}).reload_files() == []

"""otlp exporter with ``tls.insecure_skip_verify: true``: TLS through otelpy.grpcbridge.

Servers are real otelpy otlp receivers (gRPC over TLS, certificates from CAs the
exporter does not know) on 127.0.0.1, and a raw HTTP/2 TLS server (the ``h2`` package)
that records what arrives on the wire: :authority, :scheme, SNI, ALPN, TLS version.
"""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
import stat
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import h2.config
import h2.connection
import h2.events
import pytest
import uvloop

from otelpy.component import Kind, Signal
from otelpy.errors import RetryableError
from otelpy.exporters.otlp import OTLPConfig
from otelpy.pdata import Batch
from otelpy.receivers.otlp import OTLPReceiver
from otelpy.telemetry import Telemetry
from otelpy.testing.authhost import create_component
from otelpy.testing.certs import CertificateAuthority
from otelpy.testing.polling import until
from otelpy.testing.samples import logs_request, metrics_request, traces_request
from otelpy.testing.sink import FakeHost, SinkConsumer

SKIP = {"insecure_skip_verify": True}
NO_RETRY = {"enabled": False}
RETRY = {"initial_interval": "50ms", "max_interval": "200ms", "max_elapsed_time": "10s"}
FAILED = "otelcol_exporter_send_failed_spans_total"


class PKI:
    """A CA (unknown to the exporter) with a server and a client certificate on disk."""

    def __init__(self, directory: Path, name: str) -> None:
        self.ca = CertificateAuthority(f"{name} CA")
        self.dir = directory / name
        self.dir.mkdir()
        (self.dir / "ca.crt").write_bytes(self.ca.cert_pem)
        self.ca.issue("localhost", server=True).write(self.dir, "server")
        self.ca.issue(f"{name} client", client=True).write(self.dir, "client")

    def path(self, name: str) -> str:
        return str(self.dir / name)

    def server_tls(self, client_ca: PKI | None = None) -> dict[str, str]:
        tls = {"cert_file": self.path("server.crt"), "key_file": self.path("server.key")}
        if client_ca is not None:
            tls["client_ca_file"] = client_ca.path("ca.crt")
        return tls

    def client_tls(self) -> dict[str, str]:
        return {"cert_file": self.path("client.crt"), "key_file": self.path("client.key")}


class Rig:
    """Receivers and exporters started by a test, shut down at its end."""

    def __init__(self) -> None:
        self.telemetry = Telemetry()
        self.sink = SinkConsumer()
        self._started: list[Any] = []

    async def receiver(self, tls: dict[str, str], port: int = 0) -> tuple[OTLPReceiver, int]:
        doc = {"protocols": {"grpc": {"endpoint": f"127.0.0.1:{port}", "tls": tls}}}
        rcv: OTLPReceiver = create_component(Kind.RECEIVER, "otlp", doc, self.telemetry,
                                             {s: self.sink for s in Signal})
        await rcv.start(FakeHost())
        self._started.append(rcv)
        assert rcv.grpc is not None and rcv.grpc.port is not None
        return rcv, rcv.grpc.port

    async def exporter(self, port: int, tls: dict[str, Any], name: str = "skip",
                       retry: dict[str, Any] = NO_RETRY, **extra: Any) -> Any:
        doc = {"endpoint": f"localhost:{port}", "tls": tls, "timeout": "2s",
               "sending_queue": {"enabled": False}, "retry_on_failure": retry, **extra}
        exp = create_component(Kind.EXPORTER, f"otlp/{name}", doc, self.telemetry,
                               frozenset(Signal))
        await exp.start(FakeHost())
        self._started.append(exp)
        return exp

    def failed(self, name: str = "skip") -> float:
        return self.telemetry.value(FAILED, {"exporter": f"otlp/{name}"})

    async def close(self) -> None:
        for comp in reversed(self._started):
            await comp.shutdown()


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    r = Rig()
    yield r
    await r.close()


def traces(seed: int = 0, spans: int = 512) -> Batch:
    return Batch.from_bytes(Signal.TRACES, traces_request(spans, seed=seed).SerializeToString())


def bridge_dirs() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("otelpy-grpc-tls-*"))


# -- delivery ---------------------------------------------------------------------------------
async def bulk_delivery(tmp_path: Path) -> None:
    """40 requests of 512 spans (~5 MB) sent 10 at a time through one bridged connection,
    plus metrics and logs: everything arrives byte for byte."""
    rig = Rig()
    try:
        _, port = await rig.receiver(PKI(tmp_path, "a").server_tls())
        exp = await rig.exporter(port, SKIP, compression="none")
        sent = [traces(i) for i in range(40)] + [
            Batch.from_bytes(Signal.METRICS, metrics_request(20).SerializeToString()),
            Batch.from_bytes(Signal.LOGS, logs_request(30).SerializeToString())]
        gate = asyncio.Semaphore(10)

        async def send(batch: Batch) -> None:
            async with gate:
                await exp.consume(batch)

        await asyncio.wait_for(asyncio.gather(*(send(b) for b in sent)), 30)
    finally:
        await rig.close()
    assert sorted((x.signal, x.data) for x in rig.sink.batches) == sorted(
        (x.signal, x.data) for x in sent)
    assert rig.sink.items == {Signal.TRACES: 40 * 512, Signal.METRICS: 20, Signal.LOGS: 30}


async def test_bulk_delivery(tmp_path: Path) -> None:
    await bulk_delivery(tmp_path)


def test_bulk_delivery_on_uvloop(tmp_path: Path) -> None:
    """Production runs on uvloop, whose transports start reading after connection_made
    (the bridge must keep what arrives before the TLS side is up)."""
    uvloop.run(bulk_delivery(tmp_path))


async def test_delivers_to_an_unknown_ca_and_after_the_certificate_changes(
        rig: Rig, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    a, b = PKI(tmp_path, "a"), PKI(tmp_path, "b")
    before = bridge_dirs()
    server, port = await rig.receiver(a.server_tls())
    caplog.set_level(logging.WARNING)
    exp = await rig.exporter(port, SKIP, retry=RETRY)
    assert "tls::insecure_skip_verify: insecure_skip_verify is true" in caplog.text
    (directory,) = bridge_dirs() - before
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_ISSOCK((directory / "grpc.sock").stat().st_mode)

    sent = [traces(1), Batch.from_bytes(Signal.METRICS, metrics_request(20).SerializeToString()),
            Batch.from_bytes(Signal.LOGS, logs_request(30).SerializeToString())]
    for batch in sent:
        await exp.consume(batch)
    # the server's certificate is replaced by one from another unknown CA: new connection
    await server.shutdown()
    await rig.receiver(b.server_tls(), port=port)
    sent.append(traces(2))
    await asyncio.wait_for(exp.consume(sent[-1]), 15)

    assert [(x.signal, x.data) for x in rig.sink.batches] == [(x.signal, x.data) for x in sent]
    assert rig.sink.items == {Signal.TRACES: 1024, Signal.METRICS: 20, Signal.LOGS: 30}
    assert rig.failed() == 0
    await exp.shutdown()
    assert not directory.exists()  # shutdown removes the socket's directory
    assert bridge_dirs() == before


async def test_verification_stays_on_without_skip_verify(rig: Rig, tmp_path: Path) -> None:
    a, b = PKI(tmp_path, "a"), PKI(tmp_path, "b")
    _, port = await rig.receiver(a.server_tls())
    for name, tls in (("system", {}), ("other", {"ca_file": b.path("ca.crt")})):
        exp = await rig.exporter(port, tls, name=name)
        with pytest.raises(RetryableError, match="UNAVAILABLE"):
            await exp.consume(traces())
        assert rig.failed(name) == 512
    trusted = await rig.exporter(port, {"ca_file": a.path("ca.crt")}, name="trusted")
    await trusted.consume(traces())
    assert rig.sink.items[Signal.TRACES] == 512


async def test_mutual_tls(rig: Rig, tmp_path: Path) -> None:
    a, c, other = PKI(tmp_path, "a"), PKI(tmp_path, "c"), PKI(tmp_path, "other")
    _, port = await rig.receiver(a.server_tls(client_ca=c))
    with_cert = await rig.exporter(port, {**SKIP, **c.client_tls()}, name="cert")
    batch = traces(3)
    await with_cert.consume(batch)
    assert [x.data for x in rig.sink.batches] == [batch.data]
    for name, tls in (("nocert", SKIP), ("wrongcert", {**SKIP, **other.client_tls()})):
        exp = await rig.exporter(port, tls, name=name)
        with pytest.raises(RetryableError):
            await exp.consume(traces(4))
        assert rig.failed(name) == 512
    assert rig.sink.items[Signal.TRACES] == 512


async def test_server_down_is_retryable_and_recovers(
        rig: Rig, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    a = PKI(tmp_path, "a")
    server, port = await rig.receiver(a.server_tls())
    await server.shutdown()
    caplog.set_level(logging.WARNING)
    exp = await rig.exporter(port, SKIP)
    for _ in range(3):
        with pytest.raises(RetryableError, match="UNAVAILABLE"):
            await exp.consume(traces())
    assert rig.failed() == 3 * 512
    refused = [r for r in caplog.records if "cannot connect to localhost" in r.getMessage()]
    assert len(refused) == 1  # throttled
    assert f"tls: cannot connect to localhost:{port} over TLS" in refused[0].getMessage()

    await rig.receiver(a.server_tls(), port=port)
    batch = traces(5)
    deadline = asyncio.get_running_loop().time() + 15
    while True:  # grpc reconnects with backoff (1 s, then longer)
        try:
            await exp.consume(batch)
            break
        except RetryableError:
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.2)
    assert [x.data for x in rig.sink.batches] == [batch.data]


async def test_reloaded_client_certificate_reaches_new_connections(
        rig: Rig, tmp_path: Path) -> None:
    """reload_interval: the bridge takes the current SSLContext for new connections."""
    server_pki, a, b = PKI(tmp_path, "srv"), PKI(tmp_path, "a"), PKI(tmp_path, "b")
    live = tmp_path / "live"
    live.mkdir()

    def publish(pki: PKI) -> None:
        link = live / "current.new"
        link.symlink_to(pki.dir)
        os.replace(link, live / "current")

    publish(a)
    old, port = await rig.receiver(server_pki.server_tls(client_ca=a))
    exp = await rig.exporter(port, {**SKIP, "cert_file": str(live / "current/client.crt"),
                                    "key_file": str(live / "current/client.key"),
                                    "reload_interval": "100ms"}, retry=RETRY)
    await exp.consume(traces(6))
    publish(b)
    reloads = {"kind": "exporter", "component": "otlp/skip", "tls": "tls"}
    await until(lambda: rig.telemetry.value("otelpy_tls_reloads_total", reloads) >= 1,
                what="the exporter's TLS reload")
    await old.shutdown()
    await rig.receiver(server_pki.server_tls(client_ca=b), port=port)  # trusts only b
    await asyncio.wait_for(exp.consume(traces(7)), 15)
    assert rig.sink.items[Signal.TRACES] == 1024
    assert rig.failed() == 0


# -- what reaches the server ----------------------------------------------------------------
class H2Recorder:
    """A TLS HTTP/2 server answering every call with gRPC OK, recording what it saw."""

    def __init__(self, pki: PKI, max_version: ssl.TLSVersion | None = None,
                 client_cas: tuple[PKI, ...] = ()) -> None:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(pki.path("server.crt"), pki.path("server.key"))
        ctx.set_alpn_protocols(["h2"])
        if max_version is not None:
            ctx.maximum_version = max_version
        for ca in client_cas:
            ctx.load_verify_locations(ca.path("ca.crt"))
            ctx.verify_mode = ssl.CERT_OPTIONAL
        ctx.sni_callback = self._sni
        self.ctx = ctx
        self.requests: list[dict[str, str]] = []
        self.tls: list[tuple[str | None, str | None, str | None]] = []  # version, alpn, sni
        self.clients: list[str | None] = []  # common name of each connection's client cert
        self._sni_seen: str | None = None
        self._server: asyncio.Server | None = None

    def _sni(self, conn: ssl.SSLObject, name: str | None, ctx: ssl.SSLContext) -> None:
        self._sni_seen = name

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.ctx)
        return int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        tls = writer.get_extra_info("ssl_object")
        self.tls.append((tls.version(), tls.selected_alpn_protocol(), self._sni_seen))
        subject = dict(x[0] for x in (tls.getpeercert() or {}).get("subject", ()))
        self.clients.append(subject.get("commonName"))
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
        conn.initiate_connection()
        writer.write(conn.data_to_send())
        try:
            while data := await reader.read(65536):
                for event in conn.receive_data(data):
                    self._on(conn, event)
                writer.write(conn.data_to_send())
                await writer.drain()
        finally:
            writer.close()

    def _on(self, conn: h2.connection.H2Connection, event: Any) -> None:
        if isinstance(event, h2.events.RequestReceived):
            self.requests.append({_text(k): _text(v) for k, v in event.headers})
        elif isinstance(event, h2.events.DataReceived):
            conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        elif isinstance(event, h2.events.StreamEnded):
            sid = event.stream_id
            conn.send_headers(sid, [(":status", "200"), ("content-type", "application/grpc")])
            conn.send_data(sid, b"\x00\x00\x00\x00\x00")
            conn.send_headers(sid, [("grpc-status", "0")], end_stream=True)


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


@pytest.mark.parametrize(("extra", "authority", "sni", "version"), [
    ({}, "localhost:{port}", "localhost", "TLSv1.3"),
    ({"server_name_override": "collector.internal"}, "collector.internal",
     "collector.internal", "TLSv1.3"),
    ({"max_version": "1.2", "cipher_suites": ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"]},
     "localhost:{port}", "localhost", "TLSv1.2"),
], ids=["default", "server-name-override", "versions-and-ciphers"])
async def test_what_the_server_sees(rig: Rig, tmp_path: Path, extra: dict[str, Any],
                                    authority: str, sni: str, version: str) -> None:
    recorder = H2Recorder(PKI(tmp_path, "a"))
    port = await recorder.start()
    try:
        exp = await rig.exporter(port, {**SKIP, **extra}, headers={"x-tenant": "acme"})
        await exp.consume(traces(8, spans=4))
        await exp.shutdown()
    finally:
        await recorder.stop()
    (headers,) = recorder.requests
    assert headers[":authority"] == authority.format(port=port)
    assert headers[":scheme"] == "https"
    assert headers[":path"] == "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
    assert headers["x-tenant"] == "acme"
    assert recorder.tls == [(version, "h2", sni)]


async def test_min_version_is_enforced(rig: Rig, tmp_path: Path) -> None:
    """min_version 1.3 (refused for gRPC without skip-verify) holds through the bridge."""
    recorder = H2Recorder(PKI(tmp_path, "a"), max_version=ssl.TLSVersion.TLSv1_2)
    port = await recorder.start()
    try:
        exp = await rig.exporter(port, {**SKIP, "min_version": "1.3"})
        with pytest.raises(RetryableError):
            await exp.consume(traces(9, spans=4))
    finally:
        await recorder.stop()
    assert recorder.requests == []


async def test_reload_moves_new_calls_to_a_new_connection(rig: Rig, tmp_path: Path) -> None:
    """After a reload, new calls go through a new channel, hence a new bridged connection
    presenting the new client certificate, without waiting for the old one to break."""
    a, b = PKI(tmp_path, "a"), PKI(tmp_path, "b")
    live = tmp_path / "live"
    live.mkdir()
    (live / "current").symlink_to(a.dir)
    recorder = H2Recorder(PKI(tmp_path, "srv"), client_cas=(a, b))
    port = await recorder.start()
    try:
        exp = await rig.exporter(port, {**SKIP, "cert_file": str(live / "current/client.crt"),
                                        "key_file": str(live / "current/client.key"),
                                        "reload_interval": "100ms"})
        await exp.consume(traces(10, spans=4))
        await exp.consume(traces(11, spans=4))
        assert recorder.clients == ["a client"]
        (live / "next").symlink_to(b.dir)
        os.replace(live / "next", live / "current")
        reloads = {"kind": "exporter", "component": "otlp/skip", "tls": "tls"}
        await until(lambda: rig.telemetry.value("otelpy_tls_reloads_total", reloads) >= 1,
                    what="the exporter's TLS reload")
        await exp.consume(traces(12, spans=4))
        await exp.shutdown()
    finally:
        await recorder.stop()
    assert recorder.clients == ["a client", "b client"]
    assert len(recorder.requests) == 3


# -- configuration ----------------------------------------------------------------------------
@pytest.mark.parametrize(("endpoint", "problem"), [
    ("localhost:4317", None),
    ("https://collector:4317", None),
    ("dns:///collector:4317", None),
    ("[::1]:4317", None),
    ("unix:/run/otel.sock", "endpoint: 'unix:/run/otel.sock' is not host:port"),
    ("ipv4:10.0.0.1:4317,10.0.0.2:4317", "is not host:port"),
], ids=["host-port", "https", "dns", "ipv6", "unix", "ipv4-list"])
def test_skip_verify_endpoints(endpoint: str, problem: str | None) -> None:
    cfg = OTLPConfig.model_validate({"endpoint": endpoint, "tls": SKIP})
    problems = cfg.validate_config()
    if problem is None:
        assert problems == []
    else:
        assert len(problems) == 1 and problem in problems[0]
    # plaintext: no bridge, any target
    assert OTLPConfig.model_validate({"endpoint": "unix:/x", "tls": {
        **SKIP, "insecure": True}}).validate_config() == []

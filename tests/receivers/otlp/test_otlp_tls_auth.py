"""The otlp receiver behind TLS, mutual TLS and authenticators, with the otlp and
otlphttp exporters as its clients (and raw clients for what an exporter cannot show)."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import bcrypt
import grpc
import pytest

from otelpy.component import Kind, Signal
from otelpy.errors import ComponentStartError, PermanentError, RetryableError
from otelpy.pdata import Batch
from otelpy.receivers.otlp import OTLPReceiver
from otelpy.telemetry import Telemetry
from otelpy.testing.authhost import create_component, extension_host, stop_extensions
from otelpy.testing.certs import TLSFiles, write_tls_files
from otelpy.testing.samples import traces_request
from otelpy.testing.servers import GRPC_METHODS
from otelpy.testing.sink import FakeHost, SinkConsumer

TOKEN = "t0k3n-for-tests"
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    return write_tls_files(tmp_path_factory.mktemp("certs"))


class Rig:
    """Started components of one test; everything is shut down at teardown."""

    def __init__(self) -> None:
        self.telemetry = Telemetry()
        self.sink = SinkConsumer()
        self.host = FakeHost()
        self._started: list[Any] = []

    async def extensions(self, docs: dict[str, Any]) -> None:
        self.host = await extension_host(docs, self.telemetry)

    async def receiver(self, grpc_cfg: dict[str, Any] | None = None,
                       http_cfg: dict[str, Any] | None = None) -> OTLPReceiver:
        protocols: dict[str, Any] = {}
        if grpc_cfg is not None:
            protocols["grpc"] = {"endpoint": "127.0.0.1:0", **grpc_cfg}
        if http_cfg is not None:
            protocols["http"] = {"endpoint": "127.0.0.1:0", **http_cfg}
        rcv: OTLPReceiver = create_component(Kind.RECEIVER, "otlp", {"protocols": protocols},
                                             self.telemetry, {s: self.sink for s in Signal})
        self._started.append(rcv)
        await rcv.start(self.host)
        return rcv

    async def exporter(self, type_: str, endpoint: str, **cfg: Any) -> Any:
        doc = {"endpoint": endpoint, "sending_queue": {"enabled": False},
               "retry_on_failure": {"enabled": False}, **cfg}
        exp = create_component(Kind.EXPORTER, f"{type_}/client", doc, self.telemetry,
                               frozenset(Signal))
        self._started.append(exp)
        await exp.start(self.host)
        return exp

    def auth_failures(self, transport: str) -> float:
        return self.telemetry.value("otelpy_receiver_auth_failures_total",
                                    {"receiver": "otlp", "transport": transport})

    async def close(self) -> None:
        for comp in reversed(self._started):
            await comp.shutdown()
        await stop_extensions(self.host)


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    r = Rig()
    yield r
    await r.close()


def _batch(n: int = 7) -> Batch:
    return Batch.from_bytes(Signal.TRACES, traces_request(n).SerializeToString())


def _server_tls(certs: TLSFiles, **extra: Any) -> dict[str, Any]:
    return {"cert_file": str(certs.server_cert), "key_file": str(certs.server_key), **extra}


def _endpoint(rcv: OTLPReceiver, transport: str) -> str:
    server = rcv.grpc if transport == "grpc" else rcv.http
    assert server is not None
    return f"localhost:{server.port}"


async def _export(rig: Rig, transport: str, rcv: OTLPReceiver, tls: dict[str, Any],
                  **cfg: Any) -> Any:
    """An exporter of ``transport`` pointed at ``rcv`` over TLS."""
    if transport == "grpc":
        return await rig.exporter("otlp", _endpoint(rcv, "grpc"), tls=tls, **cfg)
    return await rig.exporter("otlphttp", f"https://{_endpoint(rcv, 'http')}", tls=tls, **cfg)


# -- TLS and mutual TLS ---------------------------------------------------------------------
@pytest.mark.parametrize("transport", ["grpc", "http"])
async def test_tls_round_trip(rig: Rig, certs: TLSFiles, transport: str) -> None:
    tls = _server_tls(certs)
    rcv = await rig.receiver(**{f"{transport}_cfg": {"tls": tls}})
    exp = await _export(rig, transport, rcv, {"ca_file": str(certs.ca)})
    await exp.consume(_batch(7))
    assert rig.sink.items[Signal.TRACES] == 7
    # a client that does not trust the server's CA is refused by its own verification
    other = await _export(rig, transport, rcv, {"ca_file": str(certs.other_ca)})
    with pytest.raises(RetryableError):
        await other.consume(_batch(3))
    assert rig.sink.items[Signal.TRACES] == 7


@pytest.mark.parametrize("transport", ["grpc", "http"])
async def test_mutual_tls_refuses_clients_without_a_trusted_certificate(
        rig: Rig, certs: TLSFiles, transport: str) -> None:
    rcv = await rig.receiver(**{f"{transport}_cfg": {
        "tls": _server_tls(certs, client_ca_file=str(certs.ca))}})
    ca = str(certs.ca)
    refused = [
        {"ca_file": ca},  # no client certificate
        {"ca_file": ca, "cert_file": str(certs.other_client_cert),
         "key_file": str(certs.other_client_key)},  # certificate from another CA
    ]
    for tls in refused:
        exp = await _export(rig, transport, rcv, tls)
        with pytest.raises(RetryableError):
            await exp.consume(_batch(3))
    assert rig.sink.total() == 0
    good = await _export(rig, transport, rcv, {"ca_file": ca, "cert_file": str(certs.client_cert),
                                               "key_file": str(certs.client_key)})
    await good.consume(_batch(5))
    assert rig.sink.items[Signal.TRACES] == 5


def _client_context(certs: TLSFiles, version: ssl.TLSVersion) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(certs.ca))
    ctx.minimum_version = ctx.maximum_version = version
    return ctx


async def test_min_version_13_refuses_a_tls12_only_client(rig: Rig, certs: TLSFiles) -> None:
    rcv = await rig.receiver(http_cfg={"tls": _server_tls(certs, min_version="1.3")})
    url = f"https://{_endpoint(rcv, 'http')}/v1/traces"
    body = traces_request(4).SerializeToString()
    headers = {"Content-Type": "application/x-protobuf"}
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientError):
            await session.post(url, data=body, headers=headers,
                               ssl=_client_context(certs, ssl.TLSVersion.TLSv1_2))
        async with session.post(url, data=body, headers=headers,
                                ssl=_client_context(certs, ssl.TLSVersion.TLSv1_3)) as resp:
            assert resp.status == 200
    # the otlphttp exporter limited to TLS 1.2 is refused the same way
    exp = await _export(rig, "http", rcv, {"ca_file": str(certs.ca), "max_version": "1.2"})
    with pytest.raises(RetryableError):
        await exp.consume(_batch(2))
    assert rig.sink.items[Signal.TRACES] == 4


# -- authenticators on both sides ------------------------------------------------------------
AUTH_CASES = {
    "bearer": ({"bearertokenauth/server": {"token": TOKEN},
                "bearertokenauth/client": {"token": TOKEN},
                "bearertokenauth/wrong": {"token": "not-the-token"}},
               "Bearer"),
    "basic": ({"basicauth/server": {"htpasswd": {"inline": "alice:" + bcrypt.hashpw(
                   PASSWORD.encode(), bcrypt.gensalt(4)).decode().replace("$2b$", "$2y$")}},
               "basicauth/client": {"client_auth": {"username": "alice", "password": PASSWORD}},
               "basicauth/wrong": {"client_auth": {"username": "alice", "password": "nope"}}},
              "Basic"),
}


@pytest.mark.parametrize("transport", ["grpc", "http"])
@pytest.mark.parametrize("kind", list(AUTH_CASES))
async def test_authenticated_exporter_to_authenticating_receiver(
        rig: Rig, transport: str, kind: str) -> None:
    docs, _ = AUTH_CASES[kind]
    await rig.extensions(docs)
    prefix = next(iter(docs)).split("/")[0]
    rcv = await rig.receiver(**{f"{transport}_cfg": {
        "auth": {"authenticator": f"{prefix}/server"}}})
    endpoint = _endpoint(rcv, transport)
    exp_type, url = ("otlp", endpoint) if transport == "grpc" else ("otlphttp",
                                                                      f"http://{endpoint}")
    plain = {"tls": {"insecure": True}} if transport == "grpc" else {}
    good = await rig.exporter(exp_type, url, auth={"authenticator": f"{prefix}/client"}, **plain)
    await good.consume(_batch(6))
    assert rig.sink.items[Signal.TRACES] == 6
    wrong = await rig.exporter(exp_type, url, auth={"authenticator": f"{prefix}/wrong"}, **plain)
    with pytest.raises(PermanentError, match="UNAUTHENTICATED|401"):
        await wrong.consume(_batch(3))
    anonymous = await rig.exporter(exp_type, url, **plain)
    with pytest.raises(PermanentError, match="UNAUTHENTICATED|401"):
        await anonymous.consume(_batch(2))
    assert rig.sink.items[Signal.TRACES] == 6
    assert rig.auth_failures(transport) == 2
    assert rig.auth_failures("grpc" if transport == "http" else "http") == 0


async def test_refusals_say_nothing_but_401_or_unauthenticated(rig: Rig) -> None:
    await rig.extensions({"bearertokenauth": {"token": TOKEN}})
    auth = {"auth": {"authenticator": "bearertokenauth"}}
    rcv = await rig.receiver(grpc_cfg=auth, http_cfg=auth)
    body = traces_request(2).SerializeToString()
    async with aiohttp.ClientSession() as session:
        async with session.post(f"http://{_endpoint(rcv, 'http')}/v1/traces", data=body,
                                headers={"Content-Type": "application/x-protobuf",
                                         "Authorization": "Bearer t0k3n-for-test"}) as resp:
            assert resp.status == 401
            assert resp.headers["WWW-Authenticate"] == 'Bearer realm="otelpy"'
            assert await resp.text() == "401 Unauthorized"
    async with grpc.aio.insecure_channel(_endpoint(rcv, "grpc")) as channel:
        call = channel.unary_unary(GRPC_METHODS[Signal.TRACES])
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await call(body, metadata=(("authorization", "Bearer wrong"),), timeout=5)
        assert info.value.code() is grpc.StatusCode.UNAUTHENTICATED
        assert info.value.details() == "unauthenticated"
        assert await call(body, metadata=(("authorization", f"Bearer {TOKEN}"),),
                          timeout=5) == b""
    assert rig.sink.items[Signal.TRACES] == 2
    assert (rig.auth_failures("http"), rig.auth_failures("grpc")) == (1, 1)


async def test_headers_setter_as_client_authenticator(rig: Rig) -> None:
    await rig.extensions({
        "bearertokenauth": {"token": TOKEN, "header": "X-Api-Key", "scheme": ""},
        "headers_setter": {"headers": [{"key": "X-Api-Key", "value": TOKEN}]},
    })
    rcv = await rig.receiver(http_cfg={"auth": {"authenticator": "bearertokenauth"}})
    exp = await rig.exporter("otlphttp", f"http://{_endpoint(rcv, 'http')}",
                             auth={"authenticator": "headers_setter"})
    await exp.consume(_batch(4))
    assert rig.sink.items[Signal.TRACES] == 4


async def test_tls_and_auth_together(rig: Rig, certs: TLSFiles) -> None:
    await rig.extensions({"bearertokenauth": {"token": TOKEN}})
    rcv = await rig.receiver(grpc_cfg={"tls": _server_tls(certs, client_ca_file=str(certs.ca)),
                                       "auth": {"authenticator": "bearertokenauth"}})
    exp = await _export(rig, "grpc", rcv, {"ca_file": str(certs.ca),
                                            "cert_file": str(certs.client_cert),
                                            "key_file": str(certs.client_key)},
                        auth={"authenticator": "bearertokenauth"})
    await exp.consume(_batch(9))
    assert rig.sink.items[Signal.TRACES] == 9


# -- start errors ---------------------------------------------------------------------------
async def test_start_fails_for_a_missing_or_unsuitable_authenticator(rig: Rig) -> None:
    await rig.extensions({"headers_setter": {"headers": [{"key": "a", "value": "b"}]},
                          "basicauth/server": {"htpasswd": {"inline": "u:p"}}})
    with pytest.raises(ComponentStartError, match=r'protocols::grpc::auth::authenticator: '
                       r'extension "bearertokenauth/nope" is not configured'):
        await rig.receiver(grpc_cfg={"auth": {"authenticator": "bearertokenauth/nope"}})
    with pytest.raises(ComponentStartError, match="not a server authenticator"):
        await rig.receiver(http_cfg={"auth": {"authenticator": "headers_setter"}})
    with pytest.raises(ComponentStartError, match="not a client authenticator"):
        await rig.exporter("otlphttp", "http://127.0.0.1:9",
                           auth={"authenticator": "basicauth/server"})


async def test_start_fails_naming_the_tls_key(rig: Rig, certs: TLSFiles) -> None:
    bad = _server_tls(certs, cert_file="/nonexistent/cert.pem")
    with pytest.raises(ComponentStartError,
                       match=r"^protocols::http::tls::cert_file: cannot read"):
        await rig.receiver(grpc_cfg={}, http_cfg={"tls": bad})


async def test_receivers_bind_loopback_by_default(rig: Rig) -> None:
    rcv: OTLPReceiver = create_component(Kind.RECEIVER, "otlp", None, rig.telemetry,
                                         {Signal.TRACES: rig.sink})
    assert rcv.cfg.protocols.grpc is not None and rcv.cfg.protocols.http is not None
    assert rcv.cfg.protocols.grpc.endpoint == "localhost:4317"
    assert rcv.cfg.protocols.http.endpoint == "localhost:4318"
    assert rcv.grpc is not None and rcv.http is not None
    assert rcv.grpc.endpoint.bind_host == rcv.http.endpoint.bind_host == "127.0.0.1"
    # what "localhost" binds, on real sockets
    live = await rig.receiver(grpc_cfg={"endpoint": "localhost:0"},
                              http_cfg={"endpoint": "localhost:0"})
    assert live.http is not None and live.http._runner is not None
    assert {a[0] for a in live.http._runner.addresses} == {"127.0.0.1"}
    assert live.grpc is not None
    with pytest.raises(OSError):
        _connect_from_non_loopback(live.grpc.port)


def _connect_from_non_loopback(port: int | None) -> None:
    """Connecting to a non-loopback address of this host must fail for a loopback bind."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # no packet is sent; picks the outward address
        outward = probe.getsockname()[0]
    if outward.startswith("127."):
        raise OSError("this host has no non-loopback address (nothing is exposed)")
    with socket.create_connection((outward, port or 0), timeout=2):
        pass

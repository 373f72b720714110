"""TLS, mutual TLS and authenticators between real processes, with the Python SDK as client.

B: otlp receiver, gRPC with mutual TLS + bearer token, HTTP with TLS + bearer token ->
file exporter; health_check over HTTPS behind basic auth (bcrypt htpasswd). The token
reaches B through ``${env:...}``.
A: two plaintext otlp receivers -> otlp exporter (mTLS, bearer token read from a file)
and otlphttp exporter (HTTPS, same token) -> B.
Checked: data crosses both routes; the SDK with ``headers={"authorization": "Bearer ..."}``
gets through to B on both transports and a wrong token or a missing client certificate
does not (counted, nothing written); the health check wants its password; no secret
appears in print-config or in either process's log.
"""

from __future__ import annotations

import base64
import os
import ssl
import subprocess
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bcrypt
import grpc
import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
    OTLPSpanExporter as GrpcSpanExporter,
)
from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
    OTLPSpanExporter as HttpSpanExporter,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otelpy.testing.certs import TLSFiles, write_tls_files
from otelpy.testing.process import OtelpyProcess, free_ports, wait_until

from . import configs
from .conftest import StartOtelpy
from .otlpfile import items_in, read_requests, wait_for_items

pytestmark = pytest.mark.integration

TOKEN = "it-b34rer-" + uuid.uuid4().hex
PROBE_PASSWORD = "probe-pw-" + uuid.uuid4().hex
SECRETS = (TOKEN, PROBE_PASSWORD)


@dataclass
class Setup:
    a: OtelpyProcess
    b: OtelpyProcess
    certs: TLSFiles
    out: Path
    a_grpc: int
    a_http: int
    b_grpc: int
    b_http: int
    b_health: int
    b_config: Path


def _server_tls(certs: TLSFiles, **extra: Any) -> dict[str, Any]:
    return {"cert_file": str(certs.server_cert), "key_file": str(certs.server_key), **extra}


def _b_config(certs: TLSFiles, out: Path, htpasswd: Path, ports: list[int]) -> dict[str, Any]:
    grpc_port, http_port, health, metrics = ports
    bearer = {"authenticator": "bearertokenauth"}
    return {
        "extensions": {
            "bearertokenauth": {"token": "${env:OTELPY_IT_TOKEN}"},
            "basicauth/probes": {"htpasswd": {"file": str(htpasswd)}},
            "health_check": {"endpoint": f"127.0.0.1:{health}", "tls": _server_tls(certs),
                             "auth": {"authenticator": "basicauth/probes"}},
        },
        "receivers": {"otlp": {"protocols": {
            "grpc": {"endpoint": f"127.0.0.1:{grpc_port}", "auth": bearer,
                     "tls": _server_tls(certs, client_ca_file=str(certs.ca))},
            "http": {"endpoint": f"127.0.0.1:{http_port}", "auth": bearer,
                     "tls": _server_tls(certs, min_version="1.3")},
        }}},
        "exporters": {"file": configs.file_exporter(out)},
        "service": {
            "extensions": ["bearertokenauth", "basicauth/probes", "health_check"],
            "telemetry": configs.telemetry(metrics),
            "pipelines": configs.pipelines(["otlp"], ["file"], signals=("traces",)),
        },
    }


def _a_config(certs: TLSFiles, token_file: Path, b: list[int], ports: list[int]) -> dict:
    a_grpc, a_http, a_grpc2, a_http2, metrics = ports
    auth = {"authenticator": "bearertokenauth/b"}
    return {
        "extensions": {"bearertokenauth/b": {"filename": str(token_file)}},
        "receivers": {"otlp": configs.otlp_receiver(a_grpc, a_http),
                      "otlp/viahttp": configs.otlp_receiver(a_grpc2, a_http2)},
        "exporters": {
            "otlp/b": {"endpoint": f"127.0.0.1:{b[0]}", "auth": auth,
                       "tls": {"ca_file": str(certs.ca), "cert_file": str(certs.client_cert),
                               "key_file": str(certs.client_key)}},
            "otlphttp/b": {"endpoint": f"https://127.0.0.1:{b[1]}", "auth": auth,
                           "tls": {"ca_file": str(certs.ca)}},
        },
        "service": {
            "extensions": ["bearertokenauth/b"],
            "telemetry": configs.telemetry(metrics),
            "pipelines": {
                **configs.pipelines(["otlp"], ["otlp/b"], signals=("traces",)),
                **configs.pipelines(["otlp/viahttp"], ["otlphttp/b"], signals=("traces",),
                                    suffix="/viahttp"),
            },
        },
    }


@pytest.fixture(scope="module")
def setup(start_module_otelpy: StartOtelpy, tmp_path_factory: pytest.TempPathFactory) -> Setup:
    base = tmp_path_factory.mktemp("tls-auth")
    certs = write_tls_files(base / "certs")
    htpasswd = base / "probes.htpasswd"
    htpasswd.write_text("probe:" + bcrypt.hashpw(PROBE_PASSWORD.encode(),
                                                bcrypt.gensalt(6)).decode() + "\n")
    token_file = base / "token"
    token_file.write_text(TOKEN + "\n")
    ports = free_ports(9)
    out = base / "b.jsonl"
    b_cfg = _b_config(certs, out, htpasswd, ports[:4])
    b = start_module_otelpy(b_cfg, name="tls-b", env={**os.environ, "OTELPY_IT_TOKEN": TOKEN})
    a = start_module_otelpy(_a_config(certs, token_file, ports[:2], ports[4:]), name="tls-a")
    assert b.config_path is not None
    return Setup(a, b, certs, out, ports[4], ports[6], ports[0], ports[1], ports[2],
                 b.config_path)


def _spans(run: str, n: int) -> list[ReadableSpan]:
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource({"service.name": "tls-it", "test.run": run}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("tls-it")
    for i in range(n):
        with tracer.start_as_current_span(f"op-{i}"):
            pass
    provider.shutdown()
    return list(memory.get_finished_spans())


def _grpc_exporter(port: int, certs: TLSFiles | None, token: str | None,
                   client_cert: bool = True, timeout: float = 3) -> GrpcSpanExporter:
    headers = {"authorization": f"Bearer {token}"} if token else None
    if certs is None:
        return GrpcSpanExporter(endpoint=f"127.0.0.1:{port}", insecure=True, timeout=timeout)
    creds = grpc.ssl_channel_credentials(
        certs.ca.read_bytes(), certs.client_key.read_bytes() if client_cert else None,
        certs.client_cert.read_bytes() if client_cert else None)
    return GrpcSpanExporter(endpoint=f"127.0.0.1:{port}", credentials=creds, headers=headers,
                            timeout=timeout)


def _auth_failures(setup: Setup, transport: str) -> float:
    return setup.b.metric("otelpy_receiver_auth_failures_total",
                          {"receiver": "otlp", "transport": transport})


@pytest.mark.parametrize("route", ["grpc", "http"])
def test_a_to_b_over_tls_with_bearer_token(setup: Setup, route: str) -> None:
    run = f"relay-{route}-{uuid.uuid4().hex[:8]}"
    port = setup.a_grpc if route == "grpc" else setup.a_http
    assert _grpc_exporter(port, None, None).export(_spans(run, 4)) is SpanExportResult.SUCCESS
    got = wait_for_items(setup.out, "traces", {"test.run": run}, 4)
    assert sorted(i.item.name for i in got) == ["op-0", "op-1", "op-2", "op-3"]


@pytest.mark.parametrize("transport", ["grpc", "http"])
def test_sdk_with_bearer_header_reaches_b(setup: Setup, transport: str,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override the SDK's certificate_file
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)

    def export(token: str, run: str) -> SpanExportResult:
        if transport == "grpc":
            exporter = _grpc_exporter(setup.b_grpc, setup.certs, token)
        else:
            exporter = HttpSpanExporter(
                endpoint=f"https://127.0.0.1:{setup.b_http}/v1/traces",
                certificate_file=str(setup.certs.ca), timeout=3,
                headers={"authorization": f"Bearer {token}"})
        try:
            return exporter.export(_spans(run, 3))
        finally:
            exporter.shutdown()

    good, bad = (f"sdk-{transport}-{k}-{uuid.uuid4().hex[:8]}" for k in ("ok", "bad"))
    before = _auth_failures(setup, transport)
    assert export(TOKEN, good) is SpanExportResult.SUCCESS
    assert export(TOKEN + "x", bad) is SpanExportResult.FAILURE
    assert len(wait_for_items(setup.out, "traces", {"test.run": good}, 3)) == 3
    wait_until(lambda: _auth_failures(setup, transport) == before + 1, 5.0,
               f"B to count one {transport} auth failure")
    assert items_in(read_requests(setup.out), "traces", {"test.run": bad}) == []


def test_mutual_tls_refuses_an_sdk_without_a_client_certificate(setup: Setup) -> None:
    run = f"no-cert-{uuid.uuid4().hex[:8]}"
    exporter = _grpc_exporter(setup.b_grpc, setup.certs, TOKEN, client_cert=False)
    try:
        assert exporter.export(_spans(run, 2)) is SpanExportResult.FAILURE
    finally:
        exporter.shutdown()
    assert items_in(read_requests(setup.out), "traces", {"test.run": run}) == []


def test_tls12_only_client_is_refused_by_a_min_13_server(setup: Setup) -> None:
    ctx = ssl.create_default_context(cafile=str(setup.certs.ca))
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    with pytest.raises(urllib.error.URLError) as info:
        urllib.request.urlopen(f"https://127.0.0.1:{setup.b_http}/v1/traces", context=ctx,
                               timeout=5)
    assert isinstance(info.value.reason, ssl.SSLError)


def _probe(setup: Setup, password: str | None) -> int:
    ctx = ssl.create_default_context(cafile=str(setup.certs.ca))
    req = urllib.request.Request(f"https://127.0.0.1:{setup.b_health}/status")
    if password is not None:
        pair = base64.b64encode(f"probe:{password}".encode()).decode()
        req.add_header("Authorization", f"Basic {pair}")
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=5) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_health_check_wants_its_password(setup: Setup) -> None:
    assert _probe(setup, None) == 401
    assert _probe(setup, "guess") == 401
    assert _probe(setup, PROBE_PASSWORD) == 200
    assert setup.b.metric("otelpy_extension_auth_failures_total",
                          {"extension": "health_check"}) >= 2


def test_refused_handshakes_do_not_flood_the_log(setup: Setup) -> None:
    for _ in range(3):
        exporter = _grpc_exporter(setup.b_grpc, setup.certs, TOKEN, client_cert=False,
                                  timeout=1)
        try:
            assert exporter.export(_spans("flood", 1)) is SpanExportResult.FAILURE
        finally:
            exporter.shutdown()
    assert "Handshake failed" not in setup.b.stderr()


def test_no_secret_in_print_config_or_logs(setup: Setup, otelpy_bin: Path) -> None:
    res = subprocess.run([str(otelpy_bin), "print-config", "--config", str(setup.b_config)],
                         capture_output=True, text=True, timeout=60,
                         env={**os.environ, "OTELPY_IT_TOKEN": TOKEN})
    assert res.returncode == 0, res.stderr
    assert "[REDACTED]" in res.stdout
    for text in (res.stdout, res.stderr, setup.a.stderr(), setup.b.stderr()):
        for secret in SECRETS:
            assert secret not in text

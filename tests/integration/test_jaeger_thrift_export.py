"""Python SDK -> otelpy (otlp -> jaeger_thrift exporter) -> a Jaeger-collector stand-in.

The stand-in in this test serves ``POST /api/traces`` and decodes each body with the Thrift
types jaeger-client generated from Jaeger's IDL, through the ``thrift`` package's pure-Python
binary protocol (nothing of otelpy's codec or generated code). Every span the SDK exported
must arrive as the Jaeger span the OTLP -> Jaeger rules give, compared field by field
against an expectation computed here from the SDK's own export: IDs (big-endian, signed
i64), parent, times in microseconds, typed tags, logs, FOLLOWS_FROM references for links,
the process.
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jaeger_client.thrift_gen.jaeger import ttypes
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status
from thrift.protocol.TBinaryProtocol import TBinaryProtocol
from thrift.transport.TTransport import TMemoryBuffer

from otelpy.testing.process import free_ports, wait_until

from . import configs, pysdk
from .conftest import StartOtelpy
from .otlpfile import Item, attrs

pytestmark = pytest.mark.integration

KIND = {Span.SPAN_KIND_CLIENT: "client", Span.SPAN_KIND_SERVER: "server",
        Span.SPAN_KIND_PRODUCER: "producer", Span.SPAN_KIND_CONSUMER: "consumer",
        Span.SPAN_KIND_INTERNAL: "internal"}


class Collector:
    """Decoded batches, request headers, and how many requests to refuse with 503 first."""

    def __init__(self, refuse: int = 0) -> None:
        self.batches: list[Any] = []
        self.headers: list[dict[str, str]] = []
        self.refuse = refuse
        self.refused = 0


def _handler(col: Collector) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if col.refused < col.refuse:
                col.refused += 1
                self.send_response(503)
            else:
                batch = ttypes.Batch()
                batch.read(TBinaryProtocol(TMemoryBuffer(body)))
                col.batches.append(batch)
                col.headers.append(dict(self.headers.items()))
                self.send_response(202 if self.path == "/api/traces" else 404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def collector(request: pytest.FixtureRequest) -> Iterator[tuple[Collector, int]]:
    col = Collector(getattr(request, "param", 0))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(col))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield col, server.server_address[1]
    server.shutdown()
    server.server_close()


def _signed(data: bytes) -> int:
    return int.from_bytes(data, "big", signed=True)


def _tag(t: Any) -> tuple[str, Any]:
    field = {ttypes.TagType.STRING: "vStr", ttypes.TagType.BOOL: "vBool",
             ttypes.TagType.LONG: "vLong", ttypes.TagType.DOUBLE: "vDouble",
             ttypes.TagType.BINARY: "vBinary"}[t.vType]
    return t.key, (field, getattr(t, field))


def _typed(value: Any) -> tuple[str, Any]:
    if isinstance(value, bool):
        return "vBool", value
    if isinstance(value, int):
        return "vLong", value
    if isinstance(value, float):
        return "vDouble", value
    if isinstance(value, list):
        return "vStr", json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return "vStr", value


def expected_tags(it: Item) -> list[tuple[str, Any]]:
    s = it.item
    tags = [(k, _typed(v)) for k, v in attrs(s.attributes).items()]
    tags += [("otel.scope.name", ("vStr", it.scope.name)),
             ("otel.scope.version", ("vStr", it.scope.version)),
             ("span.kind", ("vStr", KIND[s.kind]))]
    if s.status.code == Status.STATUS_CODE_OK:
        tags.append(("otel.status_code", ("vStr", "OK")))
    if s.status.code == Status.STATUS_CODE_ERROR:
        tags += [("otel.status_code", ("vStr", "ERROR")), ("error", ("vBool", True))]
    if s.status.message:
        tags.append(("otel.status_description", ("vStr", s.status.message)))
    if s.trace_state:
        tags.append(("w3c.tracestate", ("vStr", s.trace_state)))
    return tags


def check_span(it: Item, got: Any) -> None:
    s = it.item
    assert (got.traceIdHigh, got.traceIdLow) == (_signed(s.trace_id[:8]), _signed(s.trace_id[8:]))
    assert got.parentSpanId == (_signed(s.parent_span_id) if s.parent_span_id else 0)
    assert got.operationName == s.name
    assert got.startTime == s.start_time_unix_nano // 1000
    assert got.duration == (s.end_time_unix_nano - s.start_time_unix_nano) // 1000
    assert [_tag(t) for t in got.tags] == expected_tags(it), s.name
    want_logs = [(e.time_unix_nano // 1000,
                  [(k, _typed(v)) for k, v in attrs(e.attributes).items()]
                  + [("event", ("vStr", e.name))]) for e in s.events]
    assert [(lg.timestamp, [_tag(f) for f in lg.fields]) for lg in got.logs or ()] == want_logs
    want_refs = [(ttypes.SpanRefType.FOLLOWS_FROM, _signed(lk.trace_id[:8]),
                  _signed(lk.trace_id[8:]), _signed(lk.span_id)) for lk in s.links]
    assert [(r.refType, r.traceIdHigh, r.traceIdLow, r.spanId)
            for r in got.references or ()] == want_refs


def run_export(start: StartOtelpy, tmp_path: Path, col: Collector, port: int) -> list[Item]:
    grpc, http, metrics = free_ports(3)
    cfg = {
        "receivers": {"otlp": configs.otlp_receiver(grpc, http)},
        "exporters": {"jaeger_thrift": {
            "endpoint": f"http://127.0.0.1:{port}/api/traces",
            "retry_on_failure": {"initial_interval": "50ms", "max_interval": "100ms"}}},
        "service": {"telemetry": configs.telemetry(metrics),
                    "pipelines": configs.pipelines(["otlp"], ["jaeger_thrift"],
                                                   signals=("traces",))},
    }
    start(cfg, name="otelpy")
    sent = pysdk.send_traces("grpc", f"127.0.0.1:{grpc}", run="jaeger-thrift")
    pysdk.check_traces(sent, "jaeger-thrift", "grpc")
    wait_until(lambda: sum(len(b.spans) for b in col.batches) >= len(sent), timeout=30,
               what="the Jaeger stand-in got every span")
    return sent


def test_jaeger_thrift_batches_match_the_sdk_spans(start_otelpy: StartOtelpy, tmp_path: Path,
                                                   collector: tuple[Collector, int]) -> None:
    col, port = collector
    sent = run_export(start_otelpy, tmp_path, col, port)
    got = {sp.spanId: (b.process, sp) for b in col.batches for sp in b.spans}
    assert len(got) == len(sent) == 5
    for it in sent:
        process, span = got[_signed(it.item.span_id)]
        assert process.serviceName == "otelpy-it-python"
        assert [_tag(t) for t in process.tags] == [
            ("test.run", ("vStr", "jaeger-thrift")), ("test.transport", ("vStr", "grpc"))]
        check_span(it, span)
    assert all(h["Content-Type"] == "application/x-thrift" for h in col.headers)


@pytest.mark.parametrize("collector", [2], indirect=True)
def test_jaeger_thrift_retries_503(start_otelpy: StartOtelpy, tmp_path: Path,
                                   collector: tuple[Collector, int]) -> None:
    col, port = collector
    sent = run_export(start_otelpy, tmp_path, col, port)
    assert col.refused == 2
    assert sorted(sp.spanId for b in col.batches for sp in b.spans) == sorted(
        _signed(i.item.span_id) for i in sent)

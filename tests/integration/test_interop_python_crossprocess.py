"""Python: one trace across two processes, both exporting OTLP to otelpy -> file.

The test process is the client: a root span and a CLIENT span around a real ``httpx``
request whose headers carry the context (the SDK's W3C propagator, injected by hand:
no instrumentation package is in the lock). ``crossproc_app`` in another process is
the server: it continues the trace from ``traceparent`` with a SERVER span and an
INTERNAL child. Client and server export over different OTLP transports; what otelpy
wrote is exactly what the two SDKs exported, and the tree is whole across the process
boundary (one trace ID, the server span's parent is the client span).
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from otelpy.testing.process import free_ports

from . import configs
from .conftest import StartOtelpy
from .otlpfile import Item, assert_same_items, attrs, flatten, wait_for_items
from .pysdk import Recorder, _exporter_class, _exporter_kwargs, resource

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


def start_server(transport: str, endpoint: str, run: str, record: Path) -> tuple[
        subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.crossproc_app", transport, endpoint, run,
         str(record)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()  # blocks until the app listens (or exits)
    assert line.strip().isdigit(), f"server app did not start: {line!r} {proc.stderr.read()}"
    return proc, int(line)


def client_call(transport: str, endpoint: str, run: str, port: int) -> tuple[list[Item], str]:
    """Root + CLIENT span around one httpx GET; returns the exported items and the
    server span ID the server answered with."""
    rec = Recorder()
    exporter = rec.wrap(_exporter_class(transport, "traces"), encode_spans,
                        **_exporter_kwargs(transport, endpoint, "traces", None))
    provider = TracerProvider(resource=resource(run, transport))
    provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=100))
    tracer = provider.get_tracer("otelpy-it-client")
    with tracer.start_as_current_span("checkout"), tracer.start_as_current_span(
            "GET", kind=SpanKind.CLIENT, attributes={"server.port": port}) as span:
        headers: dict[str, str] = {}
        TraceContextTextMapPropagator().inject(headers)
        resp = httpx.get(f"http://127.0.0.1:{port}/work", headers=headers, timeout=30)
        span.set_attribute("http.response.status_code", resp.status_code)
        span.set_status(StatusCode.OK if resp.status_code == 201 else StatusCode.ERROR)
    provider.force_flush()
    provider.shutdown()
    return rec.items("traces"), resp.headers["x-server-span"]


def server_items(proc: subprocess.Popen[str], port: int, record: Path) -> list[Item]:
    httpx.post(f"http://127.0.0.1:{port}/shutdown", timeout=30)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, f"server app exited {proc.returncode}:\n{out}\n{err}"
    rec = json.loads(record.read_text())
    assert rec["requests"] and all(r == "SUCCESS" for r in rec["results"]), rec["results"]
    return [i for b64 in rec["requests"]
            for i in flatten("traces", ExportTraceServiceRequest.FromString(
                base64.b64decode(b64)))]


def check_tree(client: list[Item], server: list[Item], server_span_id: str) -> None:
    c = {i.item.name: i.item for i in client}
    s = {i.item.name: i.item for i in server}
    assert sorted(c) == ["GET", "checkout"] and sorted(s) == ["GET /work", "server-work"]
    root, call, handler, work = c["checkout"], c["GET"], s["GET /work"], s["server-work"]
    assert {sp.trace_id for sp in (root, call, handler, work)} == {root.trace_id}
    assert root.parent_span_id == b"" and call.parent_span_id == root.span_id
    assert handler.parent_span_id == call.span_id, "the cross-process parent link"
    assert handler.span_id.hex() == server_span_id
    assert work.parent_span_id == handler.span_id
    assert (call.kind, handler.kind, work.kind) == (
        Span.SPAN_KIND_CLIENT, Span.SPAN_KIND_SERVER, Span.SPAN_KIND_INTERNAL)
    version, trace_id, parent_id, flags = attrs(handler.attributes)["test.traceparent"].split("-")
    assert (version, trace_id, parent_id) == ("00", call.trace_id.hex(), call.span_id.hex())
    assert int(flags, 16) & 0x01, "the header says sampled"
    assert attrs(call.attributes)["http.response.status_code"] == 201
    assert attrs(handler.attributes)["http.response.status_code"] == 201
    assert call.status.code == Status.STATUS_CODE_OK
    assert [e.name for e in work.events] == ["work.done"]


@pytest.mark.parametrize(("client_transport", "server_transport"),
                         [("http", "grpc"), ("grpc", "http")])
def test_python_trace_crosses_process_boundary(start_otelpy: StartOtelpy, tmp_path: Path,
                                               client_transport: str,
                                               server_transport: str) -> None:
    grpc, http, metrics = free_ports(3)
    out = tmp_path / "out.jsonl"
    start_otelpy(configs.receiver_to_file(out, grpc, http, metrics), name="otelpy")
    ports = {"grpc": grpc, "http": http}
    run = f"xproc-{uuid.uuid4().hex[:8]}"
    record = tmp_path / "server-record.json"
    proc, port = start_server(server_transport, f"127.0.0.1:{ports[server_transport]}",
                              run, record)
    try:
        client, server_span = client_call(client_transport,
                                          f"127.0.0.1:{ports[client_transport]}", run, port)
        server = server_items(proc, port, record)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    check_tree(client, server, server_span)
    received = wait_for_items(out, "traces", {"test.run": run}, 4)
    assert_same_items(client + server, received, "client and server spans")
    check_tree([i for i in received if i.scope.name == "otelpy-it-client"],
               [i for i in received if i.scope.name == "otelpy-it-server"], server_span)

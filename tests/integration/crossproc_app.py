"""The server half of the Python cross-process trace test, run in its own process.

``python -m tests.integration.crossproc_app <grpc|http> <otlp endpoint> <run> <record.json>``
serves ``GET /work`` on a free loopback port (printed as the first stdout line): it
continues the caller's trace from the ``traceparent`` / ``tracestate`` headers with the
SDK's W3C propagator, records a SERVER span and an INTERNAL child, and answers 201 with
the server span's ID in ``x-server-span``. ``POST /shutdown`` makes it flush and shut the
provider down (every export must succeed), write what it exported (base64 protobuf per
export call) to ``record.json`` and exit 0.
"""

from __future__ import annotations

import base64
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from .pysdk import Recorder, _exporter_class, _exporter_kwargs, resource

PROPAGATOR = TraceContextTextMapPropagator()


def make_handler(tracer: trace.Tracer, stop: threading.Event) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            parent = PROPAGATOR.extract(dict(self.headers.items()))
            with tracer.start_as_current_span(
                    "GET /work", context=parent, kind=SpanKind.SERVER,
                    attributes={"http.request.method": "GET", "url.path": self.path,
                                "test.traceparent": self.headers.get("traceparent", "")},
            ) as span:
                with tracer.start_as_current_span("server-work",
                                                  attributes={"work.items": 3}) as work:
                    work.add_event("work.done", {"work.ok": True})
                span.set_attribute("http.response.status_code", 201)
                self._answer(201, f"{span.get_span_context().span_id:016x}")

        def do_POST(self) -> None:  # noqa: N802
            self._answer(200, "")
            stop.set()

        def _answer(self, code: int, server_span: str) -> None:
            self.send_response(code)
            self.send_header("x-server-span", server_span)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return None

    return Handler


def main(transport: str, endpoint: str, run: str, record: Path) -> None:
    rec = Recorder()
    exporter = rec.wrap(_exporter_class(transport, "traces"), encode_spans,
                        **_exporter_kwargs(transport, endpoint, "traces", None))
    provider = TracerProvider(resource=resource(run, transport))
    provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=100))
    stop = threading.Event()
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 make_handler(provider.get_tracer("otelpy-it-server"), stop))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(server.server_address[1], flush=True)
    stop.wait()
    server.shutdown()
    provider.force_flush()
    provider.shutdown()
    record.write_text(json.dumps({
        "requests": [base64.b64encode(r.SerializeToString()).decode() for r in rec.requests],
        "results": [getattr(r, "name", str(r)) for r in rec.results]}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], Path(sys.argv[4]))

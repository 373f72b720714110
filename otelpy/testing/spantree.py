"""Instrumented call trees made with the OpenTelemetry Python SDK, with known kinds, parents,
durations and errors, for tests of span-derived components.

Each call: ``frontend`` SERVER ``GET /checkout`` -> CLIENT ``GET price`` -> ``backend`` SERVER
``GET /price`` (its parent is the client span, as after W3C propagation) -> CLIENT
``SELECT prices`` with ``db.system=postgresql`` and ``db.name=prices``. Every ``error_every``-th
call fails at the backend (status ERROR with a message).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import SpanKind, Status, StatusCode

T0 = 1_767_225_600_000_000_000


class _Memory(SpanExporter):
    def __init__(self) -> None:
        self.spans: list[ReadableSpan] = []

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.spans.extend(spans)
        return SpanExportResult.SUCCESS


@dataclass
class CallTree:
    spans: list[ReadableSpan] = field(default_factory=list)

    def request(self) -> Any:
        """The spans as one ExportTraceServiceRequest."""
        from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

        return encode_spans(self.spans)

    def of(self, service: str, name: str | None = None) -> list[ReadableSpan]:
        return [s for s in self.spans if s.resource.attributes["service.name"] == service
                and (name is None or s.name == name)]


def provider(service: str, exporter: SpanExporter) -> TracerProvider:
    p = TracerProvider(resource=Resource.create({"service.name": service}))
    p.add_span_processor(SimpleSpanProcessor(exporter))
    return p


def call_tree(calls: int, seed: int = 1, error_every: int = 7,
              exporters: tuple[SpanExporter, SpanExporter] | None = None) -> CallTree:
    """``calls`` calls; spans go to ``exporters`` (frontend, backend) when given, and are
    always kept in the returned tree."""
    rnd = random.Random(seed)
    memory = _Memory()
    tree = CallTree(memory.spans)
    front_p, back_p = provider("frontend", memory), provider("backend", memory)
    if exporters is not None:
        front_p.add_span_processor(SimpleSpanProcessor(exporters[0]))
        back_p.add_span_processor(SimpleSpanProcessor(exporters[1]))
    front, back = front_p.get_tracer("shop.web", "1.2"), back_p.get_tracer("shop.api")
    t = T0
    for i in range(calls):
        total = rnd.randint(20, 400) * 1_000_000
        db = rnd.randint(1, 15) * 1_000_000
        failed = error_every > 0 and i % error_every == error_every - 1
        root = front.start_span("GET /checkout", kind=SpanKind.SERVER, start_time=t,
                                attributes={"http.route": "/checkout"})
        ctx = trace.set_span_in_context(root)
        client = front.start_span("GET price", ctx, kind=SpanKind.CLIENT,
                                  start_time=t + 1_000_000)
        server = back.start_span("GET /price", trace.set_span_in_context(client),
                                 kind=SpanKind.SERVER, start_time=t + 2_000_000)
        query = back.start_span("SELECT prices", trace.set_span_in_context(server),
                                kind=SpanKind.CLIENT, start_time=t + 3_000_000,
                                attributes={"db.system": "postgresql", "db.name": "prices"})
        query.end(t + 3_000_000 + db)
        if failed:
            server.set_status(Status(StatusCode.ERROR, "price_timeout"))
        server.end(t + total - 2_000_000)
        client.end(t + total - 1_000_000)
        root.end(t + total)
        t += total + 1_000_000
    for p in (front_p, back_p):
        p.shutdown()
    return tree

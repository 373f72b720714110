"""OTLP spans -> Jaeger Thrift ``jaeger.Batch`` (one per resource), for the ``jaeger_thrift``
exporter, after the Collector's ``pkg/translator/jaeger`` (OTLP -> Jaeger) rules.

* resource ``service.name`` -> ``process.serviceName`` (``OTLPResourceNoServiceName`` when
  absent), the other resource attributes -> process tags;
* IDs big-endian, reinterpreted as signed i64; the parent in ``parentSpanId``; links ->
  ``FOLLOWS_FROM`` references (their attributes have no Jaeger form and are dropped);
* times in microseconds (truncated), ``duration = end - start`` (0 when end < start);
* attributes -> tags of the same type (lists and maps as the Collector's JSON text), then
  ``otel.scope.name`` / ``otel.scope.version``, ``span.kind`` (``client``, ``server``,
  ``producer``, ``consumer``, ``internal``), ``otel.status_code`` (``OK`` / ``ERROR``),
  ``error: true`` for ERROR, ``otel.status_description``, ``w3c.tracestate`` and the
  ``otel.dropped_{attributes,events,links}_count`` when not zero;
* events -> logs at the event time: the attributes, then ``event: <name>`` unless an
  ``event`` attribute is already there.

Spans with an invalid trace or span ID (wrong length or all zero) are not translated; the
caller counts them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from otelpy.jaeger.model import FOLLOWS_FROM
from otelpy.jaeger.thriftcodec import thrift_span, thrift_tag, ttypes
from otelpy.pdata import items
from otelpy.pdata.values import to_value

NO_SERVICE_NAME = "OTLPResourceNoServiceName"
_KIND = {Span.SPAN_KIND_CLIENT: "client", Span.SPAN_KIND_SERVER: "server",
         Span.SPAN_KIND_PRODUCER: "producer", Span.SPAN_KIND_CONSUMER: "consumer",
         Span.SPAN_KIND_INTERNAL: "internal"}
_STATUS = {Status.STATUS_CODE_OK: "OK", Status.STATUS_CODE_ERROR: "ERROR"}


def valid_ids(span: Any) -> bool:
    return (len(span.trace_id) == 16 and any(span.trace_id)
            and len(span.span_id) == 8 and any(span.span_id))


def _tags(kvs: Any) -> list[Any]:
    return [thrift_tag(kv.key, to_value(kv.value)) for kv in kvs]


def process(resource: Any) -> Any:
    service = NO_SERVICE_NAME
    tags = []
    for kv in resource.attributes:
        if kv.key == "service.name":
            service = str(to_value(kv.value))
        else:
            tags.append(thrift_tag(kv.key, to_value(kv.value)))
    return ttypes.Process(serviceName=service, tags=tags or None)


def _extra_tags(scope: Any, span: Any) -> list[Any]:
    extra: list[tuple[str, Any]] = []
    if scope.name:
        extra.append(("otel.scope.name", scope.name))
    if scope.version:
        extra.append(("otel.scope.version", scope.version))
    if span.kind in _KIND:
        extra.append(("span.kind", _KIND[span.kind]))
    if span.status.code in _STATUS:
        extra.append(("otel.status_code", _STATUS[span.status.code]))
    if span.status.code == Status.STATUS_CODE_ERROR:
        extra.append(("error", True))
    if span.status.message:
        extra.append(("otel.status_description", span.status.message))
    if span.trace_state:
        extra.append(("w3c.tracestate", span.trace_state))
    for what in ("attributes", "events", "links"):
        count = getattr(span, f"dropped_{what}_count")
        if count:
            extra.append((f"otel.dropped_{what}_count", count))
    return [thrift_tag(k, v) for k, v in extra]


def _logs(span: Any) -> list[Any]:
    logs = []
    for event in span.events:
        fields = _tags(event.attributes)
        if event.name and not any(kv.key == "event" for kv in event.attributes):
            fields.append(thrift_tag("event", event.name))
        logs.append(ttypes.Log(timestamp=event.time_unix_nano // 1000, fields=fields))
    return logs


def _references(span: Any) -> list[Any]:
    refs = []
    for link in span.links:
        ref = thrift_span(link.trace_id, link.span_id, b"", "", 0, 0)
        refs.append(ttypes.SpanRef(refType=FOLLOWS_FROM, traceIdLow=ref.traceIdLow,
                                   traceIdHigh=ref.traceIdHigh, spanId=ref.spanId))
    return refs


def span(scope: Any, s: Any) -> Any:
    """One ``jaeger.Span`` for an OTLP span with valid IDs."""
    start = s.start_time_unix_nano // 1000
    duration = max(0, s.end_time_unix_nano - s.start_time_unix_nano) // 1000
    out = thrift_span(s.trace_id, s.span_id, s.parent_span_id, s.name, start, duration)
    out.tags = _tags(s.attributes) + _extra_tags(scope, s)
    out.logs = _logs(s) or None
    out.references = _references(s) or None
    return out


def batches(request: Any) -> Iterator[tuple[Any, int]]:
    """(``jaeger.Batch``, spans left out for invalid IDs) per resource envelope with spans;
    a resource whose spans are all invalid yields a batch without spans."""
    current: Any = None
    batch: Any = None
    invalid = 0
    for item in items.spans(request):
        if item.resource is not current:
            if batch is not None:
                yield batch, invalid
            current, invalid = item.resource, 0
            batch = ttypes.Batch(process=process(item.resource.resource), spans=[])
        if valid_ids(item.span):
            batch.spans.append(span(item.scope.scope, item.span))
        else:
            invalid += 1
    if batch is not None:
        yield batch, invalid

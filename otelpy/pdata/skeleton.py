"""Skeleton message types: the OTLP request envelopes down to the item level.

A skeleton declares the real field numbers and wire types of the OTLP envelopes
(request -> resource -> scope -> item) but keeps every item (span, metric, log
record) and every resource/scope as opaque ``bytes``. Parsing a request with a
skeleton checks the wire framing of the envelopes and of each item's own fields,
and counts items, without building Python objects for attributes. Serializing a
skeleton writes the same bytes back, so splitting a request never decodes it.

The descriptors are built at import time from a FileDescriptorProto; no generated
code and no protoc are involved.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

_F = descriptor_pb2.FieldDescriptorProto
_T = {
    "bytes": _F.TYPE_BYTES,
    "string": _F.TYPE_STRING,
    "uint32": _F.TYPE_UINT32,
    "int32": _F.TYPE_INT32,
    "int64": _F.TYPE_INT64,
    "fixed32": _F.TYPE_FIXED32,
    "fixed64": _F.TYPE_FIXED64,
    "sfixed64": _F.TYPE_SFIXED64,
    "double": _F.TYPE_DOUBLE,
    "bool": _F.TYPE_BOOL,
    "enum": _F.TYPE_INT32,  # enums are varints on the wire; int32 keeps unknown values
}

# (message name, [(field name, number, type or message name, repeated)])
_MESSAGES: list[tuple[str, list[tuple[str, int, str, bool]]]] = [
    # traces: Span keeps its nested messages opaque
    ("Span", [
        ("trace_id", 1, "bytes", False), ("span_id", 2, "bytes", False),
        ("trace_state", 3, "string", False), ("parent_span_id", 4, "bytes", False),
        ("name", 5, "string", False), ("kind", 6, "enum", False),
        ("start_time_unix_nano", 7, "fixed64", False), ("end_time_unix_nano", 8, "fixed64", False),
        ("attributes", 9, "bytes", True), ("dropped_attributes_count", 10, "uint32", False),
        ("events", 11, "bytes", True), ("dropped_events_count", 12, "uint32", False),
        ("links", 13, "bytes", True), ("dropped_links_count", 14, "uint32", False),
        ("status", 15, "bytes", False), ("flags", 16, "fixed32", False),
    ]),
    # logs
    ("LogRecord", [
        ("time_unix_nano", 1, "fixed64", False), ("severity_number", 2, "enum", False),
        ("severity_text", 3, "string", False), ("body", 5, "bytes", False),
        ("attributes", 6, "bytes", True), ("dropped_attributes_count", 7, "uint32", False),
        ("flags", 8, "fixed32", False), ("trace_id", 9, "bytes", False),
        ("span_id", 10, "bytes", False), ("observed_time_unix_nano", 11, "fixed64", False),
        ("event_name", 12, "string", False),
    ]),
    # metrics: data points are counted, so the skeleton reaches them
    ("DataPoints", [("data_points", 1, "bytes", True)]),
    ("Metric", [
        ("name", 1, "string", False), ("description", 2, "string", False),
        ("unit", 3, "string", False), ("gauge", 5, ".DataPoints", False),
        ("sum", 7, ".DataPoints", False), ("histogram", 9, ".DataPoints", False),
        ("exponential_histogram", 10, ".DataPoints", False), ("summary", 11, ".DataPoints", False),
        ("metadata", 12, "bytes", True),
    ]),
]


def _envelopes(signal: str, item: str, items: str) -> None:
    """Add the Checked (items parsed as skeleton items) and Framed (items as bytes) shapes."""
    scope, resource, request = f"Scope{signal}", f"Resource{signal}", f"{signal}Request"
    for variant, item_type in (("Checked", f".{item}"), ("Framed", "bytes")):
        _MESSAGES.extend([
            (variant + scope, [("scope", 1, "bytes", False), (items, 2, item_type, True),
                               ("schema_url", 3, "string", False)]),
            (variant + resource, [("resource", 1, "bytes", False),
                                  (f"scope_{signal.lower()}", 2, f".{variant}{scope}", True),
                                  ("schema_url", 3, "string", False)]),
            (variant + request, [(f"resource_{signal.lower()}", 1, f".{variant}{resource}", True)]),
        ])


_envelopes("Spans", "Span", "spans")
# traces again with each span reduced to its trace ID (the other fields stay unparsed)
_MESSAGES.extend([
    ("SpanTraceId", [("trace_id", 1, "bytes", False)]),
    ("TraceIdScopeSpans", [("spans", 2, ".SpanTraceId", True)]),
    ("TraceIdResourceSpans", [("scope_spans", 2, ".TraceIdScopeSpans", True)]),
    ("TraceIdRequest", [("resource_spans", 1, ".TraceIdResourceSpans", True)]),
    # a span's times, status code and trace state, under Span's field names
    ("SummaryStatus", [("code", 3, "enum", False)]),
    ("SpanSummary", [
        ("trace_state", 3, "string", False), ("start_time_unix_nano", 7, "fixed64", False),
        ("end_time_unix_nano", 8, "fixed64", False), ("status", 15, ".SummaryStatus", False),
    ]),
    ("SummaryScopeSpans", [("spans", 2, ".SpanSummary", True)]),
])
_envelopes("Logs", "LogRecord", "log_records")
_envelopes("Metrics", "Metric", "metrics")

_PACKAGE = "otelpy.skeleton"


def _build() -> dict[str, Any]:
    fdp = descriptor_pb2.FileDescriptorProto(
        name="otelpy/skeleton.proto", package=_PACKAGE, syntax="proto3"
    )
    for name, fields in _MESSAGES:
        msg = fdp.message_type.add(name=name)
        for fname, number, ftype, repeated in fields:
            f = msg.field.add(name=fname, number=number)
            f.label = _F.LABEL_REPEATED if repeated else _F.LABEL_OPTIONAL
            if ftype.startswith("."):
                f.type = _F.TYPE_MESSAGE
                f.type_name = f".{_PACKAGE}{ftype}"
            else:
                f.type = _T[ftype]
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    return {
        name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{_PACKAGE}.{name}"))
        for name, _ in _MESSAGES
    }


_CLASSES = _build()

CheckedTraces = _CLASSES["CheckedSpansRequest"]
FramedTraces = _CLASSES["FramedSpansRequest"]
FramedResourceSpans = _CLASSES["FramedResourceSpans"]
FramedScopeSpans = _CLASSES["FramedScopeSpans"]
TraceIdTraces = _CLASSES["TraceIdRequest"]
SummaryScopeSpans = _CLASSES["SummaryScopeSpans"]
CheckedLogs = _CLASSES["CheckedLogsRequest"]
FramedLogs = _CLASSES["FramedLogsRequest"]
FramedResourceLogs = _CLASSES["FramedResourceLogs"]
CheckedMetrics = _CLASSES["CheckedMetricsRequest"]
FramedMetrics = _CLASSES["FramedMetricsRequest"]
FramedResourceMetrics = _CLASSES["FramedResourceMetrics"]
Metric = _CLASSES["Metric"]

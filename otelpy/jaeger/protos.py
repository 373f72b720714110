"""Jaeger's ``jaeger.api_v2`` protobuf messages (model.proto and collector.proto of
jaegertracing/jaeger-idl, gogoproto options left out: they do not change the wire form).

``PostSpansRequest`` is what ``CollectorService/PostSpans`` receives. Trace IDs are 16 bytes
(high then low, big-endian), span IDs 8 bytes.
"""

from __future__ import annotations

from typing import Any

from otelpy.jaeger.model import JLog, JProcess, JRef, JSpan, Tag, tag_value
from otelpy.protoschema import ProtoFile

_TS = ".google.protobuf.Timestamp"
_DUR = ".google.protobuf.Duration"


def _schema() -> dict[str, Any]:
    f = ProtoFile("jaeger.api_v2", "otelpy/jaeger/api_v2/model.proto")
    f.enum("ValueType", ["STRING", "BOOL", "INT64", "FLOAT64", "BINARY"])
    f.enum("SpanRefType", ["CHILD_OF", "FOLLOWS_FROM"])
    f.message("KeyValue", [("key", 1, "string"), ("v_type", 2, "enum:ValueType"),
                           ("v_str", 3, "string"), ("v_bool", 4, "bool"),
                           ("v_int64", 5, "int64"), ("v_float64", 6, "double"),
                           ("v_binary", 7, "bytes")])
    f.message("Log", [("timestamp", 1, _TS), ("fields", 2, "KeyValue", "repeated")])
    f.message("SpanRef", [("trace_id", 1, "bytes"), ("span_id", 2, "bytes"),
                          ("ref_type", 3, "enum:SpanRefType")])
    f.message("Process", [("service_name", 1, "string"), ("tags", 2, "KeyValue", "repeated")])
    f.message("Span", [
        ("trace_id", 1, "bytes"), ("span_id", 2, "bytes"), ("operation_name", 3, "string"),
        ("references", 4, "SpanRef", "repeated"), ("flags", 5, "uint32"),
        ("start_time", 6, _TS), ("duration", 7, _DUR), ("tags", 8, "KeyValue", "repeated"),
        ("logs", 9, "Log", "repeated"), ("process", 10, "Process"),
        ("process_id", 11, "string"), ("warnings", 12, "string", "repeated")])
    f.message("Batch", [("spans", 1, "Span", "repeated"), ("process", 2, "Process")])
    f.message("PostSpansRequest", [("batch", 1, "Batch")])
    f.message("PostSpansResponse", [])
    return f.build()


_CLASSES = _schema()
KeyValue: Any = _CLASSES["KeyValue"]
Span: Any = _CLASSES["Span"]
Process: Any = _CLASSES["Process"]
Batch: Any = _CLASSES["Batch"]
PostSpansRequest: Any = _CLASSES["PostSpansRequest"]
PostSpansResponse: Any = _CLASSES["PostSpansResponse"]
SERVICE = "jaeger.api_v2.CollectorService"


def _ids(trace_id: bytes) -> tuple[int, int]:
    if len(trace_id) != 16:  # the Collector's TraceID takes 16 bytes; shorter is zero-padded
        trace_id = trace_id.rjust(16, b"\0")[-16:]
    return int.from_bytes(trace_id[:8], "big"), int.from_bytes(trace_id[8:], "big")


def _nanos(ts: Any) -> int:
    return int(ts.seconds) * 1_000_000_000 + int(ts.nanos)


def _tags(kvs: Any) -> list[Tag]:
    return [(kv.key, tag_value(kv.v_type, kv.v_str, kv.v_float64, kv.v_bool, kv.v_int64,
                               kv.v_binary)) for kv in kvs]


def _process(p: Any) -> JProcess:
    return JProcess(p.service_name, _tags(p.tags) if len(p.tags) else None)


def from_proto(batch: Any) -> tuple[JProcess | None, list[JSpan]]:
    """The neutral form of an ``api_v2.Batch``; empty spans are skipped."""
    spans = []
    for s in batch.spans:
        if s.ByteSize() == 0:
            continue
        high, low = _ids(s.trace_id)
        spans.append(JSpan(
            trace_high=high, trace_low=low, span_id=int.from_bytes(s.span_id[-8:], "big"),
            parent_span_id=0, operation_name=s.operation_name,
            start_ns=_nanos(s.start_time), duration_ns=_nanos(s.duration),
            tags=_tags(s.tags), logs=[JLog(_nanos(log.timestamp), _tags(log.fields))
                                      for log in s.logs],
            references=[JRef(*_ids(r.trace_id), int.from_bytes(r.span_id[-8:], "big"),
                             r.ref_type) for r in s.references],
            flags=s.flags, process=_process(s.process) if s.HasField("process") else None))
    return (_process(batch.process) if batch.HasField("process") else None), spans

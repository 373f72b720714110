"""otelpy.jaeger.from_otlp edge cases: invalid IDs, missing service name, one batch per
resource, the ``event`` attribute winning over the event name, negative durations,
lists and maps as JSON text, dropped counts; and the round trip through the Jaeger
receiver's decoder (Thrift bytes -> the same IDs, parent, tags)."""

from __future__ import annotations

from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from otelpy.jaeger import from_otlp
from otelpy.jaeger.thriftcodec import decode_batch, encode_batch, from_thrift

TRACE = bytes.fromhex("ff00000000000001" "0000000000000002")
SPAN = bytes.fromhex("8000000000000003")


def _kv(key: str, **value: Any) -> KeyValue:
    return KeyValue(key=key, value=AnyValue(**value))


def request() -> ExportTraceServiceRequest:
    req = ExportTraceServiceRequest()
    first = req.resource_spans.add()  # no service.name
    first.resource.attributes.append(_kv("host.name", string_value="h1"))
    spans = first.scope_spans.add().spans
    good = spans.add(trace_id=TRACE, span_id=SPAN, name="op", start_time_unix_nano=5_000,
                     end_time_unix_nano=4_000, dropped_attributes_count=2)
    good.attributes.append(_kv("m", kvlist_value={"values": [_kv("k", int_value=1)]}))
    ev = good.events.add(name="ignored", time_unix_nano=7_999)
    ev.attributes.append(_kv("event", string_value="from-attr"))
    spans.add(trace_id=bytes(16), span_id=SPAN, name="zero trace id")
    spans.add(trace_id=TRACE, span_id=b"\x01", name="short span id")
    second = req.resource_spans.add()
    second.resource.attributes.append(_kv("service.name", string_value="svc2"))
    second.scope_spans.add().spans.add(trace_id=TRACE, span_id=bytes.fromhex("00" * 7 + "09"),
                                       parent_span_id=SPAN, name="child")
    return req


def test_batches_per_resource_and_invalid_ids() -> None:
    out = list(from_otlp.batches(request()))
    assert [(b.process.serviceName, len(b.spans), invalid) for b, invalid in out] == [
        ("OTLPResourceNoServiceName", 1, 2), ("svc2", 1, 0)]
    first, second = out[0][0], out[1][0]
    assert [(t.key, t.vStr) for t in first.process.tags] == [("host.name", "h1")]
    assert second.process.tags is None
    span = first.spans[0]
    assert (span.traceIdHigh, span.traceIdLow, span.spanId) == (
        -0x00ffffffffffffff, 2, -0x7ffffffffffffffd)
    assert (span.startTime, span.duration, span.parentSpanId) == (5, 0, 0)
    tags = {t.key: t for t in span.tags}
    assert tags["m"].vStr == '{"k":1}'
    assert tags["otel.dropped_attributes_count"].vLong == 2
    assert "span.kind" not in tags and "otel.status_code" not in tags  # unspecified
    assert [(f.key, f.vStr) for f in span.logs[0].fields] == [("event", "from-attr")]
    assert span.logs[0].timestamp == 7


def test_round_trip_through_the_receiver_decoder() -> None:
    batch, _ = list(from_otlp.batches(request()))[1]
    process, spans = from_thrift(decode_batch(encode_batch(batch)))
    assert process is not None and process.service_name == "svc2"
    assert (spans[0].trace_high, spans[0].trace_low) == (0xff00000000000001, 2)
    assert spans[0].parent_id() == int.from_bytes(SPAN, "big")
    assert spans[0].span_id == 9

"""OTLP/JSON codec: round trips of random requests, the spec's examples, and refusals."""

from __future__ import annotations

import base64
import json
import math
from typing import Any

import pytest
from google.protobuf import json_format
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTracePartialSuccess,
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import (
    AnyValue,
    ArrayValue,
    InstrumentationScope,
    KeyValue,
    KeyValueList,
)
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
from opentelemetry.proto.metrics.v1.metrics_pb2 import (
    Exemplar,
    ExponentialHistogram,
    ExponentialHistogramDataPoint,
    Gauge,
    Histogram,
    HistogramDataPoint,
    Metric,
    NumberDataPoint,
    ResourceMetrics,
    ScopeMetrics,
    Sum,
    Summary,
    SummaryDataPoint,
)
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

from otelpy.component import Signal
from otelpy.errors import PermanentError
from otelpy.pdata import otlpjson
from otelpy.testing.samples import logs_request, metrics_request, traces_request

# -- strategies ------------------------------------------------------------------------
U64 = st.integers(0, 2**64 - 1)
I64 = st.integers(-(2**63), 2**63 - 1)
U32 = st.integers(0, 2**32 - 1)
FLOATS = st.floats(allow_nan=False)
TEXT = st.text(max_size=12)
TRACE_ID = st.one_of(st.just(b""), st.binary(min_size=16, max_size=16))
SPAN_ID = st.one_of(st.just(b""), st.binary(min_size=8, max_size=8))

SCALARS = st.one_of(
    TEXT.map(lambda v: AnyValue(string_value=v)),
    st.booleans().map(lambda v: AnyValue(bool_value=v)),
    I64.map(lambda v: AnyValue(int_value=v)),
    FLOATS.map(lambda v: AnyValue(double_value=v)),
    st.binary(max_size=12).map(lambda v: AnyValue(bytes_value=v)),
)


def _nest(children: st.SearchStrategy[AnyValue]) -> st.SearchStrategy[AnyValue]:
    kv = st.builds(lambda k, v: KeyValue(key=k, value=v), TEXT, children)
    return st.one_of(
        st.lists(children, max_size=3).map(lambda vs: AnyValue(array_value=ArrayValue(values=vs))),
        st.lists(kv, max_size=3).map(
            lambda kvs: AnyValue(kvlist_value=KeyValueList(values=kvs))),
    )


ANY_VALUE = st.recursive(SCALARS, _nest, max_leaves=4)
ATTRS = st.lists(st.builds(lambda k, v: KeyValue(key=k, value=v), TEXT, ANY_VALUE), max_size=3)
RESOURCE = st.builds(lambda a, d: Resource(attributes=a, dropped_attributes_count=d), ATTRS, U32)
SCOPE = st.builds(lambda n, v, a: InstrumentationScope(name=n, version=v, attributes=a),
                  TEXT, TEXT, ATTRS)


@st.composite
def spans(draw: st.DrawFn) -> Span:
    links = draw(st.lists(st.builds(
        lambda t, s, ts, a, f: Span.Link(trace_id=t, span_id=s, trace_state=ts, attributes=a,
                                         flags=f),
        TRACE_ID, SPAN_ID, TEXT, ATTRS, U32), max_size=2))
    events = draw(st.lists(st.builds(
        lambda t, n, a: Span.Event(time_unix_nano=t, name=n, attributes=a), U64, TEXT, ATTRS),
        max_size=2))
    return Span(
        trace_id=draw(TRACE_ID), span_id=draw(SPAN_ID), parent_span_id=draw(SPAN_ID),
        trace_state=draw(TEXT), name=draw(TEXT), kind=draw(st.integers(0, 5)),
        start_time_unix_nano=draw(U64), end_time_unix_nano=draw(U64),
        attributes=draw(ATTRS), dropped_attributes_count=draw(U32), events=events,
        links=links, flags=draw(U32),
        status=Status(code=draw(st.integers(0, 2)), message=draw(TEXT)),
    )


@st.composite
def traces(draw: st.DrawFn) -> ExportTraceServiceRequest:
    scope_spans = st.builds(lambda sc, sp, u: ScopeSpans(scope=sc, spans=sp, schema_url=u),
                            SCOPE, st.lists(spans(), max_size=3), TEXT)
    res = st.builds(lambda r, ss: ResourceSpans(resource=r, scope_spans=ss),
                    RESOURCE, st.lists(scope_spans, max_size=2))
    return ExportTraceServiceRequest(resource_spans=draw(st.lists(res, max_size=2)))


EXEMPLARS = st.lists(st.builds(
    lambda t, v, tr, sp, a: Exemplar(time_unix_nano=t, as_double=v, trace_id=tr, span_id=sp,
                                     filtered_attributes=a),
    U64, FLOATS, TRACE_ID, SPAN_ID, ATTRS), max_size=2)
NUMBER_POINTS = st.lists(st.builds(
    lambda t, v, ex, a: NumberDataPoint(time_unix_nano=t, as_int=v, exemplars=ex, attributes=a),
    U64, I64, EXEMPLARS, ATTRS), max_size=2)
HIST_POINTS = st.lists(st.builds(
    lambda c, s, b, bc, ex: HistogramDataPoint(count=c, sum=s, explicit_bounds=b,
                                               bucket_counts=bc, exemplars=ex),
    U64, FLOATS, st.lists(FLOATS, max_size=3), st.lists(U64, max_size=4), EXEMPLARS), max_size=2)
EXP_POINTS = st.lists(st.builds(
    lambda sc, z, pos, ex: ExponentialHistogramDataPoint(
        scale=sc, zero_count=z, exemplars=ex,
        positive=ExponentialHistogramDataPoint.Buckets(offset=-3, bucket_counts=pos)),
    st.integers(-10, 20), U64, st.lists(U64, max_size=3), EXEMPLARS), max_size=2)
SUMMARY_POINTS = st.lists(st.builds(
    lambda c, q: SummaryDataPoint(count=c, quantile_values=[
        SummaryDataPoint.ValueAtQuantile(quantile=0.5, value=q)]), U64, FLOATS), max_size=2)

METRICS = st.one_of(
    st.builds(lambda n, p: Metric(name=n, gauge=Gauge(data_points=p)), TEXT, NUMBER_POINTS),
    st.builds(lambda n, p, t, m: Metric(name=n, sum=Sum(data_points=p, aggregation_temporality=t,
                                                        is_monotonic=m)),
              TEXT, NUMBER_POINTS, st.integers(0, 2), st.booleans()),
    st.builds(lambda n, p: Metric(name=n, histogram=Histogram(data_points=p)), TEXT, HIST_POINTS),
    st.builds(lambda n, p: Metric(name=n, exponential_histogram=ExponentialHistogram(
        data_points=p)), TEXT, EXP_POINTS),
    st.builds(lambda n, p: Metric(name=n, summary=Summary(data_points=p)), TEXT, SUMMARY_POINTS),
)


@st.composite
def metrics(draw: st.DrawFn) -> ExportMetricsServiceRequest:
    scope = st.builds(lambda sc, ms: ScopeMetrics(scope=sc, metrics=ms), SCOPE,
                      st.lists(METRICS, max_size=3))
    res = st.builds(lambda r, ss: ResourceMetrics(resource=r, scope_metrics=ss), RESOURCE,
                    st.lists(scope, max_size=2))
    return ExportMetricsServiceRequest(resource_metrics=draw(st.lists(res, max_size=2)))


LOG_RECORDS = st.builds(
    lambda t, o, sev, txt, body, a, tr, sp, f, ev: LogRecord(
        time_unix_nano=t, observed_time_unix_nano=o, severity_number=sev, severity_text=txt,
        body=body, attributes=a, trace_id=tr, span_id=sp, flags=f, event_name=ev),
    U64, U64, st.integers(0, 24), TEXT, ANY_VALUE, ATTRS, TRACE_ID, SPAN_ID, U32, TEXT)


@st.composite
def logs(draw: st.DrawFn) -> ExportLogsServiceRequest:
    scope = st.builds(lambda sc, rs: ScopeLogs(scope=sc, log_records=rs), SCOPE,
                      st.lists(LOG_RECORDS, max_size=3))
    res = st.builds(lambda r, ss: ResourceLogs(resource=r, scope_logs=ss), RESOURCE,
                    st.lists(scope, max_size=2))
    return ExportLogsServiceRequest(resource_logs=draw(st.lists(res, max_size=2)))


FAST = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- round trips -----------------------------------------------------------------------
def _all_ids(doc: Any) -> list[str]:
    """Every value under an ID key anywhere in a JSON document."""
    found: list[str] = []
    if isinstance(doc, dict):
        for key, value in doc.items():
            if key in ("traceId", "spanId", "parentSpanId"):
                found.append(value)
            else:
                found.extend(_all_ids(value))
    elif isinstance(doc, list):
        for value in doc:
            found.extend(_all_ids(value))
    return found


def _check_round_trip(signal: Signal, req: Any) -> None:
    """encode -> decode gives the request back; the document is protobuf's JSON mapping
    with lowercase hex IDs."""
    doc = otlpjson.encode(req)
    assert doc == _reference_encode(req)
    for value in _all_ids(doc):
        assert len(value) in (16, 32) and value == value.lower()
    assert otlpjson.decode(signal, otlpjson.encode_bytes(req)) == req


@FAST
@given(traces())
def test_traces_round_trip(req: ExportTraceServiceRequest) -> None:
    _check_round_trip(Signal.TRACES, req)


@FAST
@given(metrics())
def test_metrics_round_trip(req: ExportMetricsServiceRequest) -> None:
    _check_round_trip(Signal.METRICS, req)


@FAST
@given(logs())
def test_logs_round_trip(req: ExportLogsServiceRequest) -> None:
    _check_round_trip(Signal.LOGS, req)


def _reference_encode(message: Any) -> Any:
    """protobuf's own JSON mapping with the IDs turned from base64 to hex: the oracle."""
    def hexify(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: (base64.b64decode(v).hex() if k in ("traceId", "spanId", "parentSpanId")
                        else hexify(v)) for k, v in node.items()}
        if isinstance(node, list):
            return [hexify(v) for v in node]
        return node
    return hexify(json_format.MessageToDict(message, use_integers_for_enums=True))


def test_nan_and_infinities() -> None:
    req = metrics_request(3)
    points = req.resource_metrics[0].scope_metrics[0].metrics[0].gauge.data_points
    points[0].as_double = float("nan")
    points.add(as_double=float("inf"))
    points.add(as_double=float("-inf"))
    doc = otlpjson.encode(req)
    values = [p["asDouble"] for p in
              doc["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][0]["gauge"]["dataPoints"]]
    assert values == ["NaN", "Infinity", "-Infinity"]
    back = otlpjson.decode(Signal.METRICS, otlpjson.encode_bytes(req))
    out = back.resource_metrics[0].scope_metrics[0].metrics[0].gauge.data_points
    assert math.isnan(out[0].as_double) and list(p.as_double for p in out[1:]) == [
        float("inf"), float("-inf")]
    assert back.SerializeToString() == req.SerializeToString()


def test_sample_requests_round_trip() -> None:
    for signal, req in ((Signal.TRACES, traces_request(64)), (Signal.METRICS, metrics_request(30)),
                        (Signal.LOGS, logs_request(30))):
        assert otlpjson.decode(signal, otlpjson.encode_bytes(req)) == req


def test_encode_shape() -> None:
    span = Span(trace_id=bytes(range(16)), span_id=b"\xab" * 8, kind=2,
                start_time_unix_nano=1544712660000000000,
                links=[Span.Link(trace_id=b"\x01" * 16, span_id=b"\x02" * 8)])
    req = ExportTraceServiceRequest(resource_spans=[ResourceSpans(
        scope_spans=[ScopeSpans(spans=[span])])])
    doc = otlpjson.encode(req)
    out = doc["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    assert out == {
        "traceId": "000102030405060708090a0b0c0d0e0f", "spanId": "abababababababab",
        "kind": 2, "startTimeUnixNano": "1544712660000000000",
        "links": [{"traceId": "01" * 16, "spanId": "02" * 8}],
    }
    assert json.loads(otlpjson.encode_bytes(req)) == doc


def test_encode_response_and_bytes_value() -> None:
    resp = ExportTraceServiceResponse(partial_success=ExportTracePartialSuccess(
        rejected_spans=2, error_message="bad"))
    assert otlpjson.encode(resp) == {"partialSuccess": {"rejectedSpans": "2",
                                                        "errorMessage": "bad"}}
    req = logs_request(1)
    req.resource_logs[0].scope_logs[0].log_records[0].body.bytes_value = b"\x00\xff"
    rec = otlpjson.encode(req)["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]
    assert rec["body"] == {"bytesValue": base64.b64encode(b"\x00\xff").decode()}


# -- the spec's examples (opentelemetry-proto/examples/*.json) ---------------------------
TRACE_JSON = """{"resourceSpans": [{
  "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "my.service"}}]},
  "scopeSpans": [{
    "scope": {"name": "my.library", "version": "1.0.0",
              "attributes": [{"key": "my.scope.attribute",
                              "value": {"stringValue": "some scope attribute"}}]},
    "spans": [{
      "traceId": "5B8EFFF798038103D269B633813FC60C", "spanId": "EEE19B7EC3C1B174",
      "parentSpanId": "EEE19B7EC3C1B173", "name": "I'm a server span",
      "startTimeUnixNano": 1544712660000000000, "endTimeUnixNano": 1544712661000000000,
      "kind": 2,
      "attributes": [{"key": "my.span.attr", "value": {"stringValue": "some value"}}]}]}]}]}"""

METRICS_JSON = """{"resourceMetrics": [{
  "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "my.service"}}]},
  "scopeMetrics": [{"scope": {"name": "my.library", "version": "1.0.0"}, "metrics": [
    {"name": "my.counter", "unit": "1", "description": "I am a Counter",
     "sum": {"aggregationTemporality": 1, "isMonotonic": true, "dataPoints": [
       {"asDouble": 5, "startTimeUnixNano": 1544712660300000000,
        "timeUnixNano": 1544712660300000000,
        "attributes": [{"key": "my.counter.attr", "value": {"stringValue": "some value"}}]}]}},
    {"name": "my.gauge", "unit": "1", "gauge": {"dataPoints": [
       {"asDouble": 10, "timeUnixNano": 1544712660300000000,
        "exemplars": [{"asInt": "7", "timeUnixNano": "1544712660300000000",
                       "traceId": "5b8efff798038103d269b633813fc60c",
                       "spanId": "eee19b7ec3c1b174"}]}]}},
    {"name": "my.histogram", "unit": "1", "histogram": {"aggregationTemporality": 1,
     "dataPoints": [{"startTimeUnixNano": 1544712660300000000,
                     "timeUnixNano": 1544712660300000000, "count": 3, "sum": 3,
                     "bucketCounts": [1, 1, 1], "explicitBounds": [1], "min": 1, "max": 1}]}}
  ]}]}]}"""

LOGS_JSON = """{"resourceLogs": [{
  "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "my.service"}}]},
  "scopeLogs": [{"scope": {"name": "my.library", "version": "1.0.0"}, "logRecords": [{
    "timeUnixNano": 1544712660300000000, "observedTimeUnixNano": 1544712660300000000,
    "severityText": "Information", "traceId": "5B8EFFF798038103D269B633813FC60C",
    "spanId": "EEE19B7EC3C1B174", "body": {"stringValue": "Example log record"},
    "attributes": [
      {"key": "string.attribute", "value": {"stringValue": "some string"}},
      {"key": "boolean.attribute", "value": {"boolValue": true}},
      {"key": "int.attribute", "value": {"intValue": 10}},
      {"key": "double.attribute", "value": {"doubleValue": 637.704}},
      {"key": "array.attribute", "value": {"arrayValue": {"values": [
        {"stringValue": "many"}, {"stringValue": "values"}]}}},
      {"key": "map.attribute", "value": {"kvlistValue": {"values": [
        {"key": "some.map.key", "value": {"stringValue": "some value"}}]}}}]}]}]}]}"""

TRACE_ID_BYTES = bytes.fromhex("5b8efff798038103d269b633813fc60c")
SPAN_ID_BYTES = bytes.fromhex("eee19b7ec3c1b174")


def test_spec_trace_example() -> None:
    req = otlpjson.decode(Signal.TRACES, TRACE_JSON.encode())
    rs = req.resource_spans[0]
    assert rs.resource.attributes[0].value.string_value == "my.service"
    assert rs.scope_spans[0].scope.name == "my.library"
    span = rs.scope_spans[0].spans[0]
    assert span.trace_id == TRACE_ID_BYTES
    assert span.span_id == SPAN_ID_BYTES
    assert span.parent_span_id == bytes.fromhex("eee19b7ec3c1b173")
    assert span.kind == Span.SPAN_KIND_SERVER
    assert span.start_time_unix_nano == 1544712660000000000
    assert span.end_time_unix_nano == 1544712661000000000
    assert span.attributes[0].value.string_value == "some value"


def test_spec_metrics_example() -> None:
    req = otlpjson.decode(Signal.METRICS, METRICS_JSON.encode())
    ms = req.resource_metrics[0].scope_metrics[0].metrics
    assert [m.name for m in ms] == ["my.counter", "my.gauge", "my.histogram"]
    assert ms[0].sum.is_monotonic and ms[0].sum.data_points[0].as_double == 5.0
    ex = ms[1].gauge.data_points[0].exemplars[0]
    assert (ex.trace_id, ex.span_id, ex.as_int) == (TRACE_ID_BYTES, SPAN_ID_BYTES, 7)
    hp = ms[2].histogram.data_points[0]
    assert list(hp.bucket_counts) == [1, 1, 1] and list(hp.explicit_bounds) == [1.0]
    assert (hp.count, hp.sum, hp.min, hp.max) == (3, 3.0, 1.0, 1.0)


def test_spec_logs_example() -> None:
    req = otlpjson.decode(Signal.LOGS, LOGS_JSON.encode())
    rec = req.resource_logs[0].scope_logs[0].log_records[0]
    assert (rec.trace_id, rec.span_id) == (TRACE_ID_BYTES, SPAN_ID_BYTES)
    assert rec.body.string_value == "Example log record"
    attrs = {kv.key: kv.value for kv in rec.attributes}
    assert attrs["int.attribute"].int_value == 10
    assert attrs["double.attribute"].double_value == 637.704
    assert [v.string_value for v in attrs["array.attribute"].array_value.values] == [
        "many", "values"]
    assert attrs["map.attribute"].kvlist_value.values[0].key == "some.map.key"


def test_lenient_forms() -> None:
    """snake_case keys, enum names, 64-bit ints as strings, unknown fields, empty IDs."""
    doc = {"resource_spans": [{"scope_spans": [{"spans": [{
        "trace_id": "5b8efff798038103D269B633813FC60C", "span_id": "EEE19B7EC3C1B174",
        "parent_span_id": "", "kind": "SPAN_KIND_CLIENT", "start_time_unix_nano": "42",
        "status": {"code": "STATUS_CODE_ERROR"}, "someFutureField": {"x": 1},
        "links": [{"trace_id": TRACE_ID_BYTES.hex(), "spanId": ""}]}]}]}],
        "unknownTopLevel": 1}
    req = otlpjson.decode(Signal.TRACES, json.dumps(doc))
    span = req.resource_spans[0].scope_spans[0].spans[0]
    assert span.trace_id == TRACE_ID_BYTES and span.span_id == SPAN_ID_BYTES
    assert span.parent_span_id == b"" and span.kind == Span.SPAN_KIND_CLIENT
    assert span.start_time_unix_nano == 42 and span.status.code == Status.STATUS_CODE_ERROR
    assert span.links[0].trace_id == TRACE_ID_BYTES and span.links[0].span_id == b""
    assert doc["resource_spans"][0]["scope_spans"][0]["spans"][0]["trace_id"].startswith("5b8e")


# -- partial decode and refusals ---------------------------------------------------------
def _spans_doc(*ids: tuple[str, str]) -> bytes:
    spans = [{"traceId": t, "spanId": s, "name": f"s{i}"} for i, (t, s) in enumerate(ids)]
    return json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": spans}]}]}).encode()


def test_partial_drops_spans_with_bad_ids() -> None:
    good = (TRACE_ID_BYTES.hex(), SPAN_ID_BYTES.hex())
    data = _spans_doc(good, ("abcd", good[1]), (good[0], "zz" * 8), good)
    out = otlpjson.decode_partial(Signal.TRACES, data)
    names = [s.name for s in out.message.resource_spans[0].scope_spans[0].spans]
    assert names == ["s0", "s3"]
    assert out.rejected == 2
    assert "spans[1].traceId" in out.error_message and "32 hex digits" in out.error_message
    with pytest.raises(PermanentError, match="spans\\[1\\].traceId"):
        otlpjson.decode(Signal.TRACES, data)


def test_partial_drops_span_with_bad_link_and_log_and_point() -> None:
    doc = {"resourceSpans": [{"scopeSpans": [{"spans": [
        {"name": "a", "links": [{"traceId": "00" * 15}]}, {"name": "b"}]}]}]}
    out = otlpjson.decode_partial(Signal.TRACES, json.dumps(doc))
    assert out.rejected == 1
    assert [s.name for s in out.message.resource_spans[0].scope_spans[0].spans] == ["b"]
    logs_doc = {"resourceLogs": [{"scopeLogs": [{"logRecords": [
        {"spanId": "0" * 17}, {"severityText": "ok", "spanId": "1" * 16}]}]}]}
    out = otlpjson.decode_partial(Signal.LOGS, json.dumps(logs_doc))
    assert out.rejected == 1
    assert out.message.resource_logs[0].scope_logs[0].log_records[0].severity_text == "ok"
    metrics_doc = {"resourceMetrics": [{"scopeMetrics": [{"metrics": [{"name": "m", "sum": {
        "dataPoints": [{"asInt": 1, "exemplars": [{"traceId": "x"}]}, {"asInt": 2}]}}]}]}]}
    out = otlpjson.decode_partial(Signal.METRICS, json.dumps(metrics_doc))
    assert out.rejected == 1 and "data points" in out.error_message
    points = out.message.resource_metrics[0].scope_metrics[0].metrics[0].sum.data_points
    assert [p.as_int for p in points] == [2]


@pytest.mark.parametrize("data, match", [
    (b"{", "invalid OTLP/JSON"),
    (b"\xff\xfe\x00", "invalid OTLP/JSON"),
    (b"[]", "expected a JSON object"),
    (b'{"resourceSpans": 3}', "resourceSpans: expected a JSON array"),
    (b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"name": 5}]}]}]}', "name"),
    (b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": 5}]}]}]}', "hex string"),
    (b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"startTimeUnixNano": "x"}]}]}]}',
     "startTimeUnixNano"),
    (b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"endTimeUnixNano": -1}]}]}]}',
     "endTimeUnixNano"),
    (b'{"resourceSpans": [{"scopeSpans": [{"spans": ["x"]}]}]}', "spans\\[0\\]"),
    (b"[" * 100000 + b"]" * 100000, "invalid OTLP/JSON"),
], ids=["truncated", "not-utf8", "array", "wrong-list", "wrong-scalar", "id-not-string",
        "bad-int-string", "negative-uint", "item-not-object", "deep"])
def test_refusals(data: bytes, match: str) -> None:
    with pytest.raises(PermanentError, match=match):
        otlpjson.decode(Signal.TRACES, data)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.sampled_from(["resourceSpans", "scopeSpans", "spans", "traceId",
                                       "resource", "attributes", "key", "value", "name",
                                       "links", "kind", "stringValue", "arrayValue", "values",
                                       "resourceMetrics", "scopeMetrics", "metrics", "sum",
                                       "dataPoints", "exemplars", "resourceLogs", "scopeLogs",
                                       "logRecords", "spanId", "body"]),
                      children, max_size=3),
    max_leaves=12)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(list(Signal)), JSON_VALUES)
def test_garbage_only_raises_permanent_error(signal: Signal, doc: Any) -> None:
    """Any JSON document either decodes or raises PermanentError, never anything else."""
    try:
        otlpjson.decode_partial(signal, json.dumps(doc).encode())
    except PermanentError as exc:
        assert str(exc)


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(
        doc, list) else ()
    for key, value in items:
        out.extend(_paths(value, (*prefix, key)))
    return out


def _rich_samples() -> dict[Signal, dict[str, Any]]:
    """Sample documents that also hold span links and exemplars."""
    t = traces_request(3)
    t.resource_spans[0].scope_spans[0].spans[0].links.add(trace_id=TRACE_ID_BYTES,
                                                           span_id=SPAN_ID_BYTES)
    m = metrics_request(6)
    m.resource_metrics[0].scope_metrics[0].metrics[0].gauge.data_points[0].exemplars.add(
        trace_id=TRACE_ID_BYTES, span_id=SPAN_ID_BYTES, as_int=1)
    return {Signal.TRACES: otlpjson.encode(t), Signal.METRICS: otlpjson.encode(m),
            Signal.LOGS: otlpjson.encode(logs_request(3))}


_SAMPLE_DOCS = _rich_samples()


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(list(Signal)), st.data(), JSON_VALUES)
def test_mutated_documents_only_raise_permanent_error(signal: Signal, data: st.DataObject,
                                                       value: Any) -> None:
    """A valid document with any one node replaced decodes or raises PermanentError."""
    doc = json.loads(json.dumps(_SAMPLE_DOCS[signal]))
    path = data.draw(st.sampled_from(_paths(doc)[1:]))
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    try:
        otlpjson.decode_partial(signal, json.dumps(doc).encode())
    except PermanentError as exc:
        assert str(exc)

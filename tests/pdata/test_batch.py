"""Batch: byte-level validation, counting, merge and split never change the data."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from otelpy.component import Signal
from otelpy.errors import PermanentError
from otelpy.pdata import Batch
from otelpy.testing.samples import logs_request, metrics_request, traces_request

_values = st.one_of(
    st.text(max_size=20).map(lambda s: AnyValue(string_value=s)),
    st.integers(-(2**63), 2**63 - 1).map(lambda i: AnyValue(int_value=i)),
    st.floats(allow_nan=False).map(lambda f: AnyValue(double_value=f)),
    st.booleans().map(lambda b: AnyValue(bool_value=b)),
    st.binary(max_size=10).map(lambda b: AnyValue(bytes_value=b)),
)
_attrs = st.lists(st.builds(KeyValue, key=st.text(max_size=10), value=_values), max_size=4)


@st.composite
def trace_requests(draw: st.DrawFn) -> ExportTraceServiceRequest:
    req = ExportTraceServiceRequest()
    for _ in range(draw(st.integers(0, 3))):
        rs = req.resource_spans.add()
        rs.resource.attributes.extend(draw(_attrs))
        rs.schema_url = draw(st.text(max_size=8))
        for _ in range(draw(st.integers(0, 3))):
            ss = rs.scope_spans.add()
            ss.scope.name = draw(st.text(max_size=8))
            for _ in range(draw(st.integers(0, 6))):
                span = ss.spans.add()
                span.trace_id = draw(st.binary(min_size=16, max_size=16))
                span.span_id = draw(st.binary(min_size=8, max_size=8))
                span.name = draw(st.text(max_size=12))
                span.kind = draw(st.integers(0, 5))
                span.start_time_unix_nano = draw(st.integers(0, 2**64 - 1))
                span.attributes.extend(draw(_attrs))
                ev = span.events.add()
                ev.name = draw(st.text(max_size=5))
    return req


def _spans(req: ExportTraceServiceRequest) -> list[tuple[bytes, bytes, bytes, str]]:
    """Each span with its resource and scope, as comparable bytes."""
    out = []
    for rs in req.resource_spans:
        for ss in rs.scope_spans:
            for s in ss.spans:
                out.append((rs.resource.SerializeToString(deterministic=True),
                            ss.scope.SerializeToString(deterministic=True),
                            s.SerializeToString(deterministic=True), rs.schema_url))
    return out


@settings(max_examples=150, deadline=None)
@given(trace_requests(), st.integers(1, 7))
def test_split_then_merge_keeps_every_span_in_order(req: ExportTraceServiceRequest,
                                                     max_items: int) -> None:
    data = req.SerializeToString()
    batch = Batch.from_bytes(Signal.TRACES, data)
    assert batch.item_count == len(_spans(req))
    parts = batch.split(max_items)
    assert all(p.item_count <= max_items for p in parts)
    assert sum(p.item_count for p in parts) == batch.item_count
    merged = Batch.merge(Signal.TRACES, [Batch.from_bytes(Signal.TRACES, p.data) for p in parts])
    assert _spans(merged.message) == _spans(req)


@settings(max_examples=100, deadline=None)
@given(trace_requests(), trace_requests())
def test_merge_is_byte_concatenation(a: ExportTraceServiceRequest,
                                     b: ExportTraceServiceRequest) -> None:
    ba = Batch.from_bytes(Signal.TRACES, a.SerializeToString())
    bb = Batch.from_bytes(Signal.TRACES, b.SerializeToString())
    merged = Batch.merge(Signal.TRACES, [ba, bb])
    assert merged.data == ba.data + bb.data
    assert merged.item_count == ba.item_count + bb.item_count
    assert _spans(merged.message) == _spans(a) + _spans(b)


@pytest.mark.parametrize(
    ("signal", "request_", "count"),
    [
        (Signal.TRACES, traces_request(37, resources=3), 37),
        (Signal.METRICS, metrics_request(25), 25),
        (Signal.LOGS, logs_request(19), 19),
    ],
    ids=["traces", "metrics", "logs"],
)
def test_counts_and_splits_every_signal(signal: Signal, request_: object, count: int) -> None:
    data = request_.SerializeToString()  # type: ignore[attr-defined]
    batch = Batch.from_bytes(signal, data)
    assert batch.item_count == count
    parts = batch.split(4)
    assert [p.item_count for p in parts] == [4] * (count // 4) + ([count % 4] if count % 4 else [])
    # a batch never decodes until asked
    assert batch._message is None
    assert batch.message == type(request_)().FromString(data)  # type: ignore[call-arg]


def test_decodes_lazily_and_serializes_lazily() -> None:
    req = traces_request(3)
    b = Batch.from_message(Signal.TRACES, req)
    assert b._data is None
    assert Batch.from_bytes(Signal.TRACES, b.data).item_count == 3
    msg = b.mutable_message()
    msg.resource_spans[0].scope_spans[0].spans.pop()
    assert b.item_count == 2
    assert Batch.from_bytes(Signal.TRACES, b.data).item_count == 2


@pytest.mark.parametrize(
    "data",
    [
        traces_request(4).SerializeToString()[:-3],  # truncated
        b"\x0a\xff\xff\xff\xff\x0f",  # length past the end
        b"\x0f\x01\x02",  # unknown wire type 7
        # a span whose name (field 5, a string) is invalid UTF-8
        ExportTraceServiceRequest().SerializeToString()
        + b"\x0a\x09\x12\x07\x12\x05\x2a\x03\xff\xfe\xfd",
    ],
    ids=["truncated", "overlong-length", "bad-wire-type", "span-name-not-utf8"],
)
def test_malformed_bytes_are_refused(data: bytes) -> None:
    with pytest.raises(PermanentError, match="malformed ExportTraceServiceRequest"):
        Batch.from_bytes(Signal.TRACES, data)


def test_metric_with_more_points_than_max_is_not_cut() -> None:
    req = metrics_request(3)
    m = req.resource_metrics[0].scope_metrics[0].metrics[0]
    for _ in range(9):
        m.gauge.data_points.add().as_double = 1.0
    batch = Batch.from_bytes(Signal.METRICS, req.SerializeToString())
    assert batch.item_count == 12
    assert [p.item_count for p in batch.split(5)] == [10, 2]

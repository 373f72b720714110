"""Spans as framed wire bytes: cut by scope and trace, decoded back, written into new
requests by concatenation; checked against the generated protobuf classes."""

from __future__ import annotations

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import ScopeSpans

from otelpy.errors import PermanentError
from otelpy.pdata.spanframes import (
    by_trace,
    count_spans,
    decode_envelope,
    decode_spans,
    decode_summaries,
    encode_request,
    frame_size,
    scopes,
)
from otelpy.pdata.values import Attributes


def request() -> ExportTraceServiceRequest:
    """Two resources (one with schema URLs, one without), two scopes in the first, traces
    interleaved, one span too long for a 2-byte length header."""
    req = ExportTraceServiceRequest()
    rs = req.resource_spans.add(schema_url="https://res")
    Attributes(rs.resource.attributes)["service.name"] = "a"
    for scope_name, traces in (("s1", [1, 2, 1, 3, 2]), ("s2", [4])):
        ss = rs.scope_spans.add(schema_url="https://scope")
        ss.scope.name, ss.scope.version = scope_name, "1.0"
        for i, t in enumerate(traces):
            span = ss.spans.add(trace_id=t.to_bytes(16, "big"), name=f"{scope_name}.{i}",
                                start_time_unix_nano=10 + i, end_time_unix_nano=20 + i,
                                trace_state=f"k={i}")
            span.status.code = i % 3
            Attributes(span.attributes)["i"] = i
    big = req.resource_spans.add().scope_spans.add()
    Attributes(big.spans.add(trace_id=(5).to_bytes(16, "big"), name="big").attributes)[
        "blob"] = "x" * 5000
    return req


def test_scopes_cut_spans_into_frames_with_their_trace_ids() -> None:
    req = request()
    cut = list(scopes(req.SerializeToString()))
    assert [len(frames) for _, frames, _ in cut] == [5, 1, 1]
    pairs = [(r, s) for r in req.resource_spans for s in r.scope_spans]
    for (envelope, frames, ids), (rs, ss) in zip(cut, pairs, strict=True):
        assert list(decode_spans(frames)) == list(ss.spans)
        assert ids == [s.trace_id for s in ss.spans]
        assert count_spans(frames) == len(ss.spans)
        assert frame_size(frames) == ScopeSpans(spans=ss.spans).ByteSize()
        resource, scope = decode_envelope(envelope)
        assert resource.resource == rs.resource and resource.schema_url == rs.schema_url
        assert scope.scope == ss.scope and scope.schema_url == ss.schema_url


def test_by_trace_groups_spans_in_order_of_first_appearance() -> None:
    cut = list(by_trace(request().SerializeToString()))
    first = cut[0][1]
    assert [(int.from_bytes(r.trace_id, "big"), r.spans) for r in first] == [
        (1, 2), (2, 2), (3, 1)]
    assert [s.name for s in decode_spans([first[0].frames])] == ["s1.0", "s1.2"]
    assert [s.name for s in decode_spans([first[1].frames])] == ["s1.1", "s1.4"]


def test_summaries_read_times_status_and_trace_state() -> None:
    envelope, frames, _ = next(scopes(request().SerializeToString()))
    got = [(s.start_time_unix_nano, s.end_time_unix_nano, s.status.code, s.trace_state)
           for s in decode_summaries(frames)]
    assert got == [(10 + i, 20 + i, i % 3, f"k={i}") for i in range(5)]


def test_encode_request_round_trips_through_the_generated_classes() -> None:
    req = request()
    parts = [(envelope, frames) for envelope, frames, _ in scopes(req.SerializeToString())]
    data = encode_request(parts)
    out = ExportTraceServiceRequest.FromString(data)
    # one ResourceSpans per part: the first resource comes back once per scope
    expected = ExportTraceServiceRequest()
    for rs in req.resource_spans:
        for ss in rs.scope_spans:
            copy = expected.resource_spans.add(schema_url=rs.schema_url)
            if rs.HasField("resource"):
                copy.resource.CopyFrom(rs.resource)
            copy.scope_spans.add().CopyFrom(ss)
    assert out == expected
    assert len(data) == expected.ByteSize()
    # frames of several parts join into one scope
    envelope = parts[0][0]
    joined = ExportTraceServiceRequest.FromString(
        encode_request([(envelope, [b"".join(parts[0][1]), *parts[1][1]])]))
    assert [s.name for s in joined.resource_spans[0].scope_spans[0].spans] == [
        "s1.0", "s1.1", "s1.2", "s1.3", "s1.4", "s2.0"]


def test_malformed_requests_are_refused() -> None:
    with pytest.raises(PermanentError, match="malformed"):
        list(scopes(b"\x0a\x05\x12\x03"))

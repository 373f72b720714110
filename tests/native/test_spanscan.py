"""otelpy.native._spanscan against the protobuf library's own decoding of the same requests,
and on arbitrary, truncated and mutated bytes (a ValueError, never a crash)."""

from __future__ import annotations

import bisect
from typing import Any

import pytest
from google.protobuf.message import DecodeError
from hypothesis import given
from hypothesis import strategies as st
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, InstrumentationScope
from opentelemetry.proto.resource.v1.resource_pb2 import Resource

from otelpy.native import _spanscan
from otelpy.pdata.values import Attributes
from tests.fuzz.conftest import budget

KEYS = ("peer.service", "db.name", "service.name")
_values = st.one_of(st.text(max_size=8), st.integers(-5, 5), st.booleans(),
                    st.lists(st.integers(0, 3), max_size=2))
_span = st.fixed_dictionaries({
    "name": st.sampled_from(["a", "GET /", "é", ""]), "kind": st.integers(-1, 7),
    "code": st.integers(0, 3), "start": st.integers(0, 2**64 - 1),
    "end": st.integers(0, 2**64 - 1), "trace_id": st.binary(max_size=16),
    "span_id": st.binary(max_size=8), "parent": st.binary(max_size=8),
    "attrs": st.dictionaries(st.sampled_from(KEYS + ("other",)), _values, max_size=4)})
_request = st.lists(st.tuples(
    st.dictionaries(st.sampled_from(KEYS + ("host.name",)), _values, max_size=3),
    st.lists(st.lists(_span, max_size=6), max_size=3)), max_size=3)


def build(resources: list[Any]) -> ExportTraceServiceRequest:
    req = ExportTraceServiceRequest()
    for res_attrs, scopes in resources:
        rs = req.resource_spans.add()
        Attributes(rs.resource.attributes).update(res_attrs)
        for i, spans in enumerate(scopes):
            ss = rs.scope_spans.add()
            ss.scope.name = f"s{i}"
            for d in spans:
                span = ss.spans.add(name=d["name"], kind=d["kind"], trace_id=d["trace_id"],
                                    span_id=d["span_id"], parent_span_id=d["parent"],
                                    start_time_unix_nano=d["start"],
                                    end_time_unix_nano=d["end"])
                span.status.code = d["code"]
                Attributes(span.attributes).update(d["attrs"])
    return req


def seconds(span: Any, divider: float) -> float:
    d = span.end_time_unix_nano - span.start_time_unix_nano
    return d / divider if d > 0 else 0.0


def raw(key_values: Any, wanted: tuple[str, ...]) -> dict[str, AnyValue]:
    out: dict[str, AnyValue] = {}
    for kv in key_values:
        if kv.key in wanted and kv.key not in out:
            out[kv.key] = kv.value
    return out


def decoded_edges(scanned: list[Any]) -> list[Any]:
    """edge_spans' answer with its serialized values decoded (bytes may differ from a
    re-serialization: unknown fields keep their place, repeated values are joined)."""
    def values(attrs: dict[str, bytes]) -> dict[str, AnyValue]:
        return {k: AnyValue.FromString(v) for k, v in attrs.items()}
    return [(values(res), [(*span[:6], values(span[6])) for span in spans])
            for res, spans in scanned]


def decoded_groups(scanned: list[Any]) -> list[Any]:
    return [(Resource.FromString(res), [(InstrumentationScope.FromString(scope), groups)
                                        for scope, groups in scopes])
            for res, scopes in scanned]


def expected_edges(req: ExportTraceServiceRequest) -> list[Any]:
    out = []
    for rs in req.resource_spans:
        spans = [(s.kind, s.trace_id, s.span_id, s.parent_span_id, seconds(s, 1e9),
                  s.status.code == 2, raw(s.attributes, KEYS[:2]))
                 for ss in rs.scope_spans for s in ss.spans if 2 <= s.kind <= 5]
        out.append((raw(rs.resource.attributes, KEYS), spans))
    return out


def expected_groups(req: ExportTraceServiceRequest, bounds: list[float] | None) -> list[Any]:
    out = []
    for rs in req.resource_spans:
        scopes = []
        for ss in rs.scope_spans:
            groups: dict[tuple[str, int, int], list[float]] = {}
            for s in ss.spans:
                groups.setdefault((s.name, s.kind, s.status.code), []).append(seconds(s, 1e6))
            scopes.append((ss.scope, [
                (*key, values, None if bounds is None else
                 [sum(1 for v in values if bisect.bisect_left(bounds, v) == i)
                  for i in range(len(bounds) + 1)])
                for key, values in groups.items()]))
        if scopes:
            out.append((rs.resource, scopes))
    return out


@budget(200)
@given(resources=_request, bounds=st.sampled_from([None, [], [0.5, 10.0, 1e9]]))
def test_against_the_protobuf_decoder(resources: list[Any], bounds: list[float] | None) -> None:
    req = build(resources)
    data = req.SerializeToString()
    assert decoded_edges(_spanscan.edge_spans(data, KEYS, KEYS[:2])) == expected_edges(req)
    assert decoded_groups(_spanscan.span_groups(data, bounds, 1e6)) == expected_groups(req, bounds)


def _field(number: int, payload: bytes) -> bytes:
    n, size = len(payload), b""
    while n > 0x7F:
        size += bytes([n & 0x7F | 0x80])
        n >>= 7
    return bytes([number << 3 | 2]) + size + bytes([n]) + payload


def test_repeated_fields_follow_the_parser() -> None:
    """A scalar repeated on the wire keeps its last value, a repeated message (status)
    merges, attributes appear in wire order wherever the resource sits: as protobuf."""
    span = build([({}, [[{"name": "first", "kind": 2, "code": 2, "start": 1, "end": 5,
                          "trace_id": b"t", "span_id": b"s", "parent": b"",
                          "attrs": {"peer.service": "p"}}]])]
                 ).resource_spans[0].scope_spans[0].spans[0].SerializeToString()
    span += b"\x2a\x04last\x30\x03" + _field(15, b"\x12\x01m")  # name, kind, status message
    span += b"\x1b\x08\x01\x1c"  # an unknown group (field 3): skipped
    span += _field(9, _field(1, b"db.name") + _field(2, b"\x0a\x01x") + _field(2, b"\x18\x07"))
    resource = build([({"service.name": "a"}, [])]).resource_spans[0].resource
    scope = _field(2, span)
    data = _field(1, _field(2, scope) + _field(1, resource.SerializeToString()))
    req = ExportTraceServiceRequest.FromString(data)
    parsed = req.resource_spans[0].scope_spans[0].spans[0]
    assert (parsed.name, parsed.kind, parsed.status.code) == ("last", 3, 2)
    assert decoded_groups(_spanscan.span_groups(data, None, 1e6)) == expected_groups(req, None)
    assert decoded_edges(_spanscan.edge_spans(data, KEYS, KEYS[:2])) == expected_edges(req)


def check_against_protobuf(data: bytes) -> bool:
    """Where protobuf parses ``data``, _spanscan gives what it gives; where it does not,
    _spanscan raises ValueError or answers (it does not check UTF-8 beyond span names),
    never crashes. True when protobuf parsed it."""
    try:
        req = ExportTraceServiceRequest.FromString(data)
    except DecodeError:
        for call in (_spanscan.span_groups, _spanscan.edge_spans):
            try:
                call(data, *((None, 1e6) if call is _spanscan.span_groups else (KEYS, KEYS[:2])))
            except ValueError:
                pass
        return False
    assert decoded_groups(_spanscan.span_groups(data, None, 1e6)) == expected_groups(req, None)
    assert decoded_edges(_spanscan.edge_spans(data, KEYS, KEYS[:2])) == expected_edges(req)
    return True


@budget(400)
@given(data=st.binary(max_size=300))
def test_arbitrary_bytes(data: bytes) -> None:
    check_against_protobuf(data)


@budget(150)
@given(resources=_request, cut=st.integers(0, 10_000), flip=st.integers(0, 10_000))
def test_truncated_and_mutated_requests(resources: list[Any], cut: int, flip: int) -> None:
    data = bytearray(build(resources).SerializeToString())
    assert check_against_protobuf(bytes(data))
    check_against_protobuf(bytes(data[:cut % (len(data) + 1)]))
    if data:
        data[flip % len(data)] ^= 0x5A
        check_against_protobuf(bytes(data))


def test_bad_arguments_are_type_errors() -> None:
    with pytest.raises(TypeError):
        _spanscan.edge_spans(b"", (1,), None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at most 64 keys"):
        _spanscan.edge_spans(b"", tuple(str(i) for i in range(65)), None)
    with pytest.raises(TypeError):
        _spanscan.span_groups(b"", ["x"], 1e6)  # type: ignore[list-item]

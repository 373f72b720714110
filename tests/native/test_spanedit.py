"""otelpy.native._spanedit on bytes that protobuf reads in unusual ways (repeated and unknown
fields, groups, empty values, bad UTF-8) and on arbitrary, truncated and mutated bytes. The
answer is a ValueError only where protobuf refuses the request too, None (the general path
runs instead) or the general path's result; never a crash."""

from __future__ import annotations

from typing import Any

import pytest
from google.protobuf.internal.encoder import _VarintBytes as varint
from google.protobuf.message import DecodeError
from hypothesis import given
from hypothesis import strategies as st
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from otelpy.component import Signal
from otelpy.native._spanedit import edit
from otelpy.ottl import ConditionSet, ErrorMode, StatementGroup
from otelpy.ottl.native import drop_ops, span_ops
from otelpy.pdata import items
from tests.fuzz.conftest import budget
from tests.ottl.test_native_ops import BENCHMARK, BENCHMARK_FILTER, _request, build

STATEMENTS = BENCHMARK + [
    'set(attributes["a"], attributes["b"]) where IsMatch(name, "^GET")',
    'set(attributes["n"], 7) where name != "x" and attributes["a"] < 1.5',
    'set(status.code, -1) where attributes["a"] == nil',
    'truncate_all(attributes, 1)',
]
FILTER = BENCHMARK_FILTER + ['attributes["b"] == 0x00ff or IsMatch(name, "[0-9]$")']
TRANSFORM_OPS, DROP_OPS = span_ops([("span", STATEMENTS, [])]), drop_ops("span", FILTER)


def field(number: int, payload: bytes) -> bytes:
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def kv(key: bytes, value: bytes | None, extra: bytes = b"") -> bytes:
    return field(1, key) + (b"" if value is None else field(2, value)) + extra


def request(*spans: bytes, resource: bytes = b"") -> bytes:
    scope = b"".join(field(2, s) for s in spans)
    return field(1, field(1, resource) + field(2, scope))


def span(*attrs: bytes, name: bytes = b"GET /x", tail: bytes = b"") -> bytes:
    return field(5, name) + b"".join(field(9, a) for a in attrs) + tail


def check(data: bytes) -> Any:
    """edit's answer for the transform then the filter ops, checked against protobuf and
    the general path; returns the transform's answer."""
    assert TRANSFORM_OPS is not None and DROP_OPS is not None
    try:
        req = ExportTraceServiceRequest.FromString(data)
    except DecodeError:
        req = None
    try:
        edited = edit(data, TRANSFORM_OPS)
    except ValueError:
        assert req is None  # refused only what protobuf refuses
        return "malformed"
    if edited is None or req is None:
        return edited
    for mode in ErrorMode:
        general = ExportTraceServiceRequest()
        general.CopyFrom(req)
        assert StatementGroup.compile(STATEMENTS, Signal.TRACES, "span").execute(
            general, mode, lambda text, exc: None) == 0
        assert ExportTraceServiceRequest.FromString(edited[0]) == general
    dropped = edit(edited[0], DROP_OPS)
    if dropped is not None:
        removed = ConditionSet.compile(FILTER, Signal.TRACES, "span").drop(
            general, items.retain_spans, ErrorMode.IGNORE, lambda text, exc: None)
        assert dropped[1] == removed
        assert ExportTraceServiceRequest.FromString(dropped[0]) == general
    return edited


STRING = b"\x0a\x03abc"  # AnyValue string_value "abc"
CASES = {
    "unknown KeyValue field": (request(span(kv(b"a", STRING, b"\x18\x01"))), None),
    "repeated value field (merged)": (request(span(kv(b"a", STRING) + field(2, STRING))), None),
    "AnyValue with two fields": (request(span(kv(b"a", STRING + b"\x18\x01"))), None),
    "AnyValue unknown field": (request(span(kv(b"a", b"\x48\x01"))), None),
    "AnyValue string as a varint": (request(span(kv(b"a", b"\x08\x01"))), None),
    "repeated status (merged)": (request(span(tail=field(15, b"\x18\x01") * 2)), None),
    "repeated key (the first counts)": (request(span(
        kv(b"a", b"\x18\x01"), kv(b"a", STRING), *[kv(b"server.address", STRING)] * 2)), "ok"),
    "key field twice (last wins)": (request(span(field(1, b"zz") + kv(b"b", STRING))), "ok"),
    "empty value kept": (request(span(kv(b"e", b""), kv(b"http.route", b"\x0a\x09/users/42"))),
                         "ok"),
    "value field absent": (request(span(kv(b"e", None), kv(b"a", STRING))), "ok"),
    "name twice (last wins)": (request(span(name=b"x", tail=field(5, b"OPTIONS /"))), "ok"),
    "group in a span": (request(span(kv(b"a", STRING), tail=b"\x8b\x01\x08\x01\x8c\x01")), "ok"),
    "bad UTF-8 key": (request(span(kv(b"\xc0\x80", STRING))), "malformed"),
    "bad UTF-8 value": (request(span(kv(b"a", b"\x0a\x02\xed\xa0"))), "malformed"),
    "bad UTF-8 name": (request(span(name=b"\xf5\x80")), "malformed"),
    "merged resources": (request(span(), resource=field(1, kv(b"x", STRING)))
                         + field(1, field(1, field(1, kv(b"deployment.environment", STRING)))),
                         "ok"),
    "unknown request field": (request(span(kv(b"a", STRING))) + b"\xa0\x06\x01", "ok"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_unusual_protobuf(name: str) -> None:
    data, expected = CASES[name]
    got = check(data)
    assert got == expected if expected in (None, "malformed") else isinstance(got, tuple)


def test_a_changed_span_keeps_its_empty_value_and_unknown_fields() -> None:
    data = request(span(kv(b"e", b""), kv(b"http.route", b"\x0a\x09/users/42"),
                        tail=b"\xa0\x06\x05"))
    edited = check(data)
    assert isinstance(edited, tuple) and edited[0] != data
    out = ExportTraceServiceRequest.FromString(edited[0]).resource_spans[0].scope_spans[0]
    assert out.spans[0].attributes[0].HasField("value")
    assert b"\xa0\x06\x05" in edited[0]


@budget(500)
@given(data=st.binary(max_size=300))
def test_arbitrary_bytes(data: bytes) -> None:
    check(data)


@budget(300)
@given(resources=_request, cut=st.integers(0, 5000), flip=st.integers(0, 5000),
       xor=st.integers(1, 255), insert=st.binary(min_size=1, max_size=4))
def test_truncated_mutated_and_spliced_requests(resources: list[Any], cut: int, flip: int,
                                                xor: int, insert: bytes) -> None:
    data = build(resources).SerializeToString()
    check(data[:cut % (len(data) + 1)])
    if data:
        at = flip % len(data)
        check(data[:at] + bytes([data[at] ^ xor]) + data[at + 1:])
        check(data[:at] + insert + data[at:])


def test_bad_ops_are_refused() -> None:
    for bad in (((9, None, "x"),), ((2, None),), ((5, (9, "x")),), ((6, (5, ()), -1),),
                ((0, None, "k", 1, b"\x2a\x00"),), ((3, None, 2**31),), ((4, None, -1),),
                ((5, (0, "k", 7, 1)),), ((5, (0, "k", 0, object())),)):
        with pytest.raises(ValueError):
            edit(b"", bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        edit(b"", [(2, None, "x")])  # type: ignore[arg-type]
    deep: Any = (5, ())
    for _ in range(100):
        deep = (7, deep)
    with pytest.raises(ValueError):
        edit(b"", ((5, deep),))


def test_callbacks_errors_propagate() -> None:
    data = request(span(kv(b"a", STRING)))

    def boom(text: str) -> str:
        raise ZeroDivisionError(text)
    with pytest.raises(ZeroDivisionError):
        edit(data, ((1, None, "a", boom),))
    with pytest.raises(TypeError, match="must return a str"):
        edit(data, ((1, None, "a", lambda text: 1),))
    with pytest.raises(ZeroDivisionError):
        edit(data, ((5, (4, boom)),))

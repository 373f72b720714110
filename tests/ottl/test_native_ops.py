"""The C path of the transform and filter processors (otelpy.ottl.native ->
otelpy.native._spanedit) against the general OTTL engine on the same requests: the decoded
results are equal, or the C path hands the request back (None); malformed bytes are a
ValueError, never a crash."""

from __future__ import annotations

from typing import Any

import pytest
from google.protobuf.message import DecodeError
from hypothesis import given
from hypothesis import strategies as st
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from otelpy.component import Signal
from otelpy.native._spanedit import edit
from otelpy.ottl import ConditionSet, ErrorMode, StatementGroup
from otelpy.ottl.native import drop_ops, span_ops
from otelpy.pdata import items
from otelpy.pdata.values import Attributes, set_value
from tests.fuzz.conftest import budget

BENCHMARK = [  # benchmarks/transform/otelpy-transform.yaml
    'set(span.attributes["deployment.environment"], resource.attributes["deployment.environment"])',
    'replace_pattern(span.attributes["http.route"], "/users/[^/]+", "/users/{user_id}")',
    'delete_key(span.attributes, "server.address")',
    'set(span.status.code, STATUS_CODE_ERROR) where '
    'span.attributes["http.response.status_code"] >= 500',
    'truncate_all(span.attributes, 64)',
]
OTHERS = [
    'set(attributes["env"], resource.attributes["env"])',
    'replace_pattern(attributes["http.route"], "^/(\\\\w+)/(\\\\d+)", "/$1/{id}")',
    'set(status.code, STATUS_CODE_OK) where attributes["code"] < 3',
    'set(status.code, 0) where attributes["code"] != 7',
    'set(status.code, STATUS_CODE_ERROR) where attributes["code"] == 2',
    'truncate_all(attributes, 5)',
    'delete_key(attributes, "env")',
]
FILTERS = [['attributes["http.route"] == "/health"', 'IsMatch(name, "^OPTIONS ")'],
           ['attributes["code"] == "x"'], ['IsMatch(name, "é")']]
KEYS = ["deployment.environment", "http.route", "server.address", "http.response.status_code",
        "env", "code", "other"]
_strings = st.one_of(st.sampled_from(["/users/42/x", "/health", "/a/17", "ok", "éé€€😀😀",
                                      "x" * 70, "é" * 40]), st.text(max_size=12))
_values = st.one_of(_strings, st.integers(-(2**63), 2**63 - 1), st.sampled_from([499, 500, 2]),
                    st.floats(allow_nan=True), st.booleans(), st.binary(max_size=3),
                    st.lists(st.integers(0, 3), max_size=2),
                    st.dictionaries(st.sampled_from(["a", "b"]), st.integers(-5, 5), max_size=2))
_span = st.tuples(st.sampled_from(["GET /", "OPTIONS /x", "é", ""]),
                  st.lists(st.tuples(st.sampled_from(KEYS), _values), max_size=6),
                  st.sampled_from([None, 0, 1, 2]), st.sampled_from(["", "msg"]))
_request = st.lists(st.tuples(st.lists(st.tuples(st.sampled_from(KEYS), _values), max_size=3),
                              st.lists(st.lists(_span, max_size=5), max_size=2)), max_size=3)


def build(resources: list[Any]) -> ExportTraceServiceRequest:
    req = ExportTraceServiceRequest()
    for res_attrs, scopes in resources:
        rs = req.resource_spans.add()
        for k, v in res_attrs:  # repeated keys kept, as they may arrive
            set_value(rs.resource.attributes.add(key=k).value, v)
        for spans in scopes:
            ss = rs.scope_spans.add()
            for name, attrs, code, message in spans:
                span = ss.spans.add(name=name)
                for k, v in attrs:
                    set_value(span.attributes.add(key=k).value, v)
                if code is not None:
                    span.status.code = code
                    span.status.message = message
    return req


def general_transform(req: ExportTraceServiceRequest, statements: list[str]) -> None:
    group = StatementGroup.compile(statements, Signal.TRACES, "span")
    group.execute(req, ErrorMode.IGNORE, lambda text, exc: None)


def general_filter(req: ExportTraceServiceRequest, conditions: list[str]) -> int:
    cs = ConditionSet.compile(conditions, Signal.TRACES, "span")
    return cs.drop(req, items.retain_spans, ErrorMode.IGNORE, lambda text, exc: None)


def check(resources: list[Any], statements: list[str], conditions: list[str]) -> bool:
    """True when the C path took the request (and agreed with the general path)."""
    req = build(resources)
    data = req.SerializeToString()
    ops = span_ops([("span", statements, [])])
    drops = drop_ops("span", conditions)
    assert ops is not None and drops is not None
    edited = edit(data, ops)
    if edited is None:
        return False
    general_transform(req, statements)
    assert edited[1] == 0
    assert ExportTraceServiceRequest.FromString(edited[0]) == req
    filtered = edit(edited[0], drops)
    if filtered is None:
        return False
    assert filtered[1] == general_filter(req, conditions)
    assert ExportTraceServiceRequest.FromString(filtered[0]) == req
    return True


@budget(300)
@given(resources=_request, statements=st.sampled_from([BENCHMARK, OTHERS, BENCHMARK + OTHERS]),
       conditions=st.sampled_from(FILTERS))
def test_native_equals_general(resources: list[Any], statements: list[str],
                               conditions: list[str]) -> None:
    check(resources, statements, conditions)


def test_the_benchmark_request_takes_the_native_path() -> None:
    from otelpy.testing.samples import traces_request
    req = traces_request(512)
    data = req.SerializeToString()
    ops, drops = span_ops([("span", BENCHMARK, [])]), drop_ops("span", FILTERS[0])
    assert ops is not None and drops is not None
    edited = edit(data, ops)
    assert edited is not None
    general_transform(req, BENCHMARK)
    assert ExportTraceServiceRequest.FromString(edited[0]) == req
    filtered = edit(edited[0], drops)
    assert filtered is not None and filtered[1] == general_filter(req, FILTERS[0]) > 0
    assert ExportTraceServiceRequest.FromString(filtered[0]) == req


def test_each_resource_gives_its_own_value_and_unknown_fields_survive_a_drop() -> None:
    resources = [([("env", "a")], [[("OPTIONS /", [], None, "")], [("GET /", [], None, "")]]),
                 ([], [[("GET /", [], None, "")]]),
                 ([("env", "c")], [[("GET /", [], None, "")]])]
    req = build(resources)
    data = req.SerializeToString() + b"\xa0\x06\x01"  # field 100, varint 1: unknown
    assert check(resources, OTHERS[:1], FILTERS[0])
    edited = edit(data, span_ops([("span", OTHERS[:1], [])]) or ())
    assert edited is not None
    envs = [[Attributes(s.attributes).get("env") for ss in rs.scope_spans for s in ss.spans]
            for rs in ExportTraceServiceRequest.FromString(edited[0]).resource_spans]
    assert envs == [["a", "a"], [None], ["c"]]
    dropped = edit(edited[0], drop_ops("span", FILTERS[0]) or ())
    assert dropped is not None and dropped[1] == 1 and dropped[0].endswith(b"\xa0\x06\x01")


def test_what_is_left_to_the_general_path() -> None:
    twice = [([("env", "a")], [[("n", [("env", "1"), ("env", "2")], None, "")]])]
    assert edit(build(twice).SerializeToString(), span_ops([("span", OTHERS, [])]) or ()) is None
    nested = [([("env", {"a": 1})], [[("n", [], None, "")]])]
    assert edit(build(nested).SerializeToString(), span_ops([("span", OTHERS, [])]) or ()) is None
    for statements in (['set(attributes["a"], "literal")'], ['set(status.code, 2)'],
                       ['delete_key(resource.attributes, "a")'], ['set(name, "x")'],
                       ['truncate_all(attributes, 5) where name == "x"'],
                       ['replace_pattern(attributes["a"], "x", "y", SHA256)']):
        assert span_ops([("span", statements, [])]) is None, statements
    assert span_ops([("span", BENCHMARK, ['name == "x"'])]) is None
    assert span_ops([("resource", BENCHMARK, [])]) is None
    assert drop_ops("span", ['attributes["a"] != "x"']) is None
    assert drop_ops("spanevent", FILTERS[0]) is None


@budget(200)
@given(resources=_request, cut=st.integers(0, 5000), flip=st.integers(0, 5000))
def test_truncated_and_mutated_bytes(resources: list[Any], cut: int, flip: int) -> None:
    data = bytearray(build(resources).SerializeToString())
    candidates = [bytes(data[:cut % (len(data) + 1)])]
    if data:
        data[flip % len(data)] ^= 0x3C
        candidates.append(bytes(data))
    ops = span_ops([("span", BENCHMARK + OTHERS, [])])
    assert ops is not None
    for candidate in candidates:
        try:
            req = ExportTraceServiceRequest.FromString(candidate)
        except DecodeError:
            req = None
        try:
            edited = edit(candidate, ops)
        except ValueError:
            assert req is None  # what protobuf reads, the C path reads too
            continue
        if edited is not None and req is not None:
            general_transform(req, BENCHMARK + OTHERS)
            assert ExportTraceServiceRequest.FromString(edited[0]) == req


def test_bad_ops_are_refused() -> None:
    with pytest.raises(ValueError, match="not a known op"):
        edit(b"", ((9, "x"),))
    with pytest.raises(TypeError):
        edit(b"", [(2, "x")])  # type: ignore[arg-type]

"""The C path of the transform and filter processors (otelpy.ottl.native ->
otelpy.native._spanedit) against the general OTTL engine: generated statements, conditions
and requests (every value type, missing and repeated keys, non-string values, multibyte
truncation) give the same decoded request under each error_mode, or the C path hands the
request back (None) for what it leaves to the general path (an array or map to copy), and
only then."""

from __future__ import annotations

from typing import Any

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
BENCHMARK_FILTER = ['attributes["http.route"] == "/health"', 'IsMatch(name, "^OPTIONS ")']
KEYS = ["a", "b", "http.route", "é", ""]
LITERALS = ['"x"', '"/health"', '"é"', '""', "0", "500", "-1", "9223372036854775807",
            "-9223372036854775807", "0.5", "-0.0", "100000000000000000000.0", "true", "false",
            "nil", "0x00ff"]
OPS = ["==", "!=", "<", "<=", ">", ">="]
REGEXES = ['"^GET"', '"OPT"', '"^é"', '"[0-9]+"', '"^$"', '""', '"^"']


def _key(draw: Any) -> str:
    return f'attributes["{draw(st.sampled_from(KEYS))}"]'


@st.composite
def conditions(draw: Any, depth: int = 0) -> str:
    kind = draw(st.integers(0, 5 if depth < 2 else 2))
    if kind == 0:
        left = draw(st.sampled_from([_key(draw), "name", "span.name",
                                     f'resource.attributes["{draw(st.sampled_from(KEYS))}"]']))
        lit, op = draw(st.sampled_from(LITERALS)), draw(st.sampled_from(OPS))
        flip = draw(st.booleans()) and not lit.startswith("-")  # "-1 == x" does not parse
        return f"{lit} {op} {left}" if flip else f"{left} {op} {lit}"
    if kind == 1:
        return f"IsMatch(name, {draw(st.sampled_from(REGEXES))})"
    if kind == 2:
        return draw(st.sampled_from(["true", "false"]))
    if kind == 3:
        return f"not ({draw(conditions(depth + 1))})"
    joiner = " and " if kind == 4 else " or "
    return joiner.join(f"({draw(conditions(depth + 1))})" for _ in range(draw(st.integers(1, 3))))


@st.composite
def statements(draw: Any) -> str:
    kind = draw(st.integers(0, 5))
    if kind == 0:
        source = draw(st.sampled_from([
            f'resource.attributes["{draw(st.sampled_from(KEYS))}"]', _key(draw),
            draw(st.sampled_from(LITERALS)), "SPAN_KIND_SERVER"]))
        text = f"set({_key(draw)}, {source})"
    elif kind == 1:
        text = f"set(span.status.code, {draw(st.sampled_from(['STATUS_CODE_ERROR', '1', '0']))})"
    elif kind == 2:
        regex, repl = draw(st.sampled_from(['"/users/[^/]+"', '"^x"', '"é+"', '"([0-9])"'])), \
            draw(st.sampled_from(['"{id}"', '"$1-"', '""']))
        text = f"replace_pattern({_key(draw)}, {regex}, {repl})"
    elif kind == 3:
        text = f'delete_key(span.attributes, "{draw(st.sampled_from(KEYS))}")'
    elif kind == 4:
        text = f"truncate_all(attributes, {draw(st.sampled_from([0, 1, 3, 5, 64]))})"
    else:
        text = 'replace_pattern(attributes["a"], "x", "y", SHA256, "h:%s")'
    return f"{text} where {draw(conditions())}" if draw(st.booleans()) else text


_strings = st.one_of(st.sampled_from(["/users/42/x", "/health", "x1", "GET /", "éé€€😀😀",
                                      "x" * 70, "é" * 40, "a€"]), st.text(max_size=8))
_scalars = st.one_of(_strings, st.integers(-(2**63), 2**63 - 1), st.sampled_from([499, 500, 0]),
                     st.floats(), st.booleans(), st.binary(max_size=3), st.none())
_nested = st.one_of(st.lists(st.integers(0, 3), max_size=2),
                    st.dictionaries(st.sampled_from(["a", "b"]), st.integers(-5, 5), max_size=2))
_values = st.integers(0, 24).flatmap(lambda i: _nested if i == 0 else _scalars)  # 1 in 25
_unique = st.dictionaries(st.sampled_from(KEYS), _values, max_size=5).map(lambda d: [*d.items()])
_repeated = st.lists(st.tuples(st.sampled_from(KEYS), _values), max_size=5)  # keys may repeat
_attrs = st.integers(0, 39).flatmap(lambda i: _repeated if i == 0 else _unique)
_span = st.tuples(st.sampled_from(["GET /users/1", "OPTIONS /x", "é", "", "x1"]), _attrs,
                  st.sampled_from([None, 0, 1, 2]), st.sampled_from(["", "msg"]))
_request = st.lists(st.tuples(_attrs, st.lists(st.lists(_span, min_size=1, max_size=4),
                                               min_size=1, max_size=2)), min_size=1, max_size=3)


def build(resources: list[Any]) -> ExportTraceServiceRequest:
    """A request with the attributes as listed: repeated keys kept (as they may arrive), a
    None value is a KeyValue whose value is present and empty."""
    req = ExportTraceServiceRequest()
    for res_attrs, scopes in resources:
        rs = req.resource_spans.add()
        for k, v in res_attrs:
            _add(rs.resource.attributes, k, v)
        for spans in scopes:
            ss = rs.scope_spans.add()
            for name, attrs, code, message in spans:
                span = ss.spans.add(name=name)
                for k, v in attrs:
                    _add(span.attributes, k, v)
                if code is not None:
                    span.status.code = code
                    span.status.message = message
    return req


def _add(kvs: Any, key: str, value: Any) -> None:
    kv = kvs.add(key=key)
    if value is None:
        kv.value.SetInParent()
    else:
        set_value(kv.value, value)


def _copies_nested(statements: list[str], resources: list[Any]) -> bool:
    """Some value that a set may copy is an array or a map (left to the general path)."""
    nested = any(isinstance(v, (list, dict)) for res, scopes in resources
                 for v in [v for _, v in res] + [v for spans in scopes for s in spans
                                                 for _, v in s[1]])
    return nested and any(t.startswith("set(attributes") for t in statements)


def general(resources: list[Any], statements: list[str], conds: list[str], mode: ErrorMode,
            fast: bool = True) -> ExportTraceServiceRequest:
    req = build(resources)
    group = StatementGroup.compile(statements, Signal.TRACES, "span", conds, fast=fast)
    assert group.execute(req, mode, lambda text, exc: None) == 0  # nothing here can fail
    return req


@budget(400)
@given(resources=_request, stmts=st.lists(statements(), min_size=1, max_size=5),
       gate=st.lists(conditions(), max_size=2))
def test_statements_equal_the_general_path(resources: list[Any], stmts: list[str],
                                           gate: list[str]) -> None:
    ops = span_ops([("span", stmts, gate)])
    assert ops is not None, stmts
    data = build(resources).SerializeToString()
    edited = edit(data, ops)
    if edited is None:
        assert _copies_nested(stmts, resources)
        return
    assert edited[1] == 0
    for mode in ErrorMode:
        assert ExportTraceServiceRequest.FromString(edited[0]) == general(
            resources, stmts, gate, mode)
    assert ExportTraceServiceRequest.FromString(edited[0]) == general(
        resources, stmts, gate, ErrorMode.IGNORE, fast=False)


@budget(300)
@given(resources=_request, conds=st.lists(conditions(), min_size=1, max_size=3))
def test_conditions_drop_what_the_filter_drops(resources: list[Any], conds: list[str]) -> None:
    ops = drop_ops("span", conds)
    assert ops is not None, conds
    dropped = edit(build(resources).SerializeToString(), ops)
    assert dropped is not None
    for mode in ErrorMode:
        req = build(resources)
        removed = ConditionSet.compile(conds, Signal.TRACES, "span").drop(
            req, items.retain_spans, mode, lambda text, exc: None)
        assert dropped[1] == removed
        assert ExportTraceServiceRequest.FromString(dropped[0]) == req


def test_the_benchmark_request_takes_the_native_path() -> None:
    from otelpy.testing.samples import traces_request
    req = traces_request(512)
    ops, drops = span_ops([("span", BENCHMARK, [])]), drop_ops("span", BENCHMARK_FILTER)
    assert ops is not None and drops is not None
    edited = edit(req.SerializeToString(), ops)
    assert edited is not None
    StatementGroup.compile(BENCHMARK, Signal.TRACES, "span").execute(
        req, ErrorMode.PROPAGATE, lambda text, exc: None)
    assert ExportTraceServiceRequest.FromString(edited[0]) == req
    filtered = edit(edited[0], drops)
    removed = ConditionSet.compile(BENCHMARK_FILTER, Signal.TRACES, "span").drop(
        req, items.retain_spans, ErrorMode.PROPAGATE, lambda text, exc: None)
    assert filtered is not None and filtered[1] == removed > 0
    assert ExportTraceServiceRequest.FromString(filtered[0]) == req


def test_each_resource_gives_its_own_value_and_unknown_fields_survive_a_drop() -> None:
    resources = [([("env", "a")], [[("OPTIONS /", [], None, "")], [("GET /", [], None, "")]]),
                 ([], [[("GET /", [], None, "")]]),
                 ([("env", "c")], [[("GET /", [], None, "")]])]
    data = build(resources).SerializeToString() + b"\xa0\x06\x01"  # field 100: unknown
    edited = edit(data, span_ops([("span", ['set(attributes["env"], resource.attributes'
                                            '["env"])'], [])]) or ())
    assert edited is not None
    envs = [[Attributes(s.attributes).get("env") for ss in rs.scope_spans for s in ss.spans]
            for rs in ExportTraceServiceRequest.FromString(edited[0]).resource_spans]
    assert envs == [["a", "a"], [None], ["c"]]
    dropped = edit(edited[0], drop_ops("span", BENCHMARK_FILTER) or ())
    assert dropped is not None and dropped[1] == 1 and dropped[0].endswith(b"\xa0\x06\x01")


def test_what_maps_and_what_is_left_to_the_general_path() -> None:
    for mapped in (['set(attributes["a"], "literal")', 'set(status.code, 2)'],
                   ['truncate_all(attributes, 5) where name == "x" and not IsMatch(name, "y")'],
                   ['replace_pattern(attributes["a"], "x", "y", SHA256)'],
                   ['set(attributes["a"], attributes["b"]) where attributes["c"] != 1.5']):
        assert span_ops([("span", mapped, ['name != "x"'])]) is not None, mapped
    for statements in (['delete_key(resource.attributes, "a")'], ['set(name, "x")'],
                       ['set(attributes["a"], Concat(["a", "b"], ""))'],
                       ['set(attributes["a"]["b"], "x")'], ['limit(attributes, 1, [])'],
                       ['set(status.code, 4294967296)'],
                       ['delete_key(attributes, "a") where attributes["b"] == attributes["c"]'],
                       ['delete_key(attributes, "a") where IsMatch(attributes["b"], "x")']):
        assert span_ops([("span", statements, [])]) is None, statements
    assert span_ops([("resource", BENCHMARK, [])]) is None
    assert drop_ops("spanevent", BENCHMARK_FILTER) is None
    assert drop_ops("span", ['kind == SPAN_KIND_SERVER']) is None
    assert drop_ops("span", ['IsMatch(name, "^a.b")']) is not None  # through re
    assert drop_ops("span", ['resource.attributes["a"] >= 2']) is not None
    assert drop_ops("span", ['resource.attributes["a"]["b"] == 2']) is None
    assert span_ops([("span", ['set(status.code, "x")', 'set(attributes["a"], nil)'], [])]) \
        == ()  # statements that never change anything


def test_left_to_the_general_path_at_run_time() -> None:
    ops = span_ops([("span", ['set(attributes["a"], resource.attributes["r"])'], [])])
    assert ops is not None
    nested = [([("r", {"a": 1})], [[("n", [], None, "")]])]
    assert edit(build(nested).SerializeToString(), ops) is None
    array = [([("r", [1])], [[("n", [], None, "")]])]
    assert edit(build(array).SerializeToString(), ops) is None
    # a nested resource value nothing copies does not matter
    assert edit(build([([("q", [1])], [[("n", [], None, "")]])]).SerializeToString(),
                ops) is not None

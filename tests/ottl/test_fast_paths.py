"""The fast paths of the engine give the same result as its general closures: statements
compiled with ``fast=True`` (the default) and ``fast=False`` change arbitrary requests the
same way, fail on the same items (error_mode ignore and silent: the same failures
reported; propagate: both raise), and the filter's one-pass ``ConditionSet.drop`` removes
the items ``matches`` says match, with the same failures."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from otelpy.component import Signal
from otelpy.ottl import ConditionSet, ErrorMode, StatementFailed, StatementGroup
from otelpy.pdata import items
from otelpy.pdata.values import INT64_MAX, INT64_MIN, Attributes

scalars = (st.none() | st.booleans() | st.integers(INT64_MIN, INT64_MAX) | st.floats()
           | st.text(max_size=80) | st.binary(max_size=8)
           | st.sampled_from(["/users/42/cart", "/health", "/users/x", "ab" * 40]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=6)
KEYS = ["env", "http.route", "server.address", "code", "n", "m"]
attributes = st.dictionaries(st.sampled_from(KEYS), values, max_size=5)
spans = st.lists(st.tuples(st.sampled_from(["GET /", "OPTIONS /x", "POST"]), attributes),
                 min_size=1, max_size=4)
resources = st.lists(st.tuples(attributes, spans), min_size=1, max_size=3)

#: the benchmark's statements and variants that reach the same fast paths and their limits
STATEMENTS = [
    'set(span.attributes["env"], resource.attributes["env"])',
    'set(span.attributes["m"], resource.attributes["m"])',
    'set(span.attributes["scope"], scope.name)',
    'replace_pattern(span.attributes["http.route"], "/users/[^/]+", "/users/{user_id}")',
    'replace_pattern(span.attributes["http.route"], "/users/([^/]+)", "/u/$1\\\\$$")',
    'replace_pattern(span.attributes["n"], "a+", "A", SHA256, "h:%s")',
    'delete_key(span.attributes, "server.address")',
    'set(span.status.code, STATUS_CODE_ERROR) where span.attributes["code"] >= 500',
    'set(span.attributes["big"], true) where span.attributes["n"] > 1.5',
    'set(span.attributes["small"], true) where span.attributes["n"] < 0',
    'set(span.attributes["le"], true) where span.attributes["code"] <= 200',
    'set(span.attributes["sum"], span.attributes["n"] + 1) where span.attributes["n"] != nil',
    'truncate_all(span.attributes, 64)',
    'truncate_all(span.attributes, 3)',
]
RESOURCE_WRITES = [  # a resource written by a span statement: nothing is kept per resource
    'set(span.attributes["env"], resource.attributes["env"])',
    'set(resource.attributes["env"], span.name)',
    'set(span.attributes["env2"], resource.attributes["env"])',
]
CONDITIONS = [
    'attributes["http.route"] == "/health"',
    'IsMatch(name, "^OPTIONS ")',
    'attributes["code"] >= 500',
    'attributes["n"] + 1 > 2',
    'resource.attributes["env"] == "dev"',
]


def _request(data: list[tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]]
             ) -> ExportTraceServiceRequest:
    req = ExportTraceServiceRequest()
    for resource, span_list in data:
        rs = req.resource_spans.add()
        Attributes(rs.resource.attributes).update(resource)
        scope = rs.scope_spans.add()
        scope.scope.name = "lib"
        for name, attrs in span_list:
            Attributes(scope.spans.add(name=name).attributes).update(attrs)
    return req


def _transform(statements: list[str], fast: bool, body: bytes,
               mode: ErrorMode) -> tuple[bytes | None, list[str]]:
    req = ExportTraceServiceRequest.FromString(body)
    failed: list[str] = []
    group = StatementGroup.compile(statements, Signal.TRACES, fast=fast)
    try:
        group.execute(req, mode, lambda text, exc: failed.append(f"{text}: {exc}"))
    except StatementFailed as exc:
        return None, [str(exc)]
    return req.SerializeToString(deterministic=True), failed


def _same(statements: list[str], body: bytes) -> None:
    for mode in ErrorMode:
        assert _transform(statements, True, body, mode) == \
            _transform(statements, False, body, mode), mode


@settings(max_examples=150, deadline=None)
@given(resources)
def test_statements_fast_equals_general(data: Any) -> None:
    _same(STATEMENTS, _request(data).SerializeToString())


@settings(max_examples=60, deadline=None)
@given(resources)
def test_resource_writes_fast_equals_general(data: Any) -> None:
    _same(RESOURCE_WRITES, _request(data).SerializeToString())


def _filter(fast: bool, body: bytes, mode: ErrorMode) -> tuple[Any, list[str]]:
    req = ExportTraceServiceRequest.FromString(body)
    failed: list[str] = []
    conditions = ConditionSet.compile(CONDITIONS, Signal.TRACES, "span")
    report = lambda text, exc: failed.append(text)  # noqa: E731
    try:
        if fast:
            dropped = conditions.drop(req, items.retain_spans, mode, report)
        else:
            dropped = items.retain_spans(req, lambda i: not conditions.matches(i, mode, report))
    except StatementFailed as exc:
        return None, [str(exc)]
    return (dropped, req.SerializeToString(deterministic=True)), failed


@settings(max_examples=150, deadline=None)
@given(resources)
def test_filter_drop_equals_matches(data: Any) -> None:
    body = _request(data).SerializeToString()
    for mode in ErrorMode:
        assert _filter(True, body, mode) == _filter(False, body, mode), mode


@pytest.mark.parametrize("mode", list(ErrorMode))
def test_fast_paths_on_the_benchmark_shape(mode: ErrorMode) -> None:
    """A fixed case with every branch: a route to rewrite, a key to delete, an error code,
    a long string, a failing condition (a string plus one)."""
    data = [({"env": "prod"}, [
        ("GET /", {"http.route": "/users/7/cart", "server.address": "h", "code": 503,
                   "n": "x" * 70}),
        ("OPTIONS /x", {"http.route": "/health", "code": 200, "n": 2}),
    ])]
    body = _request(data).SerializeToString()
    statements = [*STATEMENTS[:4], *STATEMENTS[6:8], STATEMENTS[11], STATEMENTS[12]]
    out, failed = _transform(statements, True, body, mode)
    assert (out, failed) == _transform(statements, False, body, mode)
    if mode is ErrorMode.PROPAGATE:
        assert out is None and "span.attributes[\"n\"] + 1" in failed[0]
        return
    assert len(failed) == (1 if mode is ErrorMode.IGNORE else 0)  # "x"*70 + 1
    assert out is not None
    first = ExportTraceServiceRequest.FromString(out).resource_spans[0].scope_spans[0].spans[0]
    got = Attributes(first.attributes).as_dict()
    assert got["http.route"] == "/users/{user_id}/cart" and "server.address" not in got
    assert got["env"] == "prod" and first.status.code == 2 and len(str(got["n"])) == 64
    kept, failures = _filter(True, body, mode)
    assert (kept, failures) == _filter(False, body, mode)
    if mode is not ErrorMode.PROPAGATE:
        assert kept[0] == 2  # code 503, and the OPTIONS /health span

"""Statements that mix indexed key access with other changes of the same attribute list
see every change (the key index is kept in step or forgotten)."""

from __future__ import annotations

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from otelpy.component import Signal
from otelpy.ottl import ErrorMode, StatementGroup
from otelpy.pdata import items
from otelpy.pdata.values import Attributes, value_of


def _request(*attrs: dict[str, object]) -> ExportTraceServiceRequest:
    req = ExportTraceServiceRequest()
    rs = req.resource_spans.add()
    rs.resource.attributes.add(key="env", value=value_of("prod"))
    scope = rs.scope_spans.add()
    for a in attrs:
        span = scope.spans.add(name="s")
        for k, v in a.items():
            span.attributes.add(key=k, value=value_of(v))  # type: ignore[arg-type]
    return req


def _run(req: ExportTraceServiceRequest, statements: list[str]) -> list[dict[str, object]]:
    errors: list[str] = []
    StatementGroup.compile(statements, Signal.TRACES).execute(
        req, ErrorMode.IGNORE, lambda text, exc: errors.append(f"{text}: {exc}"))
    assert errors == []
    return [dict(Attributes(i.span.attributes)) for i in items.spans(req)]


def test_index_follows_puts_deletes_and_whole_map_changes() -> None:
    req = _request({"a": "1", "b": "2", "c": 3}, {"a": "x", "c": 500})
    got = _run(req, [
        'set(span.attributes["env"], resource.attributes["env"])',
        'delete_key(span.attributes, "b")',
        'set(span.attributes["b2"], span.attributes["b"])',
        'merge_maps(span.attributes, {"m": "merged"}, "upsert") where span.attributes["c"] == 3',
        'set(span.attributes["m2"], span.attributes["m"])',
        'set(span.attributes, {"only": "this"}) where span.attributes["c"] == 500',
        'set(span.attributes["after"], span.attributes["only"])',
        'set(span.attributes["n"]["deep"], span.attributes["a"])',
        'keep_keys(span.attributes, ["a", "m2", "after", "n", "env"])',
        'set(span.attributes["len"], Len(span.attributes))',
        'truncate_all(span.attributes, 2)',
    ])
    assert got == [
        {"a": "1", "env": "pr", "m2": "me", "n": {"deep": "1"}, "len": 4},
        {"after": "th", "len": 1},  # the whole-map set removed env
    ]


def test_duplicate_keys_read_and_set_the_first() -> None:
    req = _request({"k": "first"})
    req.resource_spans[0].scope_spans[0].spans[0].attributes.add(key="k", value=value_of("dup"))
    got = _run(req, ['set(span.attributes["r"], span.attributes["k"])',
                     'set(span.attributes["k"], "new")', 'delete_key(span.attributes, "k")'])
    assert got == [{"k": "dup", "r": "first"}]

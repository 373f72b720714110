"""Property tests: statements and conditions never crash on arbitrary attribute values and
bodies; what a failing statement does is error_mode's decision (ignore: reported and the
rest runs; propagate: StatementFailed), and the request always re-serializes."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

from otelpy.component import Signal
from otelpy.ottl import ConditionSet, ErrorMode, StatementFailed, StatementGroup
from otelpy.pdata import items
from otelpy.pdata.values import INT64_MAX, INT64_MIN, Attributes, set_value

scalars = (st.none() | st.booleans() | st.integers(INT64_MIN, INT64_MAX) | st.floats()
           | st.text(max_size=20) | st.binary(max_size=8))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=8)
attributes = st.dictionaries(st.sampled_from(["a", "b", "url", "n", "k.x"]), values, max_size=5)

STATEMENTS = [
    'set(log.attributes["sum"], log.attributes["n"] + log.attributes["a"])',
    'set(log.attributes["neg"], -log.attributes["n"])',
    'set(log.attributes["div"], log.attributes["n"] / log.attributes["a"])',
    'replace_pattern(log.attributes["url"], "/(\\\\d+)", "/{id}")',
    'replace_all_patterns(log.attributes, "value", "a+", "A", SHA256, "h:%s")',
    'replace_all_patterns(log.attributes, "key", "^k", "K")',
    'replace_match(log.attributes["url"], "*/x/*", "matched")',
    'replace_all_matches(log.attributes, "a*", "glob")',
    'delete_matching_keys(log.attributes, "^b")',
    'limit(log.attributes, 3, ["a"])',
    'truncate_all(log.attributes, 3)',
    'set(log.attributes["c"], Concat([log.attributes["a"], log.body, "x"], "-"))',
    'set(log.attributes["f"], Format("%s/%d/%v", [log.attributes["a"], log.attributes["n"], '
    'log.body]))',
    'set(log.attributes["i"], Int(log.attributes["a"]))',
    'set(log.attributes["d"], Double(log.attributes["a"]))',
    'set(log.attributes["s"], String(log.body))',
    'set(log.attributes["l"], Len(log.attributes["a"]))',
    'set(log.attributes["case"], ConvertCase(log.attributes["url"], "snake"))',
    'set(log.attributes["sub"], Substring(log.attributes["url"], 1, 2))',
    'set(log.attributes["split"], Split(log.attributes["url"], "/"))',
    'set(log.attributes["j"], ParseJSON(log.body))',
    'set(log.attributes["kv"], ParseKeyValue(log.body))',
    'set(log.attributes["h"], SHA256(log.attributes["a"]))',
    'set(log.attributes["x"], ExtractPatterns(log.attributes["url"], "(?P<p>[a-z]+)"))',
    'set(log.attributes["t"], UnixNano(Time(log.attributes["url"], "%Y-%m-%d")))',
    'set(log.attributes["dur"], UnixNano(Now()) - UnixNano(Now()))',
    'set(log.attributes["dd"], Duration(log.attributes["url"]))',
    'merge_maps(log.attributes, log.body, "upsert")',
    'set(log.body, log.attributes["a"]["b"][0])',
    'set(log.attributes["idx"], log.attributes["a"][1])',
    'flatten(log.attributes, "f", 2)',
    'keep_matching_keys(log.attributes, ".")',
    'set(log.severity_number, log.attributes["n"]) where log.attributes["a"] > 1',
    'set(log.time, log.attributes["n"])',
    'set(log.trace_id, TraceID(0x0102030405060708090a0b0c0d0e0f10)) where IsString(log.body)',
    'delete_key(log.attributes, "a") where IsMap(log.body) or log.attributes["a"] == nil',
]
CONDITIONS = ['log.attributes["a"] < log.attributes["n"]', 'IsMatch(log.attributes["a"], "x")',
              'Len(log.body) > 2', 'log.body["k"] == 1', 'Int(log.attributes["a"]) >= 0']
GROUP = StatementGroup.compile(STATEMENTS, Signal.LOGS)
CHECKS = ConditionSet.compile(CONDITIONS, Signal.LOGS)


def request(attrs: dict[str, Any], body: Any) -> ExportLogsServiceRequest:
    req = ExportLogsServiceRequest()
    record = req.resource_logs.add().scope_logs.add().log_records.add()
    Attributes(record.attributes).update(attrs)
    set_value(record.body, body)
    return req


@settings(max_examples=300, deadline=None)
@given(attributes, values)
def test_statements_never_crash_under_ignore(attrs: dict[str, Any], body: Any) -> None:
    req = request(attrs, body)
    reported: list[str] = []
    failures = GROUP.execute(req, ErrorMode.IGNORE, lambda text, exc: reported.append(text))
    assert failures == len(reported)
    assert ExportLogsServiceRequest.FromString(req.SerializeToString()) == req
    for item in items.log_records(req):
        CHECKS.matches(item, ErrorMode.IGNORE, lambda text, exc: None)


@settings(max_examples=150, deadline=None)
@given(attributes, values)
def test_propagate_raises_only_statement_failed(attrs: dict[str, Any], body: Any) -> None:
    req = request(attrs, body)
    try:
        GROUP.execute(req, ErrorMode.PROPAGATE, lambda text, exc: None)
    except StatementFailed:
        pass
    assert ExportLogsServiceRequest.FromString(req.SerializeToString()) == req


def test_silent_reports_nothing_and_runs_the_rest() -> None:
    group = StatementGroup.compile(['set(log.attributes["x"], ParseJSON(log.body))',
                                    'set(log.attributes["after"], true)'], Signal.LOGS)
    req = request({}, "not json")
    reported: list[str] = []
    assert group.execute(req, ErrorMode.SILENT, lambda t, e: reported.append(t)) == 1
    assert reported == []
    record = next(items.log_records(req))
    assert record.attributes.as_dict() == {"after": True}

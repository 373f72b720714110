"""include / exclude match properties: which items each property selects, and the rules
(signal-independent at validation, per signal when the processor is created)."""

from __future__ import annotations

from typing import Any

import pytest

from otelpy.component import Signal
from otelpy.filtermatch import MatchProperties, log_skip, metric_skip, signal_problem, span_skip
from otelpy.filtermatch.config import RegexpSettings
from otelpy.filtermatch.stringset import StringSet
from otelpy.pdata import items
from otelpy.pdata.build import RequestBuilder
from otelpy.pdata.values import Attributes


def spans(*specs: dict[str, Any]) -> list[Any]:
    builder = RequestBuilder(Signal.TRACES)
    for i, spec in enumerate(specs):
        scope = builder.scope({"test.index": i, **spec.get("resource", {})},
                              *spec.get("scope", ("lib", "")))
        span = scope.spans.add(name=spec.get("name", "op"), kind=spec.get("kind", 0))
        Attributes(span.attributes).update(spec.get("attrs", {}))
    return list(items.spans(builder.request))


def logs(*specs: dict[str, Any]) -> list[Any]:
    builder = RequestBuilder(Signal.LOGS)
    for i, spec in enumerate(specs):
        record = builder.scope({"test.index": i}, "lib").log_records.add(
            severity_number=spec.get("severity", 0))
        body = spec.get("body", "")
        if isinstance(body, dict):
            Attributes(record.body.kvlist_value.values).update(body)
        else:
            record.body.string_value = body
        Attributes(record.attributes).update(spec.get("attrs", {"a": 1}))
    return list(items.log_records(builder.request))


def props(**kw: Any) -> MatchProperties:
    return MatchProperties.model_validate(kw)


def selected(skip: Any, found: list[Any]) -> list[int]:
    return [i for i, item in enumerate(found) if not skip(item)]


def test_span_kinds_and_strict_typed_attribute_values() -> None:
    skip = span_skip(props(match_type="strict", span_kinds=["SPAN_KIND_SERVER"],
                           attributes=[{"key": "code", "value": 200}]), None)
    found = spans({"kind": 2, "attrs": {"code": 200}}, {"kind": 2, "attrs": {"code": "200"}},
                  {"kind": 2, "attrs": {"code": 200.0}}, {"kind": 3, "attrs": {"code": 200}})
    assert selected(skip, found) == [0]


def test_regexp_attribute_values_match_text_of_scalars_only() -> None:
    wanted = [{"key": "v", "value": "^1\\.5$|^true$"}]
    skip = span_skip(props(match_type="regexp", attributes=wanted), None)
    found = spans({"attrs": {"v": 1.5}}, {"attrs": {"v": True}}, {"attrs": {"v": [1.5]}},
                  {"attrs": {"v": "1.5"}}, {"attrs": {}})
    assert selected(skip, found) == [0, 1, 3]


def test_libraries_version_absent_blank_and_set() -> None:
    found = spans({"scope": ("db", "")}, {"scope": ("db", "1")}, {"scope": ("web", "1")})
    any_version = span_skip(props(match_type="strict", libraries=[{"name": "db"}]), None)
    blank = span_skip(props(match_type="strict", libraries=[{"name": "db", "version": ""}]), None)
    one = span_skip(props(match_type="strict", libraries=[{"name": "db", "version": "1"}]), None)
    assert selected(any_version, found) == [0, 1]
    assert selected(blank, found) == [0]
    assert selected(one, found) == [1]


def test_services_use_service_name_text_and_placeholder() -> None:
    skip = span_skip(props(match_type="strict", services=["42", "<nil-service-name>"]), None)
    found = spans({"resource": {"service.name": 42}}, {"resource": {}},
                  {"resource": {"service.name": "x"}})
    assert selected(skip, found) == [0, 1]


def test_exclude_after_include() -> None:
    skip = span_skip(props(match_type="regexp", span_names=["^api/"]),
                     props(match_type="strict", span_names=["api/health"]))
    found = spans({"name": "api/users"}, {"name": "api/health"}, {"name": "web"})
    assert selected(skip, found) == [0]


def test_log_severity_number_and_body_as_text() -> None:
    severity = log_skip(props(match_type="strict",
                              log_severity_number={"min": "warn", "match_undefined": True}),
                        None)
    found = logs({"severity": 9}, {"severity": 13}, {"severity": 0}, {"severity": 21})
    assert selected(severity, found) == [1, 2, 3]
    body = log_skip(props(match_type="strict", log_bodies=['{"k":"v"}']), None)
    assert selected(body, logs({"body": {"k": "v"}}, {"body": "k"})) == [0]


def test_metrics_match_on_names_only() -> None:
    builder = RequestBuilder(Signal.METRICS)
    scope = builder.scope({"env": "prod"}, "lib")
    for name in ("a", "b"):
        scope.metrics.add(name=name).gauge.data_points.add(as_int=1)
    found = list(items.metrics(builder.request))
    assert selected(metric_skip(props(match_type="strict", metric_names=["a"]), None),
                    found) == [0]
    # resources are ignored for metrics by the Collector: no matcher, nothing skipped
    assert metric_skip(props(match_type="strict", resources=[{"key": "env"}]), None) is None


@pytest.mark.parametrize(("signal", "kw", "problem"), [
    (Signal.TRACES, {"log_bodies": ["x"]}, "log_bodies should not be specified for trace spans"),
    (Signal.TRACES, {"metric_names": ["x"]}, 'at least one of "services", "span_names", '
     '"span_kinds", "attributes", "libraries" or "resources" must be specified for spans'),
    (Signal.LOGS, {"services": ["x"]},
     "services, span_names, and span_kinds are not valid for log records"),
    (Signal.METRICS, {"services": ["x"]}, None),
], ids=["bodies-on-spans", "nothing-for-spans", "services-on-logs", "metrics-anything"])
def test_signal_rules(signal: Signal, kw: dict[str, Any], problem: str | None) -> None:
    assert signal_problem(props(match_type="strict", **kw), signal) == problem


@pytest.mark.parametrize(("kw", "problems"), [
    ({"services": ["a"]}, ['match_type: unrecognized match_type "", valid types are: regexp, '
                           "strict"]),
    ({"match_type": "regexp", "span_names": ["("]},
     ['span_names::0: invalid regular expression "(": missing ), unterminated subpattern at '
      "position 0"]),
    ({"match_type": "strict", "attributes": [{"value": 1}]},
     ["attributes::0: can't have empty key in the list of attributes"]),
    ({"match_type": "regexp", "resources": [{"key": "k", "value": 1}]},
     ['resources::0: match_type=regexp for "k" only supports string values, but found int']),
    ({"match_type": "strict", "span_kinds": ["server"]},
     ["span_kinds: span_kinds must match one of the standard span kinds when "
      "match_type=strict: SPAN_KIND_CLIENT, SPAN_KIND_CONSUMER, SPAN_KIND_INTERNAL, "
      "SPAN_KIND_PRODUCER, SPAN_KIND_SERVER"]),
    ({"match_type": "strict", "log_severity_number": {"min": "loud"}},
     ['log_severity_number::min: unknown severity "loud": expected 0-24 or TRACE, TRACE2, ... '
      "FATAL4"]),
], ids=["match-type", "regex", "empty-key", "regexp-non-string", "span-kind", "severity"])
def test_validation_rules(kw: dict[str, Any], problems: list[str]) -> None:
    assert props(**kw).problems() == problems


def test_regexp_cache_is_bounded_and_counts_evictions() -> None:
    cached = StringSet(["^a"], "regexp", RegexpSettings(cacheenabled=True, cachemaxnumentries=2))
    assert [cached.matches(t) for t in ("ab", "b", "ab", "c", "ad")] == [True, False, True,
                                                                        False, True]
    assert cached.evictions == 2

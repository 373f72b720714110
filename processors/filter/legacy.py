"""The filter processor's older include/exclude form as predicates over pdata items
(the Collector's filterset: strict or regexp matching; every property given must match)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from otelpy.pdata.items import LogItem, MetricItem, SpanItem
from otelpy.pdata.values import Attributes, Value
from otelpy.processors.filter.config import AttributeMatch, MatchProperties

_SEVERITIES = {f"{level}{suffix}": 1 + 4 * i + n
               for i, level in enumerate(("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"))
               for n, suffix in enumerate(("", "2", "3", "4"))}
_KINDS = ("SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER",
          "SPAN_KIND_CLIENT", "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER")


def _as_string(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _strings(match_type: str, patterns: list[str]) -> Callable[[str], bool]:
    """Any of ``patterns`` matches: equality (strict) or an unanchored search (regexp)."""
    if match_type == "strict":
        wanted = frozenset(patterns)
        return lambda text: text in wanted
    compiled = [re.compile(p) for p in patterns]
    return lambda text: any(r.search(text) for r in compiled)


def _attributes(match_type: str, wanted: list[AttributeMatch]) -> Callable[[Attributes], bool]:
    """Every listed attribute is present and (when a value is given) matches."""
    checks: list[tuple[str, Callable[[Value], bool]]] = []
    for entry in wanted:
        if entry.value is None:
            checks.append((entry.key, lambda v: True))
        elif match_type == "strict":
            checks.append((entry.key, lambda v, e=entry.value: type(v) is type(e) and v == e))
        else:
            pattern = re.compile(str(entry.value))
            checks.append((entry.key, lambda v, r=pattern: r.search(_as_string(v)) is not None))

    def test(attrs: Attributes) -> bool:
        for key, check in checks:
            if key not in attrs or not check(attrs[key]):
                return False
        return True
    return test


def _all(tests: list[Callable[[Any], bool]]) -> Callable[[Any], bool]:
    return lambda item: all(t(item) for t in tests)


def span_matcher(props: MatchProperties) -> Callable[[SpanItem], bool]:
    mt, tests = props.match_type, []
    if props.services:
        service = _strings(mt, props.services)
        tests.append(lambda i: service(_as_string(i.resource_attributes.get("service.name"))))
    if props.span_names:
        name = _strings(mt, props.span_names)
        tests.append(lambda i: name(i.span.name))
    if props.span_kinds:
        kinds = frozenset(props.span_kinds)
        tests.append(lambda i: 0 <= i.span.kind < len(_KINDS) and _KINDS[i.span.kind] in kinds)
    if props.attributes:
        attrs = _attributes(mt, props.attributes)
        tests.append(lambda i: attrs(i.attributes))
    if props.resources:
        resource = _attributes(mt, props.resources)
        tests.append(lambda i: resource(i.resource_attributes))
    if props.libraries:
        libraries = [(_strings(mt, [lib.name]), lib.version) for lib in props.libraries]
        tests.append(lambda i: any(n(i.scope.scope.name) and (v is None or v ==
                                   i.scope.scope.version) for n, v in libraries))
    return _all(tests)


def _severity(props: MatchProperties) -> Callable[[LogItem], bool]:
    assert props.severity_number is not None
    floor = props.severity_number.min
    level = floor if isinstance(floor, int) else _SEVERITIES.get(str(floor).upper(), 0)
    undefined = props.severity_number.match_undefined
    return lambda i: (undefined if i.record.severity_number == 0
                      else i.record.severity_number >= level)


def log_matcher(props: MatchProperties) -> Callable[[LogItem], bool]:
    mt, tests = props.match_type, []
    if props.resource_attributes:
        resource = _attributes(mt, props.resource_attributes)
        tests.append(lambda i: resource(i.resource_attributes))
    if props.record_attributes:
        record = _attributes(mt, props.record_attributes)
        tests.append(lambda i: record(i.attributes))
    if props.severity_texts:
        text = _strings(mt, props.severity_texts)
        tests.append(lambda i: text(i.record.severity_text))
    if props.bodies:
        body = _strings(mt, props.bodies)
        tests.append(lambda i: i.record.body.WhichOneof("value") == "string_value"
                     and body(i.record.body.string_value))
    if props.severity_number is not None:
        tests.append(_severity(props))
    return _all(tests)


def metric_matcher(props: MatchProperties) -> Callable[[MetricItem], bool]:
    mt, tests = props.match_type, []
    if props.metric_names:
        name = _strings(mt, props.metric_names)
        tests.append(lambda i: name(i.metric.name))
    if props.resource_attributes:
        resource = _attributes(mt, props.resource_attributes)
        tests.append(lambda i: resource(i.resource_attributes))
    return _all(tests)


def keep_filter(include: Callable[[Any], bool] | None,
                exclude: Callable[[Any], bool] | None) -> Callable[[Any], bool] | None:
    """Whether an item stays: it matches ``include`` (if set) and not ``exclude``."""
    if include is None and exclude is None:
        return None
    return lambda item: (include is None or include(item)) and not (
        exclude is not None and exclude(item))

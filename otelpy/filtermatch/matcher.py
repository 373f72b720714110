"""``include`` / ``exclude`` compiled to one "skip this item?" predicate per signal.

As in the Collector: an item is skipped when ``include`` is given and does not match it, or
when ``exclude`` is given and matches it (include is checked first). Spans and log records
are matched on their own properties plus attributes, resource attributes and scope; metrics
only on ``metric_names`` (the Collector's attributes processor ignores the other properties
for metrics; with no ``metric_names`` every metric is processed).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from opentelemetry.proto.trace.v1.trace_pb2 import Span

from otelpy.component import Signal
from otelpy.filtermatch.config import (
    AttributeMatch,
    LibraryMatch,
    MatchProperties,
    severity_number,
    signal_problem,
)
from otelpy.filtermatch.stringset import StringSet
from otelpy.pdata.asstring import as_string, format_float_fixed
from otelpy.pdata.items import LogItem, MetricItem, SpanItem
from otelpy.pdata.values import Attributes, Value, to_value, value_of

__all__ = ["log_skip", "metric_skip", "span_skip"]

_NO_SERVICE = "<nil-service-name>"


def _same(a: Value, b: Value) -> bool:
    """Equal with the same types all the way down (1 is not 1.0 nor True)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


def _as_match_text(value: Value) -> str | None:
    """The text a regexp attribute filter sees; None for types it never matches."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float_fixed(value)
    return None


def _value_check(props: MatchProperties,
                 want: AttributeMatch) -> Callable[[Value], bool] | None:
    if want.value is None:
        return None
    if props.match_type == "regexp":
        regex = StringSet([want.value], "regexp", props.regexp)

        def regexp_check(value: Value) -> bool:
            text = _as_match_text(value)
            return text is not None and regex.matches(text)

        return regexp_check
    expected = to_value(value_of(want.value))
    return lambda value: _same(expected, value)


def _attributes_matcher(props: MatchProperties,
                        wanted: Sequence[AttributeMatch]) -> Callable[[Attributes], bool] | None:
    if not wanted:
        return None
    checks = [(want.key, _value_check(props, want)) for want in wanted]

    def match(attrs: Attributes) -> bool:
        if len(attrs) == 0:
            return False
        for key, check in checks:
            slot = attrs.any_value(key)
            if slot is None or (check is not None and not check(to_value(slot))):
                return False
        return True

    return match


def _library_check(props: MatchProperties, lib: LibraryMatch) -> Callable[[Any], bool]:
    name = StringSet([lib.name], props.match_type, props.regexp)
    version = (None if lib.version is None
               else StringSet([lib.version], props.match_type, props.regexp))

    def check(item: Any) -> bool:
        scope = item.scope.scope
        return name.matches(scope.name) and (version is None or version.matches(scope.version))

    return check


def _common(props: MatchProperties) -> list[Callable[[Any], bool]]:
    """Library, resource and attribute checks shared by spans and logs (on ``item``)."""
    out: list[Callable[[Any], bool]] = [_library_check(props, lib) for lib in props.libraries]
    resources = _attributes_matcher(props, props.resources)
    if resources is not None:
        out.append(lambda item: resources(item.resource_attributes))
    attributes = _attributes_matcher(props, props.attributes)
    if attributes is not None:
        out.append(lambda item: attributes(item.attributes))
    return out


def _strings(props: MatchProperties, filters: list[str],
             read: Callable[[Any], str]) -> list[Callable[[Any], bool]]:
    if not filters:
        return []
    found = StringSet(filters, props.match_type, props.regexp)
    return [lambda item: found.matches(read(item))]


def _service_name(item: SpanItem) -> str:
    value = item.resource_attributes.any_value("service.name")
    return _NO_SERVICE if value is None else as_string(to_value(value))


def _span_checks(props: MatchProperties) -> list[Callable[[Any], bool]]:
    return [*_strings(props, props.services, _service_name),
            *_strings(props, props.span_names, lambda i: i.span.name),
            *_strings(props, props.span_kinds, lambda i: Span.SpanKind.Name(i.span.kind)),
            *_common(props)]


def _log_checks(props: MatchProperties) -> list[Callable[[Any], bool]]:
    checks = [*_strings(props, props.log_bodies, lambda i: as_string(to_value(i.record.body))),
              *_strings(props, props.log_severity_texts, lambda i: i.record.severity_text)]
    severity = props.log_severity_number
    if severity is not None:
        least = severity_number(severity.min) or 0
        undefined = severity.match_undefined
        checks.append(lambda i: undefined if i.record.severity_number == 0
                      else i.record.severity_number >= least)
    return checks + _common(props)


def _metric_checks(props: MatchProperties) -> list[Callable[[Any], bool]]:
    return _strings(props, props.metric_names, lambda i: i.metric.name)


_CHECKS = {Signal.TRACES: _span_checks, Signal.LOGS: _log_checks, Signal.METRICS: _metric_checks}


def _all(checks: list[Callable[[Any], bool]]) -> Callable[[Any], bool]:
    return lambda item: all(check(item) for check in checks)


def _skip(include: MatchProperties | None, exclude: MatchProperties | None,
          signal: Signal) -> Callable[[Any], bool] | None:
    """The skip predicate, or None when nothing is ever skipped. ValueError when a block
    cannot be used for ``signal``."""
    parts: list[tuple[bool, Callable[[Any], bool]]] = []
    for is_include, props in ((True, include), (False, exclude)):
        if props is None:
            continue
        problem = signal_problem(props, signal) or next(iter(props.problems()), None)
        if problem is not None:
            raise ValueError(f"{'include' if is_include else 'exclude'}: {problem}")
        checks = _CHECKS[signal](props)
        if signal is Signal.METRICS and not checks:
            continue  # no metric_names: the Collector builds no matcher
        parts.append((is_include, _all(checks)))
    if not parts:
        return None
    return lambda item: any(not m(item) if inc else m(item) for inc, m in parts)


def span_skip(include: MatchProperties | None,
              exclude: MatchProperties | None) -> Callable[[SpanItem], bool] | None:
    """Skip predicate for spans, or None. ValueError when a block is unusable for spans."""
    return _skip(include, exclude, Signal.TRACES)


def log_skip(include: MatchProperties | None,
             exclude: MatchProperties | None) -> Callable[[LogItem], bool] | None:
    """Skip predicate for log records, or None. ValueError when unusable for logs."""
    return _skip(include, exclude, Signal.LOGS)


def metric_skip(include: MatchProperties | None,
                exclude: MatchProperties | None) -> Callable[[MetricItem], bool] | None:
    """Skip predicate for metrics (on metric_names only), or None."""
    return _skip(include, exclude, Signal.METRICS)

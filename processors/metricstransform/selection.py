"""Which metrics and data points a transform selects (include, match_type,
experimental_match_labels), and the expansion of ``new_name`` with regexp capture groups.

Semantics of the Collector's ``internalFilterStrict`` / ``internalFilterRegexp``
(metrics_transform_processor_otlp.go): a regexp ``include`` is a search (unanchored); a label
matcher fails when the label is present with a value it does not match, or absent while the
matcher does not match ""; non-string label values read as "" (pcommon ``Value.Str``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from opentelemetry.proto.metrics.v1.metrics_pb2 import Metric

from otelpy.goregex import compile_go
from otelpy.pdata.items import point_kind
from otelpy.processors.metricstransform.config import Transform

__all__ = ["Selection", "go_expand", "label_str", "points_of"]


def points_of(metric: Any) -> Any:
    """The metric's repeated data points (an empty tuple for a metric with no data)."""
    kind = point_kind(metric)
    return getattr(metric, kind).data_points if kind else ()


def label_str(attributes: Any, key: str) -> str | None:
    """The first value under ``key`` as pcommon's ``Str()`` ("" unless a string); None when
    the key is absent."""
    for kv in attributes:
        if kv.key == key:
            return str(kv.value.string_value)
    return None


class Selection:
    """The compiled ``include`` filter of one transform."""

    def __init__(self, transform: Transform) -> None:
        self.regexp = compile_go(transform.include) if transform.match_type == "regexp" \
            else None
        self.include = transform.include
        make: Callable[[str], Callable[[str], bool]] = (
            (lambda p: compile_go(p).search) if self.regexp  # type: ignore[misc]
            else (lambda v: v.__eq__))
        self.labels = [(key, make(value))
                       for key, value in transform.experimental_match_labels.items()]

    def name_match(self, name: str) -> re.Match[str] | bool | None:
        if self.regexp is not None:
            return self.regexp.search(name)
        return name == self.include

    def match_attrs(self, attributes: Any) -> bool:
        for key, matches in self.labels:
            value = label_str(attributes, key)
            if not matches("" if value is None else value):
                return False
        return True

    def match_metric(self, metric: Any) -> bool:
        """Name matches and some point matches the labels (or the metric has none)."""
        if not self.name_match(metric.name):
            return False
        points = points_of(metric)
        return not points or any(self.match_attrs(p.attributes) for p in points)

    def match_all_points(self, metric: Any) -> bool:
        return all(self.match_attrs(p.attributes) for p in points_of(metric))

    def extract(self, metric: Any) -> Any | None:
        """``metric`` itself when its name and all its points match, a new metric holding the
        matching points when only some do, None when none does (or the name differs)."""
        if not self.name_match(metric.name):
            return None
        points = points_of(metric)
        matched = [p for p in points if self.match_attrs(p.attributes)]
        if len(matched) == len(points):
            return metric
        if not matched:
            return None
        kind = point_kind(metric)
        assert kind is not None  # a metric with points has a kind
        extracted = Metric(name=metric.name, description=metric.description, unit=metric.unit)
        data = getattr(extracted, kind)
        source = getattr(metric, kind)
        if kind in ("sum", "histogram", "exponential_histogram"):
            data.aggregation_temporality = source.aggregation_temporality
        if kind == "sum":
            data.is_monotonic = source.is_monotonic
        data.data_points.extend(matched)
        return extracted

    def expand(self, template: str, name: str) -> str:
        """``template`` with ``name``'s capture groups expanded ("" without a regexp match)."""
        if self.regexp is None:
            return ""
        found = self.regexp.search(name)
        return go_expand(template, found) if found else ""

    def submatch_labels(self, name: str) -> list[tuple[str, str]]:
        """combine: (label, submatch) per capture group of the name (``$i`` when unnamed)."""
        found = self.regexp.search(name) if self.regexp is not None else None
        if found is None:
            return []
        names = {index: group for group, index in found.re.groupindex.items()}
        return [(names.get(i, f"${i}"), found.group(i) or "")
                for i in range(1, found.re.groups + 1)]


_NAME = re.compile(r"\w+")


def go_expand(template: str, found: re.Match[str]) -> str:
    """Go's ``Regexp.ExpandString``: ``$1``, ``${1}``, ``$name``, ``${name}``, ``$$``; an
    unknown or unmatched group expands to ""; a malformed reference stays a literal ``$``."""
    out: list[str] = []
    rest = template
    while True:
        before, dollar, rest = rest.partition("$")
        out.append(before)
        if not dollar:
            return "".join(out)
        if rest.startswith("$"):
            out.append("$")
            rest = rest[1:]
            continue
        name, rest_after = _reference(rest)
        if name is None:
            out.append("$")
            continue
        rest = rest_after
        out.append(_group(found, name))


def _reference(text: str) -> tuple[str | None, str]:
    if text.startswith("{"):
        m = _NAME.match(text, 1)
        if m is None or not text.startswith("}", m.end()):
            return None, text
        return m.group(), text[m.end() + 1:]
    m = _NAME.match(text)
    if m is None:
        return None, text
    return m.group(), text[m.end():]


def _group(found: re.Match[str], name: str) -> str:
    if name.isascii() and name.isdigit():
        if len(name) > 1 and name.startswith("0"):
            return ""
        index = int(name)
        return (found.group(index) or "") if index <= found.re.groups else ""
    if name in found.re.groupindex:
        return found.group(name) or ""
    return ""

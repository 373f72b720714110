"""OTLP metric and attribute names -> Prometheus metric and label names.

The rules are the specification's "Prometheus and OpenMetrics compatibility" and the
Collector's translator (``prometheus/otlptranslator``, used by ``pkg/translator/prometheus``):

* metric names keep ``[a-zA-Z0-9:]``; every other run of characters (``_`` included) splits
  the name into tokens joined by one ``_``;
* with suffixes, the unit becomes a suffix through the UCUM tables below (``s`` -> ``seconds``,
  ``By/s`` -> ``bytes_per_second``; units in braces such as ``{request}`` add nothing), a
  token already present is not repeated, monotonic sums get ``_total`` and gauges of unit
  ``1`` get ``_ratio``;
* the namespace is the first token; a name starting with a digit gets a leading ``_``;
* label names keep ``[a-zA-Z0-9_]``, every other character becomes ``_`` (runs of
  underscores are kept, as the Collector does by default) and a leading digit gets ``key_``.

With ``utf8_allowed`` names pass through unchanged (suffixes are still added as strings).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum

__all__ = ["LabelNamer", "MetricNamer", "MetricType", "NameError_", "PER_UNITS", "UNITS",
           "unit_suffix"]

#: UCUM unit -> the Prometheus unit word.
UNITS = {
    "d": "days", "h": "hours", "min": "minutes", "s": "seconds", "ms": "milliseconds",
    "us": "microseconds", "ns": "nanoseconds",
    "By": "bytes", "KiBy": "kibibytes", "MiBy": "mebibytes", "GiBy": "gibibytes",
    "TiBy": "tibibytes", "KBy": "kilobytes", "MBy": "megabytes", "GBy": "gigabytes",
    "TBy": "terabytes",
    "m": "meters", "V": "volts", "A": "amperes", "J": "joules", "W": "watts", "g": "grams",
    "Cel": "celsius", "Hz": "hertz", "1": "", "%": "percent",
}
#: The unit after ``/`` -> its singular word (``per_second``).
PER_UNITS = {"s": "second", "m": "minute", "h": "hour", "d": "day", "w": "week",
             "mo": "month", "y": "year"}

_METRIC_SPLIT = re.compile(r"[^a-zA-Z0-9:]+")
_METRIC_SPLIT_KEEP_UNDERSCORES = re.compile(r"[^a-zA-Z0-9:_]+")
_UNIT_INVALID = re.compile(r"[^a-zA-Z0-9:]")
_UNDERSCORES = re.compile(r"_+")
_LABEL_INVALID = re.compile(r"[^a-zA-Z0-9_]")


class NameError_(ValueError):  # noqa: N801 - "NameError" is a builtin
    """A name that translates to nothing usable (empty, or only underscores)."""


class MetricType(Enum):
    """What decides the type suffixes: a counter gets ``_total``, a gauge of unit 1 ``_ratio``."""

    COUNTER = "counter"        # monotonic sum
    GAUGE = "gauge"            # gauge, or non-monotonic sum
    HISTOGRAM = "histogram"    # explicit or exponential
    SUMMARY = "summary"


def _clean_unit(text: str) -> str:
    return _UNDERSCORES.sub("_", _UNIT_INVALID.sub("_", text)).lstrip("_")


def _unit_parts(unit: str) -> tuple[str, str]:
    """(main, per) words of a UCUM unit, before cleaning: ``By/s`` -> (bytes, per_second)."""
    main_text, slash, per_text = unit.partition("/")
    main_text = main_text.strip()
    main = UNITS.get(main_text, main_text) if main_text and not _braced(main_text) else ""
    per = ""
    if slash and per_text:
        per_text = per_text.strip()
        if per_text and not _braced(per_text):
            per = PER_UNITS.get(per_text, per_text)
        per = f"per_{per}" if per else ""
    return main, per


def _braced(text: str) -> bool:
    return "{" in text or "}" in text


def unit_suffix(unit: str) -> str:
    """The unit as a name suffix: ``s`` -> ``seconds``, ``By/s`` -> ``bytes_per_second``,
    ``1`` and ``{request}`` -> ``""``."""
    main, per = (_clean_unit(p) for p in _unit_parts(unit))
    text = f"{main}_{per}" if main and per else main or per
    return text.strip("_")


@dataclass(frozen=True)
class MetricNamer:
    """Builds Prometheus metric names; results are cached per (name, unit, type)."""

    namespace: str = ""
    with_suffixes: bool = True
    utf8_allowed: bool = False
    _cache: dict[tuple[str, str, MetricType], str] = field(
        default_factory=dict, compare=False, repr=False)

    def build(self, name: str, unit: str, kind: MetricType) -> str:
        """The Prometheus name; raises :class:`NameError_` when nothing usable remains."""
        key = (name, unit, kind)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._build_utf8(name, unit, kind) if self.utf8_allowed else \
                self._build_compliant(name, unit, kind)
            if len(self._cache) < 100_000:  # names are few; a flood of them is not cached
                self._cache[key] = cached
        return cached

    def _build_compliant(self, name: str, unit: str, kind: MetricType) -> str:
        if self.with_suffixes:
            result = self._normalize(name, unit, kind)
        else:
            result = _join_tokens(name)
            if self.namespace:
                result = f"{_join_tokens(self.namespace)}_{result}"
            elif result[:1].isdigit():
                result = "_" + result
        if not result or (result != name and not result.strip("_")):
            raise NameError_(f"metric name {name!r} translates to nothing usable")
        return result

    def _normalize(self, name: str, unit: str, kind: MetricType) -> str:
        tokens = [t for t in _METRIC_SPLIT.split(name) if t]
        main, per = (_clean_unit(p) for p in _unit_parts(unit))
        if main in tokens:
            main = ""
        if per == "per_":
            per = ""
        else:
            per = per.removesuffix("_")
            if per in tokens:
                per = ""
        if per:
            main = main.removesuffix("_")
        tokens += [t for t in (main, per) if t]
        if kind is MetricType.COUNTER:
            tokens = [t for t in tokens if t != "total"] + ["total"]
        if unit == "1" and kind is MetricType.GAUGE:
            tokens = [t for t in tokens if t != "ratio"] + ["ratio"]
        if self.namespace:
            tokens.insert(0, self.namespace)
        result = "_".join(tokens)
        return "_" + result if result[:1].isdigit() else result

    def _build_utf8(self, name: str, unit: str, kind: MetricType) -> str:
        result = f"{self.namespace}_{name}" if self.namespace else name
        if not self.with_suffixes:
            return result
        main, per = _unit_parts(unit)
        tail = []
        if unit == "1" and kind is MetricType.GAUGE:
            result, tail = _trim(result, "ratio"), ["ratio"]
        if kind is MetricType.COUNTER:
            result, tail = _trim(result, "total"), ["total", *tail]
        if per:
            result, tail = _trim(result, per), [per, *tail]
        if main and not result.endswith(main):
            result = f"{result}_{main}"
        return "_".join([result, *tail])


def _join_tokens(text: str) -> str:
    return "_".join(t for t in _METRIC_SPLIT_KEEP_UNDERSCORES.split(text) if t)


def _trim(name: str, suffix: str) -> str:
    if name.endswith(suffix) and len(name) > len(suffix) + 1:
        return name[:-(len(suffix) + 1)]
    return name


@dataclass(frozen=True)
class LabelNamer:
    """Builds Prometheus label names from attribute keys; results are cached."""

    utf8_allowed: bool = False
    _cache: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def build(self, key: str) -> str:
        """The label name; raises :class:`NameError_` for an empty key or one that becomes
        only underscores."""
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        if not key:
            raise NameError_("label name is empty")
        if self.utf8_allowed:
            result = key
        else:
            result = _LABEL_INVALID.sub("_", key)
            if result[0].isdigit():
                result = "key_" + result
        if not result.strip("_"):
            raise NameError_(f"label name {key!r} translates to only underscores")
        if len(self._cache) < 100_000:
            self._cache[key] = result
        return result

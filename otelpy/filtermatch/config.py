"""``include`` / ``exclude`` match properties as written in a config (the Collector's
``filterconfig.MatchProperties``) and the rules they must follow.

Rules that hold whatever the signal (match_type, regular expressions, attribute keys, span
kinds, severities) are in :meth:`MatchProperties.problems`, for ``validate_config``. Which
properties a signal may use (no ``log_bodies`` on spans, no ``services`` on logs) can only be
checked when the processor is created for a pipeline: :func:`signal_problem`.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field

from otelpy.component import Signal
from otelpy.config.problems import did_you_mean
from otelpy.config.types import ConfigModel
from otelpy.goregex import compile_go

__all__ = ["SPAN_KINDS", "AttributeMatch", "LibraryMatch", "MatchProperties", "RegexpSettings",
           "SeverityNumberMatch", "severity_number", "signal_problem"]

MATCH_TYPES = ("regexp", "strict")
SPAN_KINDS = ("SPAN_KIND_CLIENT", "SPAN_KIND_CONSUMER", "SPAN_KIND_INTERNAL",
              "SPAN_KIND_PRODUCER", "SPAN_KIND_SERVER")
_SEVERITY_NAMES = {f"{level}{suffix}": 1 + 4 * i + n
                   for i, level in enumerate(("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"))
                   for n, suffix in enumerate(("", "2", "3", "4"))}


class RegexpSettings(ConfigModel):
    """Options of ``match_type: regexp``."""

    cacheenabled: bool = Field(
        default=False, description="Cache match results per distinct string (LRU).")
    cachemaxnumentries: int = Field(
        default=0, ge=0,
        description="Most entries of the cache. 0 means 100000 in otelpy (the Collector: "
                    "unbounded).")


class AttributeMatch(ConfigModel):
    """An attribute (or resource attribute) that must be present."""

    key: str = Field(default="", description="The attribute key. Required.")
    value: Any = Field(
        default=None,
        description="The value it must have (strict: same type and value; regexp: a pattern "
                    "matched against the value as text). Absent: any value matches.")


class LibraryMatch(ConfigModel):
    """The instrumentation scope (library) that must match."""

    name: str = Field(default="", description="The scope name.")
    version: str | None = Field(
        default=None,
        description="The scope version. Absent: any version; an empty string matches only an "
                    "empty version.")


class SeverityNumberMatch(ConfigModel):
    """A lower bound on a log record's severity number."""

    min: int | str = Field(
        default=0,
        description="The lowest severity that matches: a number 1-24 or a name (TRACE ... "
                    "FATAL4, either case).")
    match_undefined: bool = Field(
        default=False, description="Whether records with no severity number (0) match.")


def severity_number(value: int | str) -> int | None:
    """A configured severity (number or name) as its number, or None when unknown."""
    if isinstance(value, int):
        return value if 0 <= value <= 24 else None
    text = value.strip().upper()
    if text.isdigit():
        return severity_number(int(text))
    return _SEVERITY_NAMES.get(text)


class MatchProperties(ConfigModel):
    """Properties an item must have; every property given must match."""

    match_type: str = Field(
        default="", description="How strings are compared: strict (equal) or regexp (RE2, "
                                "matching anywhere unless anchored). Required.")
    regexp: RegexpSettings | None = Field(default=None, description="Options of regexp.")
    services: list[str] = Field(
        default_factory=list,
        description="Spans: the resource's service.name must match one of these.")
    span_names: list[str] = Field(
        default_factory=list, description="Spans: the span name must match one of these.")
    span_kinds: list[str] = Field(
        default_factory=list,
        description="Spans: the kind (SPAN_KIND_SERVER, ...) must match one of these.")
    log_bodies: list[str] = Field(
        default_factory=list,
        description="Logs: the body (as text) must match one of these.")
    log_severity_texts: list[str] = Field(
        default_factory=list,
        description="Logs: the severity text must match one of these.")
    log_severity_number: SeverityNumberMatch | None = Field(
        default=None, description="Logs: the least severity number.")
    metric_names: list[str] = Field(
        default_factory=list,
        description="Metrics: the metric name must match one of these. This is the only "
                    "property the Collector applies to metrics.")
    attributes: list[AttributeMatch] = Field(
        default_factory=list,
        description="Spans and logs: every one of these attributes must be present (and "
                    "match its value, when given).")
    resources: list[AttributeMatch] = Field(
        default_factory=list,
        description="Spans and logs: every one of these resource attributes must be present "
                    "(and match).")
    libraries: list[LibraryMatch] = Field(
        default_factory=list,
        description="Spans and logs: the instrumentation scope must match each of these.")

    def _uses_match_type(self) -> bool:
        valued = any(a.value is not None for a in (*self.attributes, *self.resources))
        return bool(self.services or self.span_names or self.span_kinds or self.log_bodies
                    or self.log_severity_texts or self.metric_names or self.libraries
                    or valued)

    def problems(self) -> list[str]:
        """Signal-independent problems, as ``key: message`` relative to this block."""
        out: list[str] = []
        if self.match_type not in MATCH_TYPES:
            if self._uses_match_type():
                out.append(f'match_type: unrecognized match_type "{self.match_type}", valid '
                           "types are: regexp, strict"
                           + did_you_mean(self.match_type, MATCH_TYPES))
            return out
        out.extend(self._attribute_problems("attributes", self.attributes))
        out.extend(self._attribute_problems("resources", self.resources))
        if self.match_type == "regexp":
            out.extend(self._regex_problems())
        elif any(kind not in SPAN_KINDS for kind in self.span_kinds):
            out.append("span_kinds: span_kinds must match one of the standard span kinds when "
                       "match_type=strict: " + ", ".join(SPAN_KINDS))
        severity = self.log_severity_number
        if severity is not None and severity_number(severity.min) is None:
            out.append(f'log_severity_number::min: unknown severity "{severity.min}": expected '
                       "0-24 or TRACE, TRACE2, ... FATAL4")
        return out

    def _attribute_problems(self, field: str, matches: list[AttributeMatch]) -> list[str]:
        out = []
        for i, match in enumerate(matches):
            if not match.key:
                out.append(f"{field}::{i}: can't have empty key in the list of {field}")
            elif (self.match_type == "regexp" and match.value is not None
                  and not isinstance(match.value, str)):
                out.append(f'{field}::{i}: match_type=regexp for "{match.key}" only supports '
                           f"string values, but found {type(match.value).__name__}")
        return out

    def _regex_problems(self) -> list[str]:
        patterns: list[tuple[str, str]] = [
            (f"{field}::{i}", p)
            for field in ("services", "span_names", "span_kinds", "log_bodies",
                          "log_severity_texts", "metric_names")
            for i, p in enumerate(getattr(self, field))]
        patterns += [(f"libraries::{i}", lib.name) for i, lib in enumerate(self.libraries)]
        patterns += [(f"libraries::{i}::version", lib.version)
                     for i, lib in enumerate(self.libraries) if lib.version is not None]
        patterns += [(f"{field}::{i}::value", a.value)
                     for field in ("attributes", "resources")
                     for i, a in enumerate(getattr(self, field)) if isinstance(a.value, str)]
        out = []
        for where, pattern in patterns:
            try:
                compile_go(pattern)
            except re.error as exc:
                out.append(f'{where}: invalid regular expression "{pattern}": {exc}')
        return out


_SPAN_ONLY = ("services", "span_names", "span_kinds")
_LOG_ONLY = ("log_bodies", "log_severity_texts")


def signal_problem(props: MatchProperties, signal: Signal) -> str | None:
    """Why ``props`` cannot select items of ``signal`` (the Collector's ValidateForSpans /
    ValidateForLogs), or None. Metrics accept any properties (only metric_names is used)."""
    if signal is Signal.TRACES:
        for field in _LOG_ONLY:
            if getattr(props, field):
                return f"{field} should not be specified for trace spans"
        if props.log_severity_number is not None:
            return "log_severity_number should not be specified for trace spans"
        if not (props.services or props.span_names or props.attributes or props.libraries
                or props.resources or props.span_kinds):
            return ('at least one of "services", "span_names", "span_kinds", "attributes", '
                    '"libraries" or "resources" must be specified for spans')
    elif signal is Signal.LOGS:
        if any(getattr(props, field) for field in _SPAN_ONLY):
            return "services, span_names, and span_kinds are not valid for log records"
        if not (props.attributes or props.libraries or props.resources or props.log_bodies
                or props.log_severity_texts or props.log_severity_number is not None):
            return ('at least one of "attributes", "libraries", "resources", "log_bodies", '
                    '"log_severity_texts" or "log_severity_number" must be specified for logs')
    return None

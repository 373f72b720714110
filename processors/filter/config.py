"""Configuration of the filter processor: OTTL conditions per context (the Collector's
current form) and the older include/exclude match properties."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from otelpy.component import Signal
from otelpy.config.types import ConfigModel

MatchType = Literal["strict", "regexp"]


class AttributeMatch(ConfigModel):
    key: str = Field(description="Attribute key.")
    value: Any = Field(default=None, description="Value (strict) or regular expression "
                       "(regexp); absent: the key only has to be present.")


class LibraryMatch(ConfigModel):
    name: str = Field(description="Instrumentation scope name.")
    version: str | None = Field(default=None, description="Scope version; absent: any.")


class SeverityMatch(ConfigModel):
    min: str | int = Field(description="Lowest severity that matches: a short name "
                           "(INFO, WARN2, ...) or a severity number.")
    match_undefined: bool = Field(default=False, description="Whether records without a "
                                  "severity number match.")


class MatchProperties(ConfigModel):
    """What an item must have to match (every property given must match)."""

    match_type: MatchType = Field(default="strict", description="strict or regexp.")
    services: list[str] = Field(default_factory=list, description="Spans: service.name.")
    span_names: list[str] = Field(default_factory=list, description="Spans: names.")
    span_kinds: list[str] = Field(default_factory=list,
                                  description="Spans: kinds (SPAN_KIND_SERVER, ...).")
    attributes: list[AttributeMatch] = Field(default_factory=list,
                                             description="Spans: attributes, all must match.")
    resources: list[AttributeMatch] = Field(
        default_factory=list, description="Spans: resource attributes, all must match.")
    libraries: list[LibraryMatch] = Field(default_factory=list,
                                          description="Spans: scopes, any may match.")
    resource_attributes: list[AttributeMatch] = Field(
        default_factory=list, description="Logs and metrics: resource attributes, all "
                                          "must match.")
    record_attributes: list[AttributeMatch] = Field(
        default_factory=list, description="Logs: record attributes, all must match.")
    severity_texts: list[str] = Field(default_factory=list, description="Logs: severity "
                                      "texts, any may match.")
    bodies: list[str] = Field(default_factory=list, description="Logs: bodies, any.")
    severity_number: SeverityMatch | None = Field(default=None,
                                                  description="Logs: lowest severity.")
    metric_names: list[str] = Field(default_factory=list, description="Metrics: names.")
    expressions: list[str] = Field(default_factory=list, description="Metrics with "
                                   "match_type expr: not implemented by otelpy (refused).")


class IncludeExclude(ConfigModel):
    include: MatchProperties | None = Field(default=None, description="Keep only the items "
                                            "that match.")
    exclude: MatchProperties | None = Field(default=None, description="Drop the items that "
                                            "match.")


class TraceConditions(ConfigModel):
    resource: list[str] = Field(default_factory=list, description="OTTL conditions in the "
                                "resource context: a match drops the resource's spans.")
    span: list[str] = Field(default_factory=list, description="OTTL conditions in the span "
                            "context: a match drops the span.")
    spanevent: list[str] = Field(default_factory=list, description="OTTL conditions in the "
                                 "spanevent context: a match drops the event.")


class MetricConditions(IncludeExclude):
    resource: list[str] = Field(default_factory=list, description="OTTL conditions in the "
                                "resource context: a match drops the resource's metrics.")
    metric: list[str] = Field(default_factory=list, description="OTTL conditions in the "
                              "metric context: a match drops the metric.")
    datapoint: list[str] = Field(default_factory=list, description="OTTL conditions in the "
                                 "datapoint context; a metric left without points is dropped.")


class LogConditions(IncludeExclude):
    resource: list[str] = Field(default_factory=list, description="OTTL conditions in the "
                                "resource context: a match drops the resource's records.")
    log_record: list[str] = Field(default_factory=list, description="OTTL conditions in the "
                                  "log context: a match drops the record.")


#: (config section, key) -> OTTL context of each condition list
CONDITION_LISTS: dict[Signal, tuple[tuple[str, str, str], ...]] = {
    Signal.TRACES: (("traces", "resource", "resource"), ("traces", "span", "span"),
                    ("traces", "spanevent", "spanevent")),
    Signal.METRICS: (("metrics", "resource", "resource"), ("metrics", "metric", "metric"),
                     ("metrics", "datapoint", "datapoint")),
    Signal.LOGS: (("logs", "resource", "resource"), ("logs", "log_record", "log")),
}


class FilterConfig(ConfigModel):
    """``processors: filter:`` settings."""

    error_mode: Literal["ignore", "silent", "propagate"] = Field(
        default="propagate",
        description="What a failing condition does: ignore (log; the item is kept), silent "
                    "(keep it without logging), propagate (refuse the batch).")
    traces: TraceConditions = Field(default_factory=TraceConditions,
                                    description="OTTL conditions for traces.")
    metrics: MetricConditions = Field(default_factory=MetricConditions,
                                      description="OTTL conditions and include/exclude "
                                                  "for metrics.")
    logs: LogConditions = Field(default_factory=LogConditions,
                                description="OTTL conditions and include/exclude for logs.")
    spans: IncludeExclude = Field(default_factory=IncludeExclude,
                                  description="include/exclude for spans (the older form).")

    def conditions(self, signal: Signal) -> list[tuple[str, str, list[str]]]:
        """(YAML path, context, conditions) of every non-empty list for ``signal``."""
        out = []
        for section, key, context in CONDITION_LISTS[signal]:
            texts = getattr(getattr(self, section), key)
            if texts:
                out.append((f"{section}::{key}", context, list(texts)))
        return out

    def validate_config(self) -> list[str]:
        from otelpy.ottl import CompileError, ConditionSet

        problems = []
        for signal in Signal:
            for where, context, texts in self.conditions(signal):
                try:
                    ConditionSet.compile(texts, signal, context)
                except CompileError as exc:
                    problems.append(f"{where}::{exc.index}: {exc}")
        for section in ("spans", "metrics", "logs"):
            problems += _legacy_problems(section, getattr(self, section))
        return problems


def _legacy_problems(section: str, props: IncludeExclude) -> list[str]:
    import re

    problems = []
    for action in ("include", "exclude"):
        match: MatchProperties | None = getattr(props, action)
        if match is None:
            continue
        if match.expressions:
            problems.append(f"{section}::{action}::expressions: match_type expr is not "
                            "implemented by otelpy; use OTTL conditions (metrics::metric)")
        if match.match_type == "regexp":
            for pattern in [*match.services, *match.span_names, *match.metric_names,
                            *match.bodies, *match.severity_texts]:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    problems.append(f"{section}::{action}: invalid regular expression "
                                    f"{pattern!r}: {exc}")
    return problems

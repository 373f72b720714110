"""Configuration of the cumulativetodelta processor (the Collector's keys)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from otelpy.config.types import ConfigModel, Duration
from otelpy.filtermatch.config import RegexpSettings

#: What ``max_streams: 0`` means here.
STREAM_CEILING = 1_000_000


class MatchMetrics(ConfigModel):
    """``include`` / ``exclude``: metrics chosen by name and type."""

    match_type: Literal["strict", "regexp", ""] = Field(
        "", description="How `metrics` entries match names: `strict` (equal) or `regexp` "
                        "(RE2 search; anchor with ^...$). Required with `metrics`.")
    metrics: list[str] = Field(default_factory=list, description="Metric names or patterns.")
    metric_types: list[Literal["sum", "histogram"]] = Field(
        default_factory=list, description="Metric types (`sum`, `histogram`); empty = both.")
    regexp: RegexpSettings | None = Field(None, description="Options of `match_type: regexp` "
                                          "(result cache).")

    def given(self) -> bool:
        return bool(self.metrics or self.metric_types)

    def problems(self, where: str) -> list[str]:
        if self.metrics and not self.match_type:
            return [f"{where}.match_type: must be set when {where}.metrics is given"]
        if self.match_type and not self.metrics:
            return [f"{where}.metrics: must be given when {where}.match_type is set"]
        return []


class CumulativeToDeltaConfig(ConfigModel):
    """``processors: cumulativetodelta:`` settings."""

    include: MatchMetrics = Field(default_factory=MatchMetrics, description="Convert only "
                                  "these metrics; unset = every cumulative monotonic sum and "
                                  "cumulative histogram.")
    exclude: MatchMetrics = Field(default_factory=MatchMetrics, description="Never convert "
                                  "these metrics (wins over include).")
    initial_value: Literal["auto", "keep", "drop"] = Field(
        "auto", description="The first point of a stream: `keep` sends it as the first delta, "
                            "`drop` drops it, `auto` keeps it only when its start time is set, "
                            "differs from its time and is after the processor started.")
    max_staleness: Duration = Field(
        0.0, description="Forget a stream not updated for this long (its next point counts as "
                         "a first point); 0 = never (bounded by max_streams).")
    max_streams: int = Field(
        0, ge=0, description="otelpy addition: most streams tracked; a point of a new stream "
                             "beyond it is dropped and counted. 0 = 1,000,000.")

    def stream_limit(self) -> int:
        return self.max_streams or STREAM_CEILING

    def validate_config(self) -> list[str]:
        return self.include.problems("include") + self.exclude.problems("exclude")

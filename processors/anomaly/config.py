"""Configuration of the anomaly processor."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field

from otelpy.config.types import ConfigModel

Method = Literal["surprise", "robust", "drift"]


class SeriesMatch(ConfigModel):
    """Which series a block selects: every property given must match."""

    metric_names: list[str] = Field(
        default_factory=list, description="Regular expressions; the metric name must match one "
        "of them in full. Empty: any name.")
    attributes: dict[str, str] = Field(
        default_factory=dict, description="Data point (or resource) attribute key -> regular "
        "expression its value's text must match in full. Every key listed must be present.")


class MethodGroup(ConfigModel):
    """Series that use another method than the default (the first matching group wins)."""

    match: SeriesMatch = Field(description="The series of this group.")
    method: Method = Field(description="surprise, robust or drift.")
    season: Literal["none", "daily", "weekly"] = Field(
        default="none", description="robust only: keep a median/MAD per hour of the day or week.")


class AnomalyConfig(ConfigModel):
    """``processors: anomaly:`` settings."""

    include: SeriesMatch | None = Field(
        default=None, description="Score only the series that match. Absent: every gauge and sum.")
    exclude: SeriesMatch | None = Field(
        default=None, description="Never score the series that match (applied after include).")
    method: Method = Field(default="surprise", description="Method of series in no group: "
                           "surprise (default; best on NAB), robust (median/MAD) or drift "
                           "(Kolmogorov-Smirnov D of recent vs reference values).")
    groups: list[MethodGroup] = Field(default_factory=list,
                                      description="Per series group methods, first match wins.")
    max_series: int = Field(default=2000, ge=1, description="Series scored at once; the least "
                            "recently seen is evicted (counted) to make room for a new one.")
    suffix: str = Field(default=".anomaly_score", min_length=1, description="Appended to the "
                        "metric name for the score metric (a gauge, same attributes).")

    def validate_config(self) -> list[str]:
        problems: list[str] = []
        blocks = [("include", self.include), ("exclude", self.exclude)]
        blocks += [(f"groups[{i}].match", g.match) for i, g in enumerate(self.groups)]
        for path, block in blocks:
            if block is None:
                continue
            patterns = [(f"{path}.metric_names", p) for p in block.metric_names]
            patterns += [(f"{path}.attributes.{k}", p) for k, p in block.attributes.items()]
            for where, pattern in patterns:
                try:
                    re.compile(pattern)
                except re.error as err:
                    problems.append(f"{where}: invalid regular expression {pattern!r}: {err}")
        for i, group in enumerate(self.groups):
            if group.season != "none" and group.method != "robust":
                problems.append(f"groups[{i}].season: only the robust method has a season")
        return problems

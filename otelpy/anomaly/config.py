"""Configuration shared by the ``anomaly`` processor and the ``anomaly`` connector: which
series are scored, with which method, how many at once, and where the learned state is kept."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field

from otelpy.config.types import ConfigModel, Duration

Method = Literal["shape", "surprise", "robust", "drift", "iforest"]


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
    method: Method = Field(description="shape, surprise, robust, drift or iforest.")
    season: Literal["none", "daily", "weekly"] = Field(
        default="none", description="robust only: keep a median/MAD per hour of the day or week.")


class SeriesScoring(ConfigModel):
    """Selection, methods, bounds and persistence of the scored series."""

    include: SeriesMatch | None = Field(
        default=None, description="Score only the series that match. Absent: every gauge and sum.")
    exclude: SeriesMatch | None = Field(
        default=None, description="Never score the series that match (applied after include).")
    method: Method = Field(default="shape", description="Method of series in no group: shape "
                           "(default; best on NAB), surprise, robust (median/MAD), drift "
                           "(Kolmogorov-Smirnov D of recent vs reference values) or iforest "
                           "(isolation forest over recent windows, fitted off the event loop).")
    groups: list[MethodGroup] = Field(default_factory=list,
                                      description="Per series group methods, first match wins.")
    max_series: int = Field(default=2000, ge=1, description="Series scored at once; the least "
                            "recently seen is evicted (counted) to make room for a new one.")
    storage: str = Field(default="", description="Storage extension (e.g. file_storage/anomaly) "
                         "keeping every series' learned state, so a restart continues where it "
                         "stopped. Empty: state lives in memory only.")
    save_interval: Duration = Field(default=60.0, gt=0, description="With storage: how often "
                                    "the state is written (also at shutdown).")

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

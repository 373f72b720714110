"""Configuration of the anomaly connector (metrics -> logs)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from otelpy.anomaly.config import SeriesScoring

SENSITIVITY = {"low": 0.8, "medium": 0.6, "high": 0.5}


class AnomalyEventsConfig(SeriesScoring):
    """``connectors: anomaly:`` settings: the processor's series keys plus the event threshold."""

    threshold: float | None = Field(default=None, ge=0.0, le=1.0, description="A point whose "
                                    "score is >= threshold becomes a metric.anomaly event. "
                                    "Absent: from sensitivity.")
    sensitivity: Literal["low", "medium", "high"] = Field(
        default="medium", description="Threshold when `threshold` is absent: low = 0.8 (only "
        "far past the series' previous record), medium = 0.6, high = 0.5 (every new record; "
        "the shape method's best NAB threshold).")
    severity: Literal["INFO", "WARN", "ERROR"] = Field(
        default="WARN", description="Severity of the event log records.")

    def event_threshold(self) -> float:
        return self.threshold if self.threshold is not None else SENSITIVITY[self.sensitivity]

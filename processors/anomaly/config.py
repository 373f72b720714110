"""Configuration of the anomaly processor."""

from __future__ import annotations

from pydantic import Field

from otelpy.anomaly.config import SeriesScoring


class AnomalyConfig(SeriesScoring):
    """``processors: anomaly:`` settings."""

    suffix: str = Field(default=".anomaly_score", min_length=1, description="Appended to the "
                        "metric name for the score metric (a gauge, same attributes).")

"""Configuration of the logpattern connector."""

from __future__ import annotations

from pydantic import Field

from otelpy.config.types import ConfigModel, Duration


class LogPatternCountsConfig(ConfigModel):
    """``connectors: logpattern:`` settings."""

    interval: Duration = Field(
        default=60.0, gt=0,
        description="How often the counts are emitted (cumulative sums; also at shutdown).")
    id_attribute: str = Field(
        default="log.pattern.id", min_length=1,
        description="Record attribute holding the pattern ID (set by the logpattern "
                    "processor; other scalar values count as their text). Records without it are "
                    "not counted.")
    template_attribute: str = Field(
        default="log.pattern.template", min_length=1,
        description="Record attribute holding the template, copied onto the data point.")
    max_series: int = Field(
        default=10_000, gt=0,
        description="Distinct (service, pattern) series kept; records of further series are "
                    "not counted (otelpy_connector_logpattern_series_dropped).")

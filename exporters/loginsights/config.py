"""Configuration of the loginsights exporter (otelpy's own; the Collector has none)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from otelpy.config.types import ConfigModel, Duration

#: the longest window: bounds memory (buckets) and every query's range
MAX_WINDOW = 24 * 3600.0


class CorrelateMetric(ConfigModel):
    """One metric to correlate with error counts."""

    metric: str = Field(min_length=1, description="Metric name as it arrives (OTLP name).")
    aggregation: Literal["mean", "sum", "max"] = Field(
        default="mean",
        description="How the metric's points in one bucket become one value: mean (gauges, "
                    "latencies), sum (delta counters), max.")


class LogInsightsConfig(ConfigModel):
    """``exporters: loginsights:`` settings."""

    window: Duration = Field(3600.0, description="How far back records are kept (at most "
                                                 "24h); also the largest range a query may "
                                                 "ask.")
    resolution: Duration = Field(60.0, description="Bucket size: records and metric points "
                                                   "are filed by arrival time into buckets "
                                                   "this long; correlations pair buckets.")
    max_services: int = Field(
        1000, ge=1, le=100_000,
        description="Most services held in the window; records of further services are not "
                    "kept (counted).")
    max_patterns: int = Field(
        10_000, ge=1, le=1_000_000,
        description="Most (service, pattern, severity) keys held in the window; further "
                    "ones are not kept (counted; the records still count in the summary).")
    max_anomalies: int = Field(1000, ge=1, le=100_000,
                               description="log.anomaly events kept; the oldest goes first "
                                           "(counted).")
    max_results: int = Field(100, ge=1, le=10_000,
                             description="Largest `limit` a query may ask (error patterns and "
                                         "anomalies returned).")
    correlate: list[CorrelateMetric] = Field(
        default_factory=list, max_length=50,
        description="Metrics (fed from a metrics pipeline into this exporter) whose values "
                    "are correlated with error counts.")
    min_correlation_buckets: int = Field(
        5, ge=2, description="Fewest complete buckets with a metric value for a correlation "
                             "score (fewer: null with the reason).")
    id_attribute: str = Field("log.pattern.id", min_length=1,
                              description="Record attribute holding the pattern ID.")
    template_attribute: str = Field("log.pattern.template", min_length=1,
                                    description="Record attribute holding the template.")

    def validate_config(self) -> list[str]:
        problems = []
        if not 0 < self.window <= MAX_WINDOW:
            problems.append("window: must be positive and at most 24h")
        if not 0 < self.resolution <= self.window:
            problems.append("resolution: must be positive and at most window")
        elif self.window / self.resolution > 10_000:
            problems.append("resolution: window / resolution must be at most 10000 buckets")
        names = [c.metric for c in self.correlate]
        if len(names) != len(set(names)):
            problems.append("correlate: a metric is listed twice")
        return problems

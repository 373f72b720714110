"""Configuration of the spanmetrics connector (the Collector's spanmetricsconnector keys)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from otelpy.config.types import ConfigModel, Duration

DELTA = "AGGREGATION_TEMPORALITY_DELTA"
CUMULATIVE = "AGGREGATION_TEMPORALITY_CUMULATIVE"
DEFAULT_BUCKETS_MS = (2, 4, 6, 8, 10, 50, 100, 200, 400, 800, 1000, 1400, 2000, 5000, 10_000,
                      15_000)
RESERVED = ("service.name", "span.name", "span.kind", "status.code")
#: exemplars per data point per flush when max_per_data_point is not set (the Collector:
#: no limit; otelpy bounds every buffer)
EXEMPLAR_CEILING = 1000


class Dimension(ConfigModel):
    """One extra dimension: a span attribute, else a resource attribute, else ``default``."""

    name: str = Field(min_length=1, description="Attribute name looked up in the span's "
                                                "attributes, then its resource's.")
    default: str | None = Field(
        None, description="Value when neither has the attribute; without one the dimension "
                          "is left out of that series.")


class ExplicitHistogram(ConfigModel):
    buckets: list[Duration] | None = Field(
        None, description="Upper bounds of the duration buckets (durations); default "
                          "2ms, 4ms, 6ms, 8ms, 10ms, 50ms, 100ms, 200ms, 400ms, 800ms, 1s, "
                          "1400ms, 2s, 5s, 10s, 15s.")


class ExponentialHistogram(ConfigModel):
    max_size: int = Field(160, ge=0, description="Most buckets per histogram (0 = 160); "
                                                 "the scale drops to fit.")


class HistogramConfig(ConfigModel):
    disable: bool = Field(False, description="No duration histogram at all.")
    unit: Literal["ms", "s"] = Field("ms", description="Unit of the duration histogram.")
    explicit: ExplicitHistogram | None = Field(
        None, description="Explicit-bucket histogram (the default).")
    exponential: ExponentialHistogram | None = Field(
        None, description="Exponential histogram instead of explicit buckets.")
    dimensions: list[Dimension] = Field(
        default_factory=list, description="Dimensions added to the duration histogram only.")


class ExemplarsConfig(ConfigModel):
    enabled: bool = Field(False, description="Attach spans (trace and span IDs, duration) "
                                             "as exemplars, cleared at every flush.")
    max_per_data_point: int | None = Field(
        None, ge=1, description=f"Most exemplars per data point per flush (unset: "
                                f"{EXEMPLAR_CEILING}, otelpy's ceiling).")


class EventsConfig(ConfigModel):
    enabled: bool = Field(False, description="Count span events in an events metric.")
    dimensions: list[Dimension] = Field(
        default_factory=list, description="Event attributes (then resource attributes) "
                                          "added as dimensions; required when enabled.")


class SpanMetricsConfig(ConfigModel):
    """``connectors: spanmetrics:`` settings."""

    histogram: HistogramConfig = Field(default_factory=HistogramConfig,
                                       description="The duration histogram.")
    dimensions: list[Dimension] = Field(
        default_factory=list, description="Dimensions added to every metric after "
                                          "service.name, span.name, span.kind, status.code.")
    calls_dimensions: list[Dimension] = Field(
        default_factory=list, description="Dimensions added to the calls metric only.")
    exclude_dimensions: list[str] = Field(
        default_factory=list, description="Default dimensions (service.name, span.name, "
                                          "span.kind, status.code) to leave out.")
    dimensions_cache_size: int = Field(
        1000, ge=1, description="Deprecated in the Collector: size of its dimension-set "
                                "cache. otelpy accepts it; series are bounded by "
                                "aggregation_cardinality_limit and resource_metrics_cache_size.")
    resource_metrics_cache_size: int = Field(
        1000, ge=1, description="Most resources tracked; the least recently used is "
                                "forgotten (counted) when one more arrives.")
    resource_metrics_key_attributes: list[str] = Field(
        default_factory=list, description="Resource attributes that identify a resource "
                                          "(default: all of them).")
    aggregation_temporality: Literal[
        "AGGREGATION_TEMPORALITY_CUMULATIVE", "AGGREGATION_TEMPORALITY_DELTA"] = Field(
        CUMULATIVE, description="Cumulative counts since start, or delta counts per flush.")
    metric_timestamp_cache_size: int | None = Field(
        None, ge=1, description="Delta only: series whose last flush time is kept as the next "
                                "start time (default 1000); a forgotten one restarts.")
    aggregation_cardinality_limit: int = Field(
        0, ge=0, description="Most series per metric and resource (0 = no limit); spans of "
                             "further series go to one series with the single attribute "
                             "otel.metric.overflow=true.")
    namespace: str = Field("traces.span.metrics",
                           description="Prefix of the metric names (namespace.calls ...).")
    metrics_flush_interval: Duration = Field(60.0, description="How often metrics are sent.")
    metrics_expiration: Duration = Field(
        0.0, description="A resource with no span for this long is no longer exported "
                         "(0 = never).")
    series_expiration: Duration = Field(
        0.0, description="A series with no span for this long is no longer exported "
                         "(0 = never).")
    exemplars: ExemplarsConfig = Field(default_factory=ExemplarsConfig,
                                       description="Exemplars on calls and duration.")
    events: EventsConfig = Field(default_factory=EventsConfig,
                                 description="The events metric.")
    include_instrumentation_scope: list[str] = Field(
        default_factory=list, description="Scope names whose spans also get "
                                          "span.instrumentation.scope.name and .version "
                                          "dimensions.")
    add_resource_attributes: bool = Field(
        True, description="Copy the spans' resource attributes to the metrics' resource (the "
                          "Collector's behaviour while its excludeResourceMetrics gate is "
                          "off); false: the metrics' resource is empty.")
    enable_metrics_sampling_method: bool = Field(
        False, description="Accepted for compatibility; otelpy counts every span once.")

    def validate_config(self) -> list[str]:
        problems = []
        for key, dims in (("dimensions", self.dimensions),
                          ("events::dimensions", self.events.dimensions)):
            seen = set(RESERVED)
            for i, d in enumerate(dims):
                if d.name in seen:
                    problems.append(f"{key}::{i}::name: duplicate dimension name {d.name}")
                seen.add(d.name)
        if self.events.enabled and not self.events.dimensions:
            problems.append("events::dimensions: no dimensions configured for events")
        if self.histogram.explicit is not None and self.histogram.exponential is not None:
            problems.append("histogram: use either `explicit` or `exponential` buckets "
                            "histogram")
        if self.metrics_flush_interval <= 0:
            problems.append("metrics_flush_interval: must be a positive duration")
        return problems

    @property
    def delta(self) -> bool:
        return self.aggregation_temporality == DELTA

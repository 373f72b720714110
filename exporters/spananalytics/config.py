"""Configuration of the spananalytics exporter (otelpy's own; the Collector has none)."""

from __future__ import annotations

from pydantic import Field

from otelpy.config.types import ConfigModel, Duration
from otelpy.spanstats.edges import DEFAULT_PEER_ATTRIBUTES

#: the longest window: bounds memory (buckets) and every query's range
MAX_WINDOW = 24 * 3600.0


class SpanAnalyticsConfig(ConfigModel):
    """``exporters: spananalytics:`` settings."""

    window: Duration = Field(3600.0, description="How far back spans are kept (at most 24h); "
                                                 "also the largest range a query may ask.")
    resolution: Duration = Field(60.0, description="Bucket size: spans are filed by arrival "
                                                   "time into buckets this long.")
    max_operations: int = Field(
        1000, ge=1, le=100_000,
        description="Most (service, operation) pairs held; spans of further pairs are not "
                    "kept (counted). Also the most edges per bucket.")
    slowest_spans: int = Field(10, ge=1, le=100,
                               description="Slowest spans kept per pair and bucket, and the "
                                           "most a query returns.")
    relative_accuracy: float = Field(
        0.01, gt=0, lt=1, description="Relative error of the duration percentiles (DDSketch).")
    store_max_items: int = Field(10_000, ge=1, description="Most client/server pairs waiting "
                                                           "for their other span.")
    store_ttl: Duration = Field(2.0, description="How long a pair waits before it expires "
                                                 "(then a virtual node edge).")
    virtual_node_peer_attributes: list[str] = Field(
        default_factory=lambda: list(DEFAULT_PEER_ATTRIBUTES),
        description="Client span attributes naming an uninstrumented server.")

    def validate_config(self) -> list[str]:
        problems = []
        if not 0 < self.window <= MAX_WINDOW:
            problems.append("window: must be positive and at most 24h")
        if not 0 < self.resolution <= self.window:
            problems.append("resolution: must be positive and at most window")
        elif self.window / self.resolution > 10_000:
            problems.append("resolution: window / resolution must be at most 10000 buckets")
        if self.store_ttl <= 0:
            problems.append("store_ttl: must be a positive duration")
        return problems

"""Configuration of the servicegraph connector (the Collector's servicegraphconnector keys)."""

from __future__ import annotations

from pydantic import Field

from otelpy.config.types import ConfigModel, Duration
from otelpy.spanstats.edges import DEFAULT_PEER_ATTRIBUTES

DEFAULT_BUCKETS_S = (0.002, 0.004, 0.006, 0.008, 0.01, 0.05, 0.1, 0.2, 0.4, 0.8, 1, 1.4, 2, 5,
                     10, 15)


class StoreConfig(ConfigModel):
    max_items: int = Field(1000, ge=1, description="Most edges waiting for their other span; "
                                                   "a span that would open one more is "
                                                   "dropped and counted.")
    ttl: Duration = Field(2.0, description="How long an edge waits for its other span before "
                                           "it expires (counted; virtual node edges).")


class ServiceGraphConfig(ConfigModel):
    """``connectors: servicegraph:`` settings."""

    latency_histogram_buckets: list[Duration] | None = Field(
        None, description="Bounds of the latency histograms (durations; in seconds on the "
                          "wire); default 2ms ... 15s as the Collector.")
    exponential_histogram_max_size: int = Field(
        0, ge=0, description="Above 0: exponential latency histograms with at most this many "
                             "buckets instead of explicit ones.")
    dimensions: list[str] = Field(
        default_factory=list, description="Span or resource attributes added to each edge as "
                                          "client_<name> and server_<name>.")
    store: StoreConfig = Field(default_factory=StoreConfig,
                               description="The store pairing client and server spans.")
    cache_loop: Duration = Field(60.0, description="How often series not updated for 15 "
                                                   "minutes are forgotten.")
    store_expiration_loop: Duration = Field(2.0, description="How often expired edges are "
                                                             "taken out of the store.")
    virtual_node_peer_attributes: list[str] = Field(
        default_factory=lambda: list(DEFAULT_PEER_ATTRIBUTES),
        description="Client span attributes naming an uninstrumented server, first match "
                    "wins; empty: no virtual nodes.")
    virtual_node_extra_label: bool = Field(
        False, description="Add virtual_node=client|server to virtual node edges.")
    metrics_flush_interval: Duration = Field(
        60.0, description="How often metrics are sent; 0 = after every batch of spans.")
    metrics_timestamp_offset: Duration = Field(
        0.0, description="Data point timestamps are this much before the flush time.")
    database_name_attributes: list[str] = Field(
        default_factory=lambda: ["db.name"],
        description="Attributes naming the database of a client span (first match wins); such "
                    "a span is a database edge by itself.")
    database_name_attribute: str | None = Field(
        None, description="Deprecated: one database name attribute, put first in "
                          "database_name_attributes.")
    metrics_exporter: str | None = Field(None, description="Deprecated no-op, as in the "
                                                           "Collector.")

    def validate_config(self) -> list[str]:
        problems = []
        if self.store.ttl <= 0:
            problems.append("store::ttl: must be a positive duration")
        if self.store_expiration_loop <= 0 or self.cache_loop <= 0:
            problems.append("store_expiration_loop, cache_loop: must be positive durations")
        return problems

    def database_attributes(self) -> list[str]:
        names = list(self.database_name_attributes)
        if self.database_name_attribute and self.database_name_attribute not in names:
            names.insert(0, self.database_name_attribute)
        return names

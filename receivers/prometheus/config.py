"""Configuration of the prometheus receiver (the Collector's prometheusreceiver keys).

``config`` is a Prometheus configuration (``global``, ``scrape_configs``) checked as
Prometheus checks it; see :mod:`otelpy.prometheus.scrapeconfig` for the keys it accepts and
those it refuses by name.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from otelpy.config.types import ConfigModel
from otelpy.prometheus.scrapeconfig import PromConfig

_UNSUPPORTED = {
    "target_allocator": "the OpenTelemetry Operator's target allocator is not supported",
    "api_server": "the Prometheus API server is not supported",
    "use_start_time_metric": "start times from process_start_time_seconds are not supported "
                             "(start times come from _created samples or the first scrape)",
    "start_time_metric_regex": "start times from a start-time metric are not supported",
    "report_extra_scrape_metrics": "extra scrape metrics are not supported",
}


class PrometheusReceiverConfig(ConfigModel):
    """``receivers: prometheus:`` settings."""

    config: PromConfig = Field(
        default_factory=PromConfig,
        description="The Prometheus configuration: `global` and `scrape_configs` (static and "
                    "file service discovery, relabelling, auth, TLS); other Prometheus keys "
                    "are refused by name.")
    trim_metric_suffixes: bool = Field(
        default=False,
        description="Remove `_total` from counter names and the `_<unit>` suffix of "
                    "OpenMetrics families with a UNIT from metric names.")

    @model_validator(mode="before")
    @classmethod
    def _refuse(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key, why in _UNSUPPORTED.items():
                if key in data:
                    raise ValueError(f"{key}: {why} by otelpy's prometheus receiver")
        return data

    def validate_config(self) -> list[str]:
        problems = [f"config::{p}" for p in self.config.validate_config()]
        if not self.config.scrape_configs:
            problems.append("config: no Prometheus scrape_configs or target_allocator set")
        return problems

"""The prometheus receiver built from a config dict, on a FakeClock, into a SinkConsumer."""

from __future__ import annotations

import logging
from typing import Any

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.pdata import items
from otelpy.receivers.prometheus import PrometheusReceiverConfig
from otelpy.receivers.prometheus.receiver import PrometheusReceiver
from otelpy.telemetry import Telemetry
from otelpy.testing.clock import FakeClock
from otelpy.testing.sink import SinkConsumer

__all__ = ["make_receiver", "points", "metric_names"]


def make_receiver(config: dict[str, Any], clock: FakeClock | None = None,
                  **extra: Any) -> tuple[PrometheusReceiver, SinkConsumer, FakeClock]:
    clock = clock or FakeClock()
    cfg = PrometheusReceiverConfig.model_validate({"config": config, **extra})
    assert cfg.validate_config() == []
    settings = Settings(ComponentID("prometheus"), Kind.RECEIVER,
                        logging.getLogger("test.prometheus"), Telemetry(), clock)
    sink = SinkConsumer()
    return PrometheusReceiver(settings, cfg, {Signal.METRICS: sink}), sink, clock


def points(sink: SinkConsumer, name: str, batch: int = -1) -> list[Any]:
    """(resource attrs, metric, point) of every point of metric ``name`` in one batch."""
    request = sink.batches[batch].message
    return [(dict((kv.key, kv.value.string_value) for kv in p.resource.resource.attributes),
             p.metric, p.point)
            for p in items.data_points(request) if p.metric.name == name]


def metric_names(sink: SinkConsumer, batch: int = -1) -> set[str]:
    return {m.metric.name for m in items.metrics(sink.batches[batch].message)}

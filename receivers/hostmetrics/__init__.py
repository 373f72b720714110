"""The ``hostmetrics`` receiver: host metrics through psutil and /proc, as the Collector's
hostmetricsreceiver. psutil is imported when a receiver is created, not here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.consumer import Consumer
from otelpy.receivers.hostmetrics.config import HostMetricsConfig


def _create(settings: Settings, cfg: HostMetricsConfig,
            consumers: Mapping[Signal, Consumer]) -> Any:
    from otelpy.receivers.hostmetrics.receiver import HostMetricsReceiver

    return HostMetricsReceiver(settings, cfg, consumers)


factory = Factory(
    type="hostmetrics",
    kind=Kind.RECEIVER,
    config_type=HostMetricsConfig,
    create=_create,
    stability={"metrics": Stability.BETA},
    description="Scrapes host metrics (cpu, memory, load, disk, filesystem, network, paging, "
                "processes, per-process) with psutil",
)

__all__ = ["factory", "HostMetricsConfig"]

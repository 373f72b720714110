"""The ``httpcheck`` receiver (the Collector's httpcheckreceiver): requests each target on
an interval; ``httpcheck.status`` per status class, ``httpcheck.duration``,
``httpcheck.error``. Shares the HTTP probe of the healthcheck receiver."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.consumer import Consumer
from otelpy.receivers.httpcheck.config import HttpCheckConfig


def _create(settings: Settings, cfg: HttpCheckConfig,
            consumers: Mapping[Signal, Consumer]) -> Any:
    from otelpy.receivers.httpcheck.receiver import HttpCheckReceiver

    return HttpCheckReceiver(settings, cfg, consumers[Signal.METRICS])


factory = Factory(
    type="httpcheck",
    kind=Kind.RECEIVER,
    config_type=HttpCheckConfig,
    create=_create,
    stability={"metrics": Stability.ALPHA},
    description="Requests HTTP endpoints on an interval: httpcheck.status per status class, "
                "httpcheck.duration, httpcheck.error (the Collector's httpcheckreceiver)",
)

__all__ = ["factory", "HttpCheckConfig"]

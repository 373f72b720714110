"""The ``redis`` receiver (the Collector's redisreceiver): reads INFO on an interval and
sends the redis.* metrics. Shares the healthcheck receiver's Redis probe (redis-py is
imported when a receiver is created)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.consumer import Consumer
from otelpy.receivers.redis.config import RedisConfig


def _create(settings: Settings, cfg: RedisConfig,
            consumers: Mapping[Signal, Consumer]) -> Any:
    from otelpy.receivers.redis.receiver import RedisReceiver

    return RedisReceiver(settings, cfg, consumers[Signal.METRICS])


factory = Factory(
    type="redis",
    kind=Kind.RECEIVER,
    config_type=RedisConfig,
    create=_create,
    stability={"metrics": Stability.ALPHA},
    description="Reads a Redis server's INFO on an interval: the Collector's redis.* metrics",
)

__all__ = ["factory", "RedisConfig"]

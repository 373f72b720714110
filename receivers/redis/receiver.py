"""The redis receiver: INFO every collection_interval through the shared Redis probe's
client, turned into the Collector's redis.* metrics (resource: redis.version; server.address
and server.port when enabled, as in the Collector). A failed read is logged and counted;
the next tick tries again."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from opentelemetry.proto.metrics.v1.metrics_pb2 import AggregationTemporality, Metric

from otelpy import __version__
from otelpy.clock import run_every
from otelpy.component import ComponentBase, Host, Settings, Signal
from otelpy.consumer import Consumer
from otelpy.errors import ConsumerError
from otelpy.pdata.build import RequestBuilder
from otelpy.pdata.values import Attributes
from otelpy.probes.config import RedisProbeSettings
from otelpy.receivers.redis.config import RedisConfig
from otelpy.receivers.redis.metadata import (
    CPU_DESCRIPTION,
    CPU_STATES,
    DB_METRICS,
    DOUBLES,
    METRICS,
    OFF_BY_DEFAULT,
)

__all__ = ["RedisReceiver", "info_metrics"]

SCOPE = "github.com/open-telemetry/opentelemetry-collector-contrib/receiver/redisreceiver"


class RedisReceiver(ComponentBase):
    def __init__(self, settings: Settings, cfg: RedisConfig, consumer: Consumer) -> None:
        from otelpy.probes.redis import RedisProbe

        self.settings = settings
        self.cfg = cfg
        self.consumer = consumer
        host, port = cfg.host_port()
        self._probe = RedisProbe(RedisProbeSettings.model_validate(
            {"host": host, "port": port, "username": cfg.username}).model_copy(
            update={"password": cfg.password}))
        self._task: asyncio.Task[None] | None = None
        self._start_ns = 0
        self.failures = 0

    async def start(self, host: Host | None = None) -> None:
        if self._task is None:
            self._start_ns = self.settings.clock.time_ns()
            self._task = asyncio.create_task(self._run(), name=f"{self.settings.id} redis")

    async def shutdown(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._probe.close()

    async def _run(self) -> None:
        await run_every(self.settings.clock, self.cfg.collection_interval,
                        self.cfg.initial_delay, self.scrape_once)

    async def scrape_once(self) -> bool:
        """Read INFO once and send its metrics; False (logged, counted) when it failed."""
        import redis.exceptions

        timeout = self.cfg.timeout or self.cfg.collection_interval
        try:
            info = await asyncio.wait_for(self._probe.info(), timeout)
        except (OSError, TimeoutError, redis.exceptions.RedisError) as exc:
            self.failures += 1
            self.settings.logger.warning("receiver %s: INFO from %s failed: %s: %s",
                                         self.settings.id, self.cfg.endpoint,
                                         type(exc).__name__, exc)
            return False
        now_ns = self.settings.clock.time_ns()
        metrics = [m for m in info_metrics(info, self._start_ns, now_ns)
                   if self.cfg.enabled(m.name)]
        builder = RequestBuilder(Signal.METRICS)
        builder.scope(self._resource(info), SCOPE, __version__).metrics.extend(metrics)
        try:
            await self.consumer.consume_metrics(builder.batch())
        except ConsumerError as exc:  # refused: counted by the engine
            self.settings.logger.warning("receiver %s: pipeline refused a scrape: %s",
                                         self.settings.id, exc)
        return True


    def _resource(self, info: dict[str, Any]) -> dict[str, Any]:
        toggles = self.cfg.resource_attributes
        host, port = self.cfg.host_port()
        out: dict[str, Any] = {}
        if toggles.redis_version.enabled and info.get("redis_version") is not None:
            out["redis.version"] = str(info["redis_version"])
        if toggles.server_address.enabled:
            out["server.address"] = host
        if toggles.server_port.enabled:
            out["server.port"] = str(port)
        return out


def _metric(name: str, kind: str, unit: str, description: str) -> Metric:
    metric = Metric(name=name, description=description, unit=unit)
    if kind == "gauge":
        metric.gauge.SetInParent()
    else:
        metric.sum.aggregation_temporality = \
            AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE
        metric.sum.is_monotonic = kind == "counter"
    return metric


def _add(metric: Metric, value: float, start_ns: int, now_ns: int, **attrs: Any) -> None:
    points = metric.gauge.data_points if metric.HasField("gauge") else metric.sum.data_points
    point = points.add(time_unix_nano=now_ns)
    if metric.HasField("sum"):
        point.start_time_unix_nano = start_ns
    if metric.name in DOUBLES:
        point.as_double = float(value)
    else:
        point.as_int = int(value)
    values = Attributes(point.attributes)
    for key, attr in attrs.items():
        values[key] = attr


def info_metrics(info: dict[str, Any], start_ns: int, now_ns: int) -> list[Metric]:
    """The Collector's redis metrics from a parsed INFO (redis-py's dict)."""
    out: list[Metric] = []
    for name, field, kind, unit, description in METRICS + OFF_BY_DEFAULT:
        value = info.get(field)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            metric = _metric(name, kind, unit, description)
            _add(metric, value, start_ns, now_ns)
            out.append(metric)
    cpu = _metric("redis.cpu.time", "counter", "s", CPU_DESCRIPTION)
    for state, field in CPU_STATES.items():
        if isinstance(info.get(field), (int, float)):
            _add(cpu, float(info[field]), start_ns, now_ns, state=state)
    out.append(cpu)
    dbs = sorted(k for k in info if k.startswith("db") and k[2:].isdigit()
                 and isinstance(info[k], dict))
    for name, key, unit, description in DB_METRICS:
        metric = _metric(name, "gauge", unit, description)
        for db in dbs:
            _add(metric, int(info[db].get(key, 0)), start_ns, now_ns, db=db[2:])
        if dbs:
            out.append(metric)
    role = _metric("redis.role", "sum", "{role}", "Redis node's role")
    _add(role, 1, start_ns, now_ns,
         role="replica" if info.get("role") == "slave" else "primary")
    out.append(role)
    return out

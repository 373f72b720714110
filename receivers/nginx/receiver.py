"""The nginx receiver: GET stub_status every collection_interval, parse it, send the
Collector's nginx metrics. A failed read or a page that is not stub_status is logged and
counted; the next tick tries again."""

from __future__ import annotations

import asyncio
import contextlib
import re

import aiohttp
from opentelemetry.proto.metrics.v1.metrics_pb2 import AggregationTemporality, Metric

from otelpy import __version__
from otelpy.clock import run_every
from otelpy.component import ComponentBase, Host, Settings, Signal
from otelpy.consumer import Consumer
from otelpy.errors import ConsumerError
from otelpy.pdata.build import RequestBuilder
from otelpy.pdata.values import Attributes
from otelpy.receivers.nginx.config import NginxConfig

__all__ = ["NginxReceiver", "parse_stub_status"]

SCOPE = "github.com/open-telemetry/opentelemetry-collector-contrib/receiver/nginxreceiver"
_STUB = re.compile(r"Active connections:\s*(\d+)\s+server accepts handled requests\s+"
                   r"(\d+)\s+(\d+)\s+(\d+)\s+Reading:\s*(\d+)\s+Writing:\s*(\d+)\s+"
                   r"Waiting:\s*(\d+)")
# the Collector's metadata.yaml: units are "connections" and "requests" (no braces)
_COUNTERS = (("nginx.connections_accepted", "accepted", "connections",
              "The total number of accepted client connections"),
             ("nginx.connections_handled", "handled", "connections",
              "The total number of handled connections. Generally, the parameter value is "
              "the same as nginx.connections_accepted unless some resource limits have "
              "been reached (for example, the worker_connections limit)."),
             ("nginx.requests", "requests", "requests",
              "Total number of requests made to the server since it started"))


def parse_stub_status(text: str) -> dict[str, int]:
    """stub_status's numbers by name; ValueError when ``text`` is not stub_status."""
    match = _STUB.search(text)
    if match is None:
        raise ValueError(f"not a stub_status page: {text[:80]!r}")
    keys = ("active", "accepted", "handled", "requests", "reading", "writing", "waiting")
    return dict(zip(keys, map(int, match.groups()), strict=True))


class NginxReceiver(ComponentBase):
    def __init__(self, settings: Settings, cfg: NginxConfig, consumer: Consumer) -> None:
        self.settings = settings
        self.cfg = cfg
        self.consumer = consumer
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._start_ns = 0
        self.failures = 0

    async def start(self, host: Host | None = None) -> None:
        if self._task is None:
            self._start_ns = self.settings.clock.time_ns()
            self._session = aiohttp.ClientSession()
            self._task = asyncio.create_task(self._run(), name=f"{self.settings.id} nginx")

    async def shutdown(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _run(self) -> None:
        await run_every(self.settings.clock, self.cfg.collection_interval,
                        self.cfg.initial_delay, self.scrape_once)

    async def _read(self) -> dict[str, int]:
        assert self._session is not None, "scrape before start"
        timeout = aiohttp.ClientTimeout(total=self.cfg.timeout or self.cfg.collection_interval)
        async with self._session.get(self.cfg.endpoint, timeout=timeout) as response:
            if response.status != 200:
                raise ValueError(f"status {response.status}")
            return parse_stub_status(await response.text(errors="replace"))

    async def scrape_once(self) -> bool:
        """Read stub_status once and send; False (logged, counted) when it failed."""
        try:
            stats = await self._read()
        except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as exc:
            self.failures += 1
            self.settings.logger.warning("receiver %s: reading %s failed: %s: %s",
                                         self.settings.id, self.cfg.endpoint,
                                         type(exc).__name__, exc)
            return False
        metrics = [m for m in self._metrics(stats) if self.cfg.metrics.enabled(m.name)]
        builder = RequestBuilder(Signal.METRICS)
        builder.scope({}, SCOPE, __version__).metrics.extend(metrics)
        try:
            await self.consumer.consume_metrics(builder.batch())
        except ConsumerError as exc:  # refused: counted by the engine
            self.settings.logger.warning("receiver %s: pipeline refused a scrape: %s",
                                         self.settings.id, exc)
        return True

    def _metrics(self, stats: dict[str, int]) -> list[Metric]:
        now_ns = self.settings.clock.time_ns()
        out = []
        for name, key, unit, description in _COUNTERS:
            metric = _sum(name, unit, description, monotonic=True)
            metric.sum.data_points.add(start_time_unix_nano=self._start_ns,
                                       time_unix_nano=now_ns, as_int=stats[key])
            out.append(metric)
        current = _sum("nginx.connections_current", "connections",
                       "The current number of nginx connections by state", monotonic=False)
        for state in ("active", "reading", "writing", "waiting"):
            point = current.sum.data_points.add(start_time_unix_nano=self._start_ns,
                                                time_unix_nano=now_ns, as_int=stats[state])
            Attributes(point.attributes)["state"] = state
        out.append(current)
        return out


def _sum(name: str, unit: str, description: str, monotonic: bool) -> Metric:
    metric = Metric(name=name, description=description, unit=unit)
    metric.sum.aggregation_temporality = \
        AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE
    metric.sum.is_monotonic = monotonic
    return metric

"""The httpcheck receiver: every collection_interval, each URL is requested once (the
shared HTTP probe: plain-http GET/HEAD keep their connection), all concurrently, and the
answers sent as one batch of the Collector's httpcheck metrics: httpcheck.status and
httpcheck.error non-monotonic cumulative int sums, httpcheck.duration an int gauge (its
metadata.yaml)."""

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
from otelpy.probes.base import run_probe
from otelpy.probes.config import HttpProbeSettings
from otelpy.probes.http import HttpProbe
from otelpy.receivers.httpcheck.config import HttpCheckConfig, Target

__all__ = ["HttpCheckReceiver"]

SCOPE = "github.com/open-telemetry/opentelemetry-collector-contrib/receiver/httpcheckreceiver"
CLASSES = ("1xx", "2xx", "3xx", "4xx", "5xx")


class HttpCheckReceiver(ComponentBase):
    def __init__(self, settings: Settings, cfg: HttpCheckConfig, consumer: Consumer) -> None:
        self.settings = settings
        self.cfg = cfg
        self.consumer = consumer
        self._probes: list[tuple[str, str, HttpProbe]] = []
        self._task: asyncio.Task[None] | None = None
        self._start_ns = settings.clock.time_ns()

    def _probe(self, target: Target, url: str) -> HttpProbe:
        probe_cfg = HttpProbeSettings.model_validate({
            "url": url, "method": target.method, "certificate_warning_days": 0,
        }).model_copy(update={"headers": dict(target.headers)})
        return HttpProbe(probe_cfg, self.settings.clock, f"receivers::{self.settings.id}")

    async def start(self, host: Host | None = None) -> None:
        if self._task is not None:
            return
        self._probes = [(url, t.method.upper(), self._probe(t, url))
                        for t in self.cfg.targets for url in t.urls()]
        self._task = asyncio.create_task(self._run(), name=f"{self.settings.id} httpcheck")

    async def shutdown(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        probes, self._probes = self._probes, []
        for _, _, probe in probes:
            await probe.close()

    async def _run(self) -> None:
        await run_every(self.settings.clock, self.cfg.collection_interval,
                        self.cfg.initial_delay, self.scrape_once)

    async def scrape_once(self) -> None:
        """Check every URL once, concurrently, and send the metrics as one batch."""
        timeout = self.cfg.timeout or self.cfg.collection_interval
        clock = self.settings.clock
        results = await asyncio.gather(*(run_probe(p, timeout, clock)
                                          for _, _, p in self._probes))
        now_ns = clock.time_ns()
        out: list[Metric] = []
        toggles = self.cfg.metrics
        status = _sum("httpcheck.status", "1 if the check resulted in status_code "
                                          "matching the status_class, otherwise 0.", "1")
        duration = _gauge("httpcheck.duration", "Measures the duration of the HTTP check.",
                          "ms")
        error = _sum("httpcheck.error", "Records errors occurring during HTTP check.",
                     "{error}")
        for (url, method, _), (result, elapsed) in zip(self._probes, results, strict=True):
            _point(duration, now_ns, url).as_int = int(elapsed * 1000)
            code = result.details.get("status_code")
            if not isinstance(code, int):
                _point(error, now_ns, url, **{"error.message": result.message}).as_int = 1
                continue
            for cls in CLASSES:
                _point(status, now_ns, url, **{
                    "http.status_code": code, "http.method": method,
                    "http.status_class": cls}).as_int = int(cls[0] == str(code)[0])
        for metric, toggle in ((duration, toggles.httpcheck_duration),
                               (status, toggles.httpcheck_status),
                               (error, toggles.httpcheck_error)):
            if toggle.enabled and _points(metric):
                if metric.HasField("sum"):
                    for point in metric.sum.data_points:
                        point.start_time_unix_nano = self._start_ns
                out.append(metric)
        if out:
            await self._send(out)

    async def _send(self, metrics: list[Metric]) -> None:
        builder = RequestBuilder(Signal.METRICS)
        builder.scope({}, SCOPE, __version__).metrics.extend(metrics)
        try:
            await self.consumer.consume_metrics(builder.batch())
        except ConsumerError as exc:  # refused: counted by the engine
            self.settings.logger.warning("receiver %s: pipeline refused a scrape: %s",
                                         self.settings.id, exc)


def _gauge(name: str, description: str, unit: str) -> Metric:
    metric = Metric(name=name, description=description, unit=unit)
    metric.gauge.SetInParent()
    return metric


def _sum(name: str, description: str, unit: str) -> Metric:
    """A non-monotonic cumulative int sum, as the Collector's status and error are."""
    metric = Metric(name=name, description=description, unit=unit)
    metric.sum.aggregation_temporality = \
        AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE
    metric.sum.is_monotonic = False
    return metric


def _points(metric: Metric) -> Any:
    return metric.sum.data_points if metric.HasField("sum") else metric.gauge.data_points


def _point(metric: Metric, now_ns: int, url: str, **attrs: object) -> object:
    point = _points(metric).add(time_unix_nano=now_ns)
    values = Attributes(point.attributes)
    values["http.url"] = url
    for key, value in attrs.items():
        values[key] = value
    return point

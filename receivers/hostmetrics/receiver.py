"""The hostmetrics receiver: runs its scrapers every ``collection_interval`` (first after
``initial_delay``) in a worker thread, and hands one metrics batch per scrape to the pipeline.

Importing this module imports psutil; the factory imports it only when a receiver is created.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping

import psutil

from otelpy import __version__
from otelpy.component import ComponentBase, Host, Settings, Signal
from otelpy.consumer import Consumer
from otelpy.errors import PermanentError, RetryableError
from otelpy.pdata.build import RequestBuilder
from otelpy.receivers.hostmetrics.config import HostMetricsConfig
from otelpy.receivers.hostmetrics.metadata import SCOPE_PREFIX
from otelpy.receivers.hostmetrics.scrapers.base import HostPaths, Scrape, Scraper
from otelpy.receivers.hostmetrics.scrapers.io import (
    DiskScraper,
    FilesystemScraper,
    NetworkScraper,
)
from otelpy.receivers.hostmetrics.scrapers.process import ProcessScraper
from otelpy.receivers.hostmetrics.scrapers.system import (
    CPUScraper,
    LoadScraper,
    MemoryScraper,
    PagingScraper,
    ProcessesScraper,
)

__all__ = ["HostMetricsReceiver", "use_root_path"]

_SCRAPERS = {"cpu": CPUScraper, "memory": MemoryScraper, "load": LoadScraper,
             "disk": DiskScraper, "filesystem": FilesystemScraper, "network": NetworkScraper,
             "paging": PagingScraper, "processes": ProcessesScraper, "process": ProcessScraper}
# errors a scraper may meet reading the host: counted and logged, never fatal
SCRAPE_ERRORS = (OSError, psutil.Error, ValueError, KeyError, IndexError)
_MAX_LOGGED = 5  # partial-error messages logged per scraper and scrape

_root_path: str | None = None


def use_root_path(root: str) -> None:
    """Point psutil at ``root``/proc. psutil's procfs path is one per process, so every
    hostmetrics receiver must use the same root_path (the Collector's rule too); ValueError
    otherwise."""
    global _root_path
    if _root_path is not None and _root_path != root:
        raise ValueError(f"inconsistent root_path: {root!r} here, {_root_path!r} in another "
                         "hostmetrics receiver of this process")
    _root_path = root
    psutil.PROCFS_PATH = HostPaths(root).proc()


class HostMetricsReceiver(ComponentBase):
    """Scrapes the host on ``settings.clock``; a scraper that fails is logged and counted
    (``otelpy_hostmetrics_scrape_errors``) and the others still report."""

    def __init__(self, settings: Settings, cfg: HostMetricsConfig,
                 consumers: Mapping[Signal, Consumer]) -> None:
        self.settings = settings
        self.cfg = cfg
        self.consumer = consumers[Signal.METRICS]
        use_root_path(cfg.root_path)
        paths = HostPaths(cfg.root_path)
        start_ns = settings.clock.time_ns()
        self.scrapers: list[Scraper] = [_SCRAPERS[name](scraper, paths, start_ns)
                                        for name, scraper in cfg.scrapers.enabled().items()]
        labels = ("receiver", "scraper")
        tel = settings.telemetry
        self._errors = tel.counter("otelpy_hostmetrics_scrape_errors",
                                   "Scrapes (or parts of them) that failed", labels)
        self._scraped = tel.counter("otelcol_scraper_scraped_metric_points",
                                    "Metric points scraped", labels)
        self._task: asyncio.Task[None] | None = None
        self.scrapes = 0

    async def start(self, host: Host | None = None) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"receiver {self.settings.id}")
        self.settings.logger.info("receiver %s: scraping %s every %ss", self.settings.id,
                                  ", ".join(s.name for s in self.scrapers),
                                  self.cfg.collection_interval)

    async def shutdown(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        clock = self.settings.clock
        interval = self.cfg.collection_interval
        await clock.sleep(self.cfg.initial_delay)
        due = clock.monotonic()
        while True:
            await self.scrape_once()
            due += interval
            now = clock.monotonic()
            if now >= due:  # a scrape overran: skip the ticks it missed, as a ticker does
                due += (now - due) // interval * interval + interval
            await clock.sleep(due - now)

    async def scrape_once(self) -> None:
        """Run every scraper once (in a thread) and send what they produced."""
        now_ns = self.settings.clock.time_ns()
        scrape = asyncio.to_thread(self._scrape_all, now_ns)
        try:
            if self.cfg.timeout > 0:
                results = await asyncio.wait_for(scrape, self.cfg.timeout)
            else:
                results = await scrape
        except TimeoutError:
            self._count_failure("all", f"scrape took longer than timeout {self.cfg.timeout}s")
            return
        self.scrapes += 1
        builder = RequestBuilder(Signal.METRICS)
        for name, result in results:
            if isinstance(result, str):
                self._count_failure(name, result)
                continue
            self._report_partial(name, result)
            scope = f"{SCOPE_PREFIX}{name}scraper"
            for output in result.outputs:
                if output.metrics:
                    builder.scope(output.resource, scope, __version__).metrics.extend(
                        output.metrics)
        if builder:
            await self._send(builder)

    def _scrape_all(self, now_ns: int) -> list[tuple[str, Scrape | str]]:
        """Blocking: every scraper's result, or the error that stopped it (as text)."""
        out: list[tuple[str, Scrape | str]] = []
        for scraper in self.scrapers:
            try:
                out.append((scraper.name, scraper.scrape(now_ns)))
            except SCRAPE_ERRORS as exc:
                out.append((scraper.name, f"{type(exc).__name__}: {exc}"))
        return out

    def _count_failure(self, scraper: str, message: str) -> None:
        self._errors.labels(str(self.settings.id), scraper).inc()
        self.settings.logger.warning("receiver %s: scraper %s failed: %s", self.settings.id,
                                     scraper, message)

    def _report_partial(self, name: str, result: Scrape) -> None:
        points = sum(_points(m) for o in result.outputs for m in o.metrics)
        self._scraped.labels(str(self.settings.id), name).inc(points)
        if not result.errors:
            return
        self._errors.labels(str(self.settings.id), name).inc(len(result.errors))
        shown = "; ".join(result.errors[:_MAX_LOGGED])
        more = len(result.errors) - _MAX_LOGGED
        self.settings.logger.warning("receiver %s: scraper %s: %d error(s): %s%s",
                                     self.settings.id, name, len(result.errors), shown,
                                     f" (and {more} more)" if more > 0 else "")

    async def _send(self, builder: RequestBuilder) -> None:
        try:
            await self.consumer.consume_metrics(builder.batch())
        except (RetryableError, PermanentError) as exc:  # counted as refused by the engine
            self.settings.logger.warning("receiver %s: pipeline refused a scrape: %s",
                                         self.settings.id, exc)


def _points(metric: object) -> int:
    for kind in ("sum", "gauge"):
        if metric.HasField(kind):  # type: ignore[attr-defined]
            return len(getattr(metric, kind).data_points)
    return 0

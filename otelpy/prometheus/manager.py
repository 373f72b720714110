"""The scrape manager: every job of a Prometheus config, its targets and their loops.

:class:`ScrapeManager` starts one :class:`JobRunner` per ``scrape_configs`` entry. A runner
turns its target groups (``static_configs``, and ``file_sd_configs`` files re-read when they
change, checked every second, and every ``refresh_interval``) into targets through
``relabel_configs``, keeps one :class:`~otelpy.prometheus.scrape.ScrapeLoop` per target,
starts loops for new targets and stops (with staleness markers) those that went away.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from otelpy.clock import Clock
from otelpy.prometheus.fetch import Fetcher
from otelpy.prometheus.scrape import LabelSettings, ScrapeLoop, ScrapeResult
from otelpy.prometheus.scrapeconfig import PromConfig, ScrapeConfig
from otelpy.prometheus.targets import FileDiscovery, Target, TargetGroup, targets_of

__all__ = ["JobRunner", "ScrapeManager"]

FILE_CHECK_INTERVAL = 1.0

Deliver = Callable[[ScrapeResult], Awaitable[None]]


class JobRunner:
    """One scrape config: its discovery and the loops of its targets."""

    def __init__(self, cfg: PromConfig, job: ScrapeConfig, deliver: Deliver, clock: Clock,
                 logger: logging.Logger, user_agent: str) -> None:
        self.cfg, self.job, self.deliver = cfg, job, deliver
        self.clock, self.logger = clock, logger
        self.fetcher = Fetcher(job, user_agent)
        self.rules = [r.compile() for r in job.relabel_configs]
        self.labels = LabelSettings(
            honor_labels=job.honor_labels, honor_timestamps=job.honor_timestamps,
            sample_limit=job.sample_limit,
            metric_relabel=tuple(r.compile() for r in job.metric_relabel_configs),
            external_labels=dict(cfg.global_.external_labels))
        self.static = [TargetGroup(tuple(g.targets), dict(g.labels))
                       for g in job.static_configs]
        self.files = FileDiscovery([f for sd in job.file_sd_configs for f in sd.files])
        self.refresh = min((sd.refresh_interval for sd in job.file_sd_configs), default=0.0)
        self.loops: dict[object, ScrapeLoop] = {}
        self._watch: asyncio.Task[None] | None = None
        self._last_errors: list[str] = []

    async def start(self) -> None:
        file_groups = await self._read_files()
        await self.sync(self.static + file_groups)
        if self.files.patterns:
            self._watch = asyncio.get_running_loop().create_task(
                self._watch_files(), name=f"file_sd {self.job.job_name}")

    async def _read_files(self) -> list[TargetGroup]:
        if not self.files.patterns:
            return []
        groups, errors = await asyncio.to_thread(self.files.read)
        for error in errors:
            self.logger.warning("job %s: %s", self.job.job_name, error)
        return groups

    async def _watch_files(self) -> None:
        since_refresh = 0.0
        while True:
            await self.clock.sleep(FILE_CHECK_INTERVAL)
            since_refresh += FILE_CHECK_INTERVAL
            due = bool(self.refresh) and since_refresh >= self.refresh
            if due or await asyncio.to_thread(self.files.changed):
                since_refresh = 0.0
                await self.sync(self.static + await self._read_files())

    async def sync(self, groups: list[TargetGroup]) -> None:
        """Make the running loops match the targets of ``groups``."""
        targets, errors = targets_of(self.cfg, self.job, groups, self.rules)
        if errors != self._last_errors:
            for error in errors:
                self.logger.warning("job %s: %s", self.job.job_name, error)
            self._last_errors = errors
        wanted: dict[object, Target] = {t.key: t for t in targets}
        for key in [k for k in self.loops if k not in wanted]:
            await self.loops.pop(key).stop()
        for key, target in wanted.items():
            if key not in self.loops:
                loop = ScrapeLoop(target, self.fetcher, self.labels, self.deliver, self.clock,
                                  self.logger)
                self.loops[key] = loop
                loop.start()

    def targets(self) -> list[Target]:
        return [loop.target for loop in self.loops.values()]

    async def stop(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            try:
                await self._watch
            except asyncio.CancelledError:
                pass
            self._watch = None
        loops, self.loops = list(self.loops.values()), {}
        for loop in loops:
            await loop.stop()
        await self.fetcher.close()


class ScrapeManager:
    """Runs every job of ``cfg``; :meth:`stop` is idempotent."""

    def __init__(self, cfg: PromConfig, deliver: Deliver, clock: Clock,
                 logger: logging.Logger, user_agent: str = "otelpy") -> None:
        self.jobs = [JobRunner(cfg, job, deliver, clock, logger, user_agent)
                     for job in cfg.scrape_configs]

    async def start(self) -> None:
        for job in self.jobs:
            await job.start()

    def targets(self) -> list[Target]:
        return [t for job in self.jobs for t in job.targets()]

    def loops(self) -> list[ScrapeLoop]:
        return [loop for job in self.jobs for loop in job.loops.values()]

    async def stop(self) -> None:
        for job in self.jobs:
            await job.stop()

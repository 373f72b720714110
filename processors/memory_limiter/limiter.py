"""The memory_limiter processor: refuses data while the process uses too much memory.

A task measures the process memory every ``check_interval``. Above the soft limit
(hard limit - spike limit) it runs ``gc.collect()`` (at most once per
``min_gc_interval_when_soft_limited``; above the hard limit at most once per
``min_gc_interval_when_hard_limited``), measures again, and if still above the
soft limit refuses every batch with :class:`~otelpy.errors.RetryableError`
(``retry_after`` = ``check_interval``) until a later measurement is below it.
Receivers turn that into gRPC UNAVAILABLE / HTTP 503, so senders retry later.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import Awaitable, Callable

from otelpy.component import ComponentBase, Host, Settings, Signal
from otelpy.consumer import Capabilities, Consumer
from otelpy.errors import RetryableError
from otelpy.pdata import Batch
from otelpy.processors.memory_limiter.config import MemoryLimiterConfig
from otelpy.processors.memory_limiter.memory import MIB, limits, process_rss, total_memory


class MemoryLimiterProcessor(Consumer, ComponentBase):
    """One memory_limiter instance (one per pipeline it appears in).

    ``read_usage`` (bytes in use), ``read_total`` (bytes available, for the
    percentage limits) and ``collect`` (the garbage collector) can be replaced,
    e.g. by a test's fake memory.
    """

    capabilities = Capabilities(mutates_data=False)

    def __init__(
        self,
        settings: Settings,
        cfg: MemoryLimiterConfig,
        signal: Signal,
        next_consumer: Consumer,
        read_usage: Callable[[], int] = process_rss,
        read_total: Callable[[], int] = total_memory,
        collect: Callable[[], object] = gc.collect,
    ) -> None:
        self._id = str(settings.id)
        self._log = settings.logger
        self._cfg = cfg
        self._forward: Callable[[Batch], Awaitable[None]] = getattr(
            next_consumer, f"consume_{signal.value}")
        self._read_usage = read_usage
        self._collect = collect
        total = read_total() if not cfg.limit_mib else 0
        self.hard_limit, self.soft_limit = limits(
            cfg.limit_mib, cfg.spike_limit_mib, cfg.limit_percentage,
            cfg.spike_limit_percentage, total)
        if self.hard_limit <= 0 or cfg.check_interval <= 0:
            raise ValueError("memory_limiter needs check_interval > 0 and a limit > 0")
        self.refusing = False
        self.usage = 0
        self._last_gc = float("-inf")
        self._task: asyncio.Task[None] | None = None
        self._refused = settings.telemetry.items(
            "otelcol_processor_refused", signal,
            "Items refused by the processor (memory usage above the soft limit)",
            ["processor"]).labels(processor=self._id)
        self._gc_runs = settings.telemetry.counter(
            "otelpy_processor_memory_limiter_gc",
            "Garbage collections forced by the memory limiter", ["processor"],
        ).labels(processor=self._id)

    # -- consumer ------------------------------------------------------------------------
    async def _pass(self, batch: Batch) -> None:
        if self.refusing:
            self._refused.inc(batch.item_count)
            raise RetryableError(
                f"data refused due to high memory usage ({self.usage // MIB} MiB, soft "
                f"limit {self.soft_limit // MIB} MiB; processor {self._id})",
                retry_after=self._cfg.check_interval)
        await self._forward(batch)

    async def consume_traces(self, batch: Batch) -> None:
        await self._pass(batch)

    async def consume_metrics(self, batch: Batch) -> None:
        await self._pass(batch)

    async def consume_logs(self, batch: Batch) -> None:
        await self._pass(batch)

    # -- measuring -----------------------------------------------------------------------
    def check(self) -> None:
        """Measure once, collect garbage if due, and decide whether to refuse."""
        usage = self._read_usage()
        now = time.monotonic()
        since_gc = now - self._last_gc
        cfg = self._cfg
        if ((usage >= self.hard_limit and since_gc >= cfg.min_gc_interval_when_hard_limited)
                or (usage >= self.soft_limit
                    and since_gc >= cfg.min_gc_interval_when_soft_limited)):
            self._collect()
            self._gc_runs.inc()
            self._last_gc = now
            usage = self._read_usage()
        self.usage = usage
        refusing = usage >= self.soft_limit
        if refusing and not self.refusing:
            self._log.warning(
                "memory usage %d MiB is above the soft limit %d MiB; refusing data",
                usage // MIB, self.soft_limit // MIB)
        elif self.refusing and not refusing:
            self._log.info(
                "memory usage %d MiB is back below the soft limit %d MiB; accepting data",
                usage // MIB, self.soft_limit // MIB)
        self.refusing = refusing

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._cfg.check_interval)
            self.check()

    # -- lifecycle -----------------------------------------------------------------------
    async def start(self, host: Host) -> None:
        """Measure once, then every check_interval."""
        if self._task is not None:
            return
        self.check()
        self._task = asyncio.get_running_loop().create_task(
            self._run(), name=f"otelpy memory_limiter {self._id}")
        self._log.info("started: hard limit %d MiB, soft limit %d MiB, checked every %.3gs",
                       self.hard_limit // MIB, self.soft_limit // MIB, self._cfg.check_interval)

    async def shutdown(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

"""Host-wide scrapers read through psutil and /proc: cpu, memory, load, paging, processes."""

from __future__ import annotations

import os
from typing import Any

import psutil

from otelpy.receivers.hostmetrics.emit import MetricsBuilder
from otelpy.receivers.hostmetrics.metadata import SCRAPERS
from otelpy.receivers.hostmetrics.scrapers.base import HostPaths, Output, Scrape, enabled_flags

__all__ = ["CPUScraper", "LoadScraper", "MemoryScraper", "PagingScraper", "ProcessesScraper",
           "boot_time_ns", "meminfo"]

# the Collector's states, in its record order, and the psutil field holding each
_CPU_STATES = (("user", "user"), ("system", "system"), ("idle", "idle"),
               ("interrupt", "irq"), ("nice", "nice"), ("softirq", "softirq"),
               ("steal", "steal"), ("wait", "iowait"))
_PAGE = 4 * 1024  # gopsutil (and so the Collector) multiplies /proc/vmstat counts by 4 KiB


def boot_time_ns() -> int:
    return int(psutil.boot_time()) * 1_000_000_000


def meminfo(paths: HostPaths) -> dict[str, int]:
    """/proc/meminfo in bytes (``kB`` values multiplied out; page counts as they are)."""
    out: dict[str, int] = {}
    for line in paths.read("meminfo").splitlines():
        key, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            out[key] = int(parts[0]) * (1024 if parts[1:] == ["kB"] else 1)
    return out


class _Base:
    name = ""

    def __init__(self, cfg: Any, paths: HostPaths, start_ns: int) -> None:
        self.cfg = cfg
        self.paths = paths
        self.start_ns = start_ns
        self.enabled = enabled_flags(cfg.metrics)

    def builder(self, now_ns: int) -> MetricsBuilder:
        return MetricsBuilder(SCRAPERS[self.name], self.enabled, self.start_ns, now_ns)

    @staticmethod
    def done(mb: MetricsBuilder, errors: list[str] | None = None) -> Scrape:
        return Scrape([Output({}, mb.metrics())], errors or [])


class CPUScraper(_Base):
    name = "cpu"

    def __init__(self, cfg: Any, paths: HostPaths, start_ns: int) -> None:
        super().__init__(cfg, paths, boot_time_ns())
        self._prev: tuple[int, list[Any]] | None = None

    def scrape(self, now_ns: int) -> Scrape:
        mb = self.builder(now_ns)
        times = psutil.cpu_times(percpu=True)
        for i, t in enumerate(times):
            for state, attr in _CPU_STATES:
                mb.record("system.cpu.time", getattr(t, attr), {"cpu": f"cpu{i}", "state": state})
        if self._prev is not None and now_ns > self._prev[0]:
            elapsed = (now_ns - self._prev[0]) / 1e9
            for i, (old, new) in enumerate(zip(self._prev[1], times, strict=False)):
                for state, attr in _CPU_STATES:
                    delta = getattr(new, attr) - getattr(old, attr)
                    mb.record("system.cpu.utilization", delta / elapsed,
                              {"cpu": f"cpu{i}", "state": state})
        self._prev = (now_ns, times)
        mb.record("system.cpu.logical.count", psutil.cpu_count() or 0)
        physical = psutil.cpu_count(logical=False)
        if physical:
            mb.record("system.cpu.physical.count", physical)
        if mb.enabled("system.cpu.frequency"):
            for i, freq in enumerate(psutil.cpu_freq(percpu=True)):
                mb.record("system.cpu.frequency", freq.current * 1e6, {"cpu": f"cpu{i}"})
        return self.done(mb)


class MemoryScraper(_Base):
    name = "memory"

    def scrape(self, now_ns: int) -> Scrape:
        mb = self.builder(now_ns)
        vm = psutil.virtual_memory()
        info = meminfo(self.paths)
        # gopsutil's (so the Collector's) arithmetic: cached holds SReclaimable, used is
        # what free, buffers and cached leave of the total (psutil's own `used` differs)
        free, buffers = info.get("MemFree", 0), info.get("Buffers", 0)
        cached = info.get("Cached", 0) + info.get("SReclaimable", 0)
        states = {"used": vm.total - free - buffers - cached, "free": free,
                  "buffered": buffers, "cached": cached,
                  "slab_reclaimable": info.get("SReclaimable", 0),
                  "slab_unreclaimable": info.get("SUnreclaim", 0)}
        for state, value in states.items():
            mb.record("system.memory.usage", value, {"state": state})
            if vm.total:
                mb.record("system.memory.utilization", value / vm.total, {"state": state})
        mb.record("system.memory.limit", vm.total)
        mb.record("system.linux.memory.available", vm.available)
        mb.record("system.linux.memory.dirty", info.get("Dirty", 0))
        mb.record("system.memory.linux.shared", info.get("Shmem", 0))
        mb.record("system.memory.page_size", os.sysconf("SC_PAGE_SIZE"))
        self._hugepages(mb, info)
        return self.done(mb)

    @staticmethod
    def _hugepages(mb: MetricsBuilder, info: dict[str, int]) -> None:
        total, free = info.get("HugePages_Total", 0), info.get("HugePages_Free", 0)
        mb.record("system.memory.linux.hugepages.limit", total)
        mb.record("system.memory.linux.hugepages.page_size", info.get("Hugepagesize", 0))
        mb.record("system.memory.linux.hugepages.reserved", info.get("HugePages_Rsvd", 0))
        mb.record("system.memory.linux.hugepages.surplus", info.get("HugePages_Surp", 0))
        key = "system.memory.linux.hugepages.state"
        for state, value in (("used", total - free), ("free", free)):
            mb.record("system.memory.linux.hugepages.usage", value, {key: state})
            if total:
                mb.record("system.memory.linux.hugepages.utilization", value / total,
                          {key: state})


class LoadScraper(_Base):
    name = "load"

    def scrape(self, now_ns: int) -> Scrape:
        mb = self.builder(now_ns)
        loads = psutil.getloadavg()
        divisor = (psutil.cpu_count() or 1) if self.cfg.cpu_average else 1
        for suffix, value in zip(("1m", "5m", "15m"), loads, strict=True):
            mb.record(f"system.cpu.load_average.{suffix}", value / divisor)
        return self.done(mb)


class PagingScraper(_Base):
    name = "paging"

    def __init__(self, cfg: Any, paths: HostPaths, start_ns: int) -> None:
        super().__init__(cfg, paths, boot_time_ns())

    def scrape(self, now_ns: int) -> Scrape:
        mb = self.builder(now_ns)
        for line in self.paths.read("swaps").splitlines()[1:]:
            parts = line.split()
            if len(parts) < 4:
                continue
            size, used = int(parts[2]) * 1024, int(parts[3]) * 1024
            for state, value in (("used", used), ("free", size - used)):
                mb.record("system.paging.usage", value, {"device": parts[0], "state": state})
                if size:
                    mb.record("system.paging.utilization", value / size,
                              {"device": parts[0], "state": state})
        vmstat = {k: int(v) for k, v in (line.split()[:2] for line in
                                         self.paths.read("vmstat").splitlines()
                                         if len(line.split()) >= 2)}
        for direction, major, minor in (("page_in", "pswpin", "pgpgin"),
                                        ("page_out", "pswpout", "pgpgout")):
            mb.record("system.paging.operations", vmstat.get(major, 0) * _PAGE,
                      {"direction": direction, "type": "major"})
            mb.record("system.paging.operations", vmstat.get(minor, 0) * _PAGE,
                      {"direction": direction, "type": "minor"})
        majfault = vmstat.get("pgmajfault", 0) * _PAGE
        mb.record("system.paging.faults", majfault, {"type": "major"})
        mb.record("system.paging.faults", vmstat.get("pgfault", 0) * _PAGE - majfault,
                  {"type": "minor"})
        return self.done(mb)


class ProcessesScraper(_Base):
    name = "processes"

    def __init__(self, cfg: Any, paths: HostPaths, start_ns: int) -> None:
        super().__init__(cfg, paths, boot_time_ns())

    def scrape(self, now_ns: int) -> Scrape:
        mb = self.builder(now_ns)
        stat = {parts[0]: int(parts[1]) for parts in (line.split() for line in
                                                      self.paths.read("stat").splitlines())
                if len(parts) == 2 and parts[1].isdigit()}
        mb.record("system.processes.count", stat.get("procs_running", 0), {"status": "running"})
        mb.record("system.processes.count", stat.get("procs_blocked", 0), {"status": "blocked"})
        mb.record("system.processes.created", stat.get("processes", 0))
        return self.done(mb)

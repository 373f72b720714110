"""The per-process scraper: one resource per process (pid, executable, command, owner),
through psutil, with the Collector's include/exclude by name and mute_* switches."""

from __future__ import annotations

from typing import Any

import psutil

from otelpy.pdata.values import Value
from otelpy.receivers.hostmetrics.emit import MetricsBuilder
from otelpy.receivers.hostmetrics.metadata import SCRAPERS
from otelpy.receivers.hostmetrics.scrapers.base import (
    HostPaths,
    NameFilter,
    Output,
    Scrape,
    enabled_flags,
)

__all__ = ["ProcessScraper"]

_DEFS = SCRAPERS["process"]
_MAX_ERRORS = 20  # error messages kept per scrape (all are counted)


class _Skip(Exception):
    """This process is left out of the scrape; ``message`` is reported unless muted."""

    def __init__(self, message: str, muted: bool) -> None:
        super().__init__(message)
        self.muted = muted


class ProcessScraper:
    name = "process"

    def __init__(self, cfg: Any, paths: HostPaths, start_ns: int) -> None:
        self.cfg = cfg
        self.paths = paths
        self.enabled = enabled_flags(cfg.metrics)
        self.resource_enabled = enabled_flags(cfg.resource_attributes)
        self.filter = NameFilter(cfg.include, cfg.exclude)
        self._prev_cpu: dict[tuple[int, float], tuple[int, Any]] = {}
        self.errors_total = 0

    def _muted(self, flag: str) -> bool:
        return bool(self.cfg.mute_process_all_errors or getattr(self.cfg, flag))

    def scrape(self, now_ns: int) -> Scrape:
        result = Scrape()
        seen: dict[tuple[int, float], tuple[int, Any]] = {}
        cpus = psutil.cpu_count() or 1
        for pid in psutil.pids():
            try:
                output = self._one(psutil.Process(pid), now_ns, cpus, seen, result.errors)
            except _Skip as skip:
                if not skip.muted:
                    result.errors.append(str(skip))
                continue
            except psutil.NoSuchProcess:  # gone since listed: not an error
                continue
            if output is not None:
                result.outputs.append(output)
        self._prev_cpu = seen
        return result

    def _one(self, proc: psutil.Process, now_ns: int, cpus: int,
             seen: dict[tuple[int, float], tuple[int, Any]], errors: list[str]) -> Output | None:
        with proc.oneshot():
            resource = self._resource(proc, errors)
            if resource is None:
                return None
            created = proc.create_time()
            if self.cfg.scrape_process_delay and now_ns / 1e9 - created < \
                    self.cfg.scrape_process_delay:
                return None
            mb = MetricsBuilder(_DEFS, self.enabled, int(created * 1e9), now_ns)
            self._cpu(proc, mb, (proc.pid, created), cpus, seen)
            self._memory(proc, mb)
            self._io(proc, mb, resource, errors)
            self._linux(proc, mb, now_ns / 1e9 - created)
        enabled = {k: v for k, v in resource.items() if self.resource_enabled.get(k, False)}
        return Output(enabled, mb.metrics())

    def _resource(self, proc: psutil.Process, errors: list[str]) -> dict[str, Value] | None:
        pid = proc.pid
        try:
            name = proc.name()
        except psutil.AccessDenied as exc:
            raise _Skip(f"error reading process executable for pid {pid}: {exc}",
                        self._muted("mute_process_name_error")) from None
        if not self.filter.passes(name):
            return None
        try:
            exe = proc.exe()
        except psutil.AccessDenied as exc:
            exe, why = "", str(exc)
        else:
            why = "no executable (a kernel thread?)"
        if not exe:
            raise _Skip(f"error reading process executable for pid {pid}: {why}",
                        self._muted("mute_process_exe_error"))
        try:
            cmdline = proc.cmdline()
        except psutil.AccessDenied as exc:
            raise _Skip(f"error reading command for process {name!r} (pid {pid}): {exc}",
                        self._muted("mute_process_all_errors")) from None
        resource: dict[str, Value] = {
            "process.pid": pid, "process.parent_pid": proc.ppid(),
            "process.executable.name": name, "process.executable.path": exe,
            "process.command": cmdline[0] if cmdline else "",
            "process.command_line": " ".join(cmdline)}
        try:
            resource["process.owner"] = proc.username()
        except (KeyError, psutil.AccessDenied) as exc:
            if not self._muted("mute_process_user_error"):
                errors.append(f"error reading username for process {name!r} (pid {pid}): {exc}")
        if self.resource_enabled.get("process.cgroup"):
            try:
                resource["process.cgroup"] = self.paths.read(str(pid), "cgroup").strip()
            except OSError as exc:
                if not self._muted("mute_process_cgroup_error"):
                    errors.append(f"error reading cgroup for process {name!r} (pid {pid}): "
                                  f"{exc}")
        return resource

    def _cpu(self, proc: psutil.Process, mb: MetricsBuilder, key: tuple[int, float], cpus: int,
             seen: dict[tuple[int, float], tuple[int, Any]]) -> None:
        times = proc.cpu_times()
        states = (("user", times.user), ("system", times.system),
                  ("wait", getattr(times, "iowait", 0.0)))
        for state, value in states:
            mb.record("process.cpu.time", value, {"state": state})
        prev = self._prev_cpu.get(key)
        if prev is not None and mb.now_ns > prev[0]:
            elapsed = (mb.now_ns - prev[0]) / 1e9 * cpus
            for (state, value), old in zip(states, prev[1], strict=True):
                mb.record("process.cpu.utilization", (value - old) / elapsed, {"state": state})
        seen[key] = (mb.now_ns, [v for _, v in states])

    @staticmethod
    def _memory(proc: psutil.Process, mb: MetricsBuilder) -> None:
        mem = proc.memory_info()
        mb.record("process.memory.usage", mem.rss)
        mb.record("process.memory.virtual", mem.vms)
        if mb.enabled("process.memory.utilization"):
            mb.record("process.memory.utilization", proc.memory_percent() / 100)

    def _io(self, proc: psutil.Process, mb: MetricsBuilder, resource: dict[str, Value],
            errors: list[str]) -> None:
        if not (mb.enabled("process.disk.io") or mb.enabled("process.disk.operations")):
            return
        try:
            io = proc.io_counters()
        except psutil.AccessDenied as exc:
            if not self._muted("mute_process_io_error"):
                errors.append(f"error reading disk usage for process "
                              f"{resource['process.executable.name']!r} (pid {proc.pid}): {exc}")
            return
        mb.record("process.disk.io", io.read_bytes, {"direction": "read"})
        mb.record("process.disk.io", io.write_bytes, {"direction": "write"})
        mb.record("process.disk.operations", io.read_count, {"direction": "read"})
        mb.record("process.disk.operations", io.write_count, {"direction": "write"})

    def _linux(self, proc: psutil.Process, mb: MetricsBuilder, uptime: float) -> None:
        mb.record("process.uptime", uptime)
        if mb.enabled("process.threads"):
            mb.record("process.threads", proc.num_threads())
        if mb.enabled("process.open_file_descriptors"):
            mb.record("process.open_file_descriptors", proc.num_fds())
        if mb.enabled("process.context_switches"):
            ctx = proc.num_ctx_switches()
            mb.record("process.context_switches", ctx.involuntary, {"type": "involuntary"})
            mb.record("process.context_switches", ctx.voluntary, {"type": "voluntary"})
        if mb.enabled("process.paging.faults"):
            stat = self.paths.read(str(proc.pid), "stat")
            fields = stat.rsplit(")", 1)[1].split()
            mb.record("process.paging.faults", int(fields[9]), {"type": "major"})
            mb.record("process.paging.faults", int(fields[7]), {"type": "minor"})
        if mb.enabled("process.signals_pending"):
            for line in self.paths.read(str(proc.pid), "status").splitlines():
                if line.startswith("SigPnd:"):
                    mb.record("process.signals_pending", int(line.split()[1], 16))

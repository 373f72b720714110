"""One measured run: empty log directory, collector ready, the log appears, count at the sink."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from collectors import Collector
from procs import (
    Managed,
    free_port,
    group_cpu_seconds,
    http_get,
    peak_rss_mib,
    port_open,
    wait_until,
)

DELIVER_LIMIT_S = 900.0  # bound on one collector reading and delivering the whole file
SETTLE_S = 3.0  # after the last expected record, watch this long for duplicates


@dataclass
class Run:
    """What one run measured; ``lines`` is what the file holds, ``received`` the sink's count."""

    lines: int = 0
    received: int = 0
    wall_s: float = 0.0
    cpu_s: float = 0.0
    lines_per_cpu_s: float = 0.0
    lines_per_s: float = 0.0
    peak_rss_mib: float = 0.0
    requests: int = 0
    bad_requests: int = 0

    @property
    def exactly_once(self) -> bool:
        return self.received == self.lines and self.bad_requests == 0


def _sink_counts(port: int) -> dict[str, int]:
    body = http_get(f"http://127.0.0.1:{port}/count")
    if body is None:
        raise RuntimeError("the sink stopped answering /count")
    return dict(json.loads(body))


def _deliver(proc: Managed, sink_port: int, expected: int) -> tuple[float, float]:
    """Poll the sink until it holds ``expected`` records; (monotonic time, group CPU) then."""
    deadline = time.monotonic() + DELIVER_LIMIT_S
    while True:
        now, (cpu, _) = time.monotonic(), group_cpu_seconds(proc.pid)
        got = _sink_counts(sink_port)["log_records"]
        if got >= expected:
            return now, cpu
        if not proc.alive():
            raise RuntimeError(f"{proc.name} exited with {got:,} of {expected:,} records "
                               f"delivered:\n{proc.log_tail()}")
        if now >= deadline:
            raise TimeoutError(f"{proc.name}: {got:,} of {expected:,} records after "
                               f"{DELIVER_LIMIT_S:.0f}s")
        time.sleep(0.05)


def measure(collector: Collector, case: str, log_file: Path, lines: int, work: Path,
            sink_script: Path) -> Run:
    """Start a fresh sink and ``collector`` watching an empty directory, then hard-link the
    log into it (it appears whole, at once) and time until the sink holds every line."""
    log_dir = work / f"logs-{collector.key}-{case}"
    shutil.rmtree(log_dir, ignore_errors=True)
    log_dir.mkdir(parents=True)
    sink_port = free_port()
    sink = Managed("sink", [sys.executable, str(sink_script), "--port",
                            str(sink_port)], work / f"sink-{collector.key}-{case}.log")
    proc: Managed | None = None
    try:
        wait_until(lambda: port_open(sink_port), 30, "the sink's port", sink)
        proc = collector.launch(log_dir, case, sink_port, work)
        cpu0, _ = group_cpu_seconds(proc.pid)
        t0 = time.monotonic()
        os.link(log_file, log_dir / "access.log")
        t1, cpu1 = _deliver(proc, sink_port, lines)
        time.sleep(SETTLE_S)  # observation window: any duplicate arrives within it
        counts = _sink_counts(sink_port)
        run = Run(lines=lines, received=counts["log_records"], wall_s=t1 - t0,
                  cpu_s=cpu1 - cpu0, peak_rss_mib=peak_rss_mib(proc.pid),
                  requests=counts["requests"], bad_requests=counts["bad_requests"])
        run.lines_per_cpu_s = lines / run.cpu_s if run.cpu_s else 0.0
        run.lines_per_s = lines / run.wall_s if run.wall_s else 0.0
        return run
    finally:
        if proc is not None:
            proc.stop()
        sink.stop()
        shutil.rmtree(log_dir, ignore_errors=True)

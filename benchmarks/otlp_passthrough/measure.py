"""One measured run of one collector: sink up, collector up, warm-up, load window, counts."""

from __future__ import annotations

import json
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from collectors import Collector, Launched
from loadgen import H2loadResult, run_h2load
from prereqs import WORK
from procs import (
    Managed,
    free_port,
    group_cpu_seconds,
    http_get,
    peak_rss_mib,
    rss_mib,
    threads,
    wait_until,
)

HERE = Path(__file__).resolve().parent
SETTLE_S = 10.0  # the sink count is final once unchanged this long (> a 5 s retry backoff)
DRAIN_LIMIT_S = 60.0  # bound on waiting for the collector to flush after h2load ends


@dataclass
class Load:
    """The load and its bounds, the same for every collector."""

    h2load: str
    frame: Path
    spans_per_request: int
    requests: int | None
    duration: float | None
    connections: int
    streams: int
    warmup: int
    compression: str
    h2load_timeout: float


@dataclass
class Run:
    """What one run of one collector measured. ``lost`` covers warm-up and window."""

    spans_sent: int = 0
    spans_received: int = 0
    lost: int = 0
    in_flight_at_stop: int = 0  # --duration: spans h2load started but saw no answer for
    window_s: float = 0.0
    cpu_s: float = 0.0
    spans_per_cpu_s: float = 0.0
    spans_per_s: float = 0.0
    peak_rss_mib: float = 0.0
    rss_before_mib: float = 0.0  # VmRSS after warm-up, as the window opens
    threads: int = 0
    processes: int = 1  # in the collector's process group, all charged to it
    h2load_not_ok: int = 0
    h2load_req_per_s: float = 0.0
    wire_bytes: int = 0
    raw_bytes: int = 0
    counters: dict[str, float] = field(default_factory=dict)


@dataclass
class Result:
    """A collector's row: the median run by spans per CPU-second, or why there is none."""

    key: str
    label: str
    version: str
    status: str = "ok"  # "ok", "pending: <why>", "failed: <why>"
    runs: list[Run] = field(default_factory=list)

    @property
    def summary(self) -> Run | None:
        if not self.runs:
            return None
        ordered = sorted(self.runs, key=lambda r: r.spans_per_cpu_s)
        median = ordered[(len(ordered) - 1) // 2]
        worst = Run(**{**asdict(median), "counters": dict(median.counters)})
        worst.lost = sum(r.lost for r in self.runs)  # any loss in any run shows
        worst.h2load_not_ok = sum(r.h2load_not_ok for r in self.runs)
        worst.peak_rss_mib = max(r.peak_rss_mib for r in self.runs)
        return worst

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["summary"] = asdict(self.summary) if self.summary else None
        out["spans_per_cpu_s_all"] = [round(r.spans_per_cpu_s) for r in self.runs]
        out["spans_per_cpu_s_stdev"] = (
            statistics.stdev(r.spans_per_cpu_s for r in self.runs) if len(self.runs) > 1 else 0.0)
        return out


def _sink_stats(port: int) -> dict[str, int]:
    body = http_get(f"http://127.0.0.1:{port}/count")
    if body is None:
        raise RuntimeError("the sink stopped answering /count")
    return dict(json.loads(body))


def _not_ok(res: H2loadResult) -> int:
    return res.total - res.succeeded if res.total else res.failed + res.errored + res.timeout


def _wait_final(sink_port: int, pid: int, expected: int) -> tuple[int, float, float]:
    """Poll until the sink count reaches ``expected`` or stops growing for SETTLE_S.

    Returns (final count, monotonic time and collector CPU when it first showed it).
    """
    deadline = time.monotonic() + DRAIN_LIMIT_S
    last = -1
    first_t, first_cpu, changed_at = 0.0, 0.0, time.monotonic()
    while True:
        now, (cpu, _) = time.monotonic(), group_cpu_seconds(pid)
        count = _sink_stats(sink_port)["spans"]
        if count != last:
            last, first_t, first_cpu, changed_at = count, now, cpu, now
        if count >= expected or now - changed_at >= SETTLE_S or now >= deadline:
            return last, first_t, first_cpu
        time.sleep(0.05)


def _lost(res: H2loadResult, load: Load, got: int, warm_sent: int, before: dict[str, int]) -> int:
    """Spans sent but not received (negative: received more than sent), warm-up included.

    h2load -D stops with requests in flight: they may or may not have reached the
    collector, so a count between 'succeeded' and 'started' requests is not a loss.
    """
    warm_lost = warm_sent - before["spans"]
    low = res.succeeded * load.spans_per_request
    high = res.started * load.spans_per_request if load.duration is not None else low
    window_lost = low - got if got < low else (high - got if got > high else 0)
    return warm_lost + window_lost


def _warm_up(load: Load, launched: Launched, sink_port: int) -> int:
    """Send ``load.warmup`` requests and wait for them at the sink; return spans sent."""
    if load.warmup <= 0:
        return 0
    res = run_h2load(load.h2load, launched.grpc_port, load.frame, load.warmup, None,
                     min(load.connections, load.warmup), load.streams, load.h2load_timeout)
    sent = res.succeeded * load.spans_per_request
    got, _, _ = _wait_final(sink_port, launched.proc.pid, sent)
    if got < sent or res.succeeded == 0:
        raise RuntimeError(f"warm-up: h2load {res.succeeded}/{res.total} ok, "
                           f"sink got {got} of {sent} spans\n{launched.proc.log_tail()}")
    return sent


def _window(load: Load, launched: Launched, sink_port: int, warm_sent: int) -> Run:
    pid = launched.proc.pid
    before = _sink_stats(sink_port)
    rss_before = rss_mib(pid)
    (cpu0, _), t0 = group_cpu_seconds(pid), time.monotonic()
    res = run_h2load(load.h2load, launched.grpc_port, load.frame, load.requests, load.duration,
                     load.connections, load.streams, load.h2load_timeout)
    (WORK / "logs" / f"h2load-{launched.proc.name}.log").write_text(res.output)
    sent = res.succeeded * load.spans_per_request
    final, t1, cpu1 = _wait_final(sink_port, pid, before["spans"] + sent)
    if not launched.proc.alive():
        raise RuntimeError(f"{launched.proc.name} exited during the load window:\n"
                           f"{launched.proc.log_tail()}")
    after = _sink_stats(sink_port)
    got = final - before["spans"]
    cpu = max(cpu1 - cpu0, 1e-9)
    return Run(
        spans_sent=sent, spans_received=got, lost=_lost(res, load, got, warm_sent, before),
        in_flight_at_stop=(res.started - res.succeeded) * load.spans_per_request,
        window_s=t1 - t0, cpu_s=cpu1 - cpu0, spans_per_cpu_s=got / cpu,
        spans_per_s=got / max(t1 - t0, 1e-9), peak_rss_mib=peak_rss_mib(pid),
        rss_before_mib=rss_before,
        threads=threads(pid), processes=group_cpu_seconds(pid)[1],
        h2load_not_ok=_not_ok(res), h2load_req_per_s=res.req_per_s,
        wire_bytes=after["wire_bytes"] - before["wire_bytes"],
        raw_bytes=after["raw_bytes"] - before["raw_bytes"], counters=launched.counters(),
    )


def start_sink() -> tuple[Managed, int]:
    """A fresh sink process (uvloop) on a free port, ready to count."""
    port = free_port()
    sink = Managed("sink", [sys.executable, str(HERE / "sink.py"), "--port", str(port)],
                   WORK / "logs" / "sink.log")
    try:
        wait_until(lambda: http_get(f"http://127.0.0.1:{port}/count") is not None, 60,
                   "the sink", sink)
    except (RuntimeError, TimeoutError):
        sink.stop()
        raise
    return sink, port


def measure(collector: Collector, load: Load) -> Run:
    """Run ``collector`` under ``load`` once, with its own sink; stop both in any case.

    Raises RuntimeError, TimeoutError, ValueError or subprocess.TimeoutExpired on failure.
    """
    sink, sink_port = start_sink()
    launched: Launched | None = None
    try:
        launched = collector.launch(sink_port, load.compression)
        warm_sent = _warm_up(load, launched, sink_port)
        return _window(load, launched, sink_port, warm_sent)
    finally:
        if launched is not None:
            launched.proc.stop()
        sink.stop()


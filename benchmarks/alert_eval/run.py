"""1,000 alert rules over 100,000 active series evaluated every 15 s: otelpy's rule evaluator
against Prometheus 2.42 and vmalert + VictoriaMetrics, in the same run.

    python benchmarks/alert_eval/run.py [--rounds 4]

The workload (workload.py) is remote-written into Prometheus (receiver enabled, the rule file
loaded) and VictoriaMetrics (read by vmalert with the same rule file): 20 rounds of history
at 15 s steps first, then one round every 15 s. otelpy holds the same samples in a
SeriesStore and evaluates the same 20 groups with GroupEvaluator, the code the alerting
connector runs per group, timed as its own metric ``otelpy_alerting_group_last_duration_seconds``
is (process CPU time of the group's evaluation). Prometheus's evaluation time is the sum of
``prometheus_rule_group_last_duration_seconds`` over groups; vmalert's the mean of
``vmalert_iteration_duration_seconds`` (sum/count) times the number of groups. CPU per round is
each process's CPU over the live rounds (ingestion included) divided by the rounds; memory per
series is RSS (VictoriaMetrics + vmalert together) over the series count.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import re
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
_VENV_PY = HERE.parents[1] / ".venv" / "bin" / "python"
if _VENV_PY.exists() and Path(sys.prefix).resolve() != _VENV_PY.parents[1].resolve():
    os.execv(str(_VENV_PY), [str(_VENV_PY), *sys.argv])
sys.path[:0] = [str(HERE), str(HERE.parent / "otlp_passthrough"), str(HERE.parents[1])]

import cramjam  # noqa: E402
import otelpy_side  # noqa: E402
import workload  # noqa: E402
from otelpy_side import OtelpySide  # noqa: E402
from procs import Managed, cpu_seconds, free_port, rss_mib, wait_until  # noqa: E402

from otelpy.prometheus.prompb import Sample, TimeSeries, encode_series, request_entry  # noqa: E402

STEP = 15.0
HISTORY = 20


def _write(url: str, keys: list[workload.Key], rounds: list[tuple[int, int]]) -> None:
    """Remote-write ``rounds`` (round number, t_ms) of every series, 10,000 series a request."""
    for lo in range(0, len(keys), 10_000):
        body = b"".join(request_entry(encode_series(TimeSeries(
            labels=list(key), samples=[Sample(workload.value(key, r), t) for r, t in rounds])))
            for key in keys[lo:lo + 10_000])
        req = urllib.request.Request(url, data=bytes(cramjam.snappy.compress_raw(body)), headers={
            "Content-Encoding": "snappy", "Content-Type": "application/x-protobuf",
            "X-Prometheus-Remote-Write-Version": "0.1.0"}, method="POST")
        with urllib.request.urlopen(req, timeout=120) as reply:
            assert reply.status < 300, reply.status


def _metric_sum(url: str, name: str) -> float:
    with urllib.request.urlopen(url, timeout=120) as reply:
        text = reply.read().decode()
    pattern = re.compile(rf"^{re.escape(name)}(?:{{[^}}]*}})? (\S+)$", re.M)
    return sum(float(v) for v in pattern.findall(text))


def _start(base: Path, rules: Path) -> dict[str, tuple[Managed, int]]:
    prom_port, vm_port, vma_port = free_port(), free_port(), free_port()
    (base / "prometheus.yml").write_text(
        f"global: {{evaluation_interval: 15s}}\nrule_files: [{rules}]\n")
    procs = {
        "prometheus": (Managed("prometheus", [
            "prometheus", f"--config.file={base / 'prometheus.yml'}",
            f"--storage.tsdb.path={base / 'prom'}", f"--web.listen-address=127.0.0.1:{prom_port}",
            "--web.enable-remote-write-receiver"], base / "prometheus.log"), prom_port),
        "victoria-metrics": (Managed("vm", [
            "victoria-metrics", f"-storageDataPath={base / 'vm'}", "-retentionPeriod=1d",
            f"-httpListenAddr=127.0.0.1:{vm_port}", "-search.latencyOffset=0s"],
            base / "vm.log"), vm_port),
        "vmalert": (Managed("vmalert", [
            "vmalert", f"-rule={rules}", f"-datasource.url=http://127.0.0.1:{vm_port}",
            f"-notifier.url=http://127.0.0.1:{free_port()}", "-evaluationInterval=15s",
            f"-httpListenAddr=127.0.0.1:{vma_port}"], base / "vmalert.log"), vma_port),
    }
    for name, (_proc, port) in procs.items():
        wait_until(lambda p=port: _ok(f"http://127.0.0.1:{p}/metrics"), 60, name)
    return procs


def _ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as reply:
            return bool(reply.status == 200)
    except OSError:
        return False


def run(rounds: int) -> dict[str, dict[str, float]]:
    base = Path(tempfile.mkdtemp(prefix="alert_eval-"))
    rules = base / "rules.yml"
    rules.write_text(workload.rules_yaml())
    keys = workload.series_keys()
    procs = _start(base, rules)
    try:
        return asyncio.run(_measure(procs, keys, rules, rounds))
    finally:
        for proc, _ in procs.values():
            proc.stop()


def _flush(port: int) -> None:
    """Make VictoriaMetrics' new series searchable now (else ~10 s later)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/internal/force_flush",
                                timeout=120) as reply:
        reply.read()


def _vmalert(port: int) -> tuple[float, float]:
    url = f"http://127.0.0.1:{port}/metrics"
    return (_metric_sum(url, "vmalert_iteration_duration_seconds_sum"),
            _metric_sum(url, "vmalert_iteration_duration_seconds_count"))


async def _measure(procs: dict[str, tuple[Managed, int]], keys: list[workload.Key],
                   rules: Path, rounds: int) -> dict[str, dict[str, float]]:
    prom_port, vm_port, vma_port = (procs[n][1] for n in
                                    ("prometheus", "victoria-metrics", "vmalert"))
    step_ms = int(STEP * 1000)
    now = int(time.time() * 1000)
    history = [(r, now - (HISTORY - r) * step_ms) for r in range(HISTORY)]
    rss0 = rss_mib(os.getpid())
    side = OtelpySide(rules, now)
    for r, t in history:
        await side.feed(otelpy_side.request(r, t, history[0][1] - 1))
    await side.start()
    print(f"otelpy holds {side.series()} series; writing history", flush=True)
    for port in (prom_port, vm_port):
        _write(f"http://127.0.0.1:{port}/api/v1/write", keys, history)
    _flush(vm_port)
    print("history written", flush=True)
    cpu0 = {n: cpu_seconds(p.pid) for n, (p, _) in procs.items()}
    vma0 = _vmalert(vma_port)
    otel_eval, otel_cpu, prom_eval = [], [], []
    for r in range(HISTORY, HISTORY + rounds):
        began = time.monotonic()
        t = int(time.time() * 1000)
        for port in (prom_port, vm_port):
            _write(f"http://127.0.0.1:{port}/api/v1/write", keys, [(r, t)])
        t_otel = side.clock.time_ns() // 1_000_000 + step_ms
        req = otelpy_side.request(r, t_otel, history[0][1] - 1)
        ingest = await side.feed(req)
        evaluation, cpu = await side.round(STEP)
        otel_eval.append(evaluation)
        otel_cpu.append(ingest + cpu)
        await asyncio.sleep(max(0.0, STEP - (time.monotonic() - began)))
        prom_eval.append(_metric_sum(f"http://127.0.0.1:{prom_port}/metrics",
                                     "prometheus_rule_group_last_duration_seconds"))
        print(f"round {r - HISTORY + 1}: otelpy {otel_eval[-1]:.3f}s (CPU {otel_cpu[-1]:.2f}s "
              f"with ingest), prometheus {prom_eval[-1]:.3f}s", flush=True)
    vma1 = _vmalert(vma_port)
    cpu = {n: (cpu_seconds(p.pid) - cpu0[n]) / rounds for n, (p, _) in procs.items()}
    n_series = len(keys)
    mid = len(otel_eval) // 2
    result = {
        "otelpy": {"eval": sorted(otel_eval)[mid], "cpu": sorted(otel_cpu)[mid],
                   "mem": (rss_mib(os.getpid()) - rss0) * 1048576 / n_series},
        "prometheus": {"eval": sorted(prom_eval)[mid], "cpu": cpu["prometheus"],
                       "mem": rss_mib(procs["prometheus"][0].pid) * 1048576 / n_series},
        "vmalert": {"eval": (vma1[0] - vma0[0]) / max(vma1[1] - vma0[1], 1) * workload.GROUPS,
                    "cpu": cpu["vmalert"] + cpu["victoria-metrics"],
                    "mem": (rss_mib(procs["vmalert"][0].pid)
                            + rss_mib(procs["victoria-metrics"][0].pid)) * 1048576 / n_series},
    }
    await side.stop()
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    # the connector runs in this process: collect garbage as `otelpy run` does (otelpy/cli.py)
    gc.set_threshold(10_000, 10, 10)
    res = run(args.rounds)
    prom = res["prometheus"]["eval"]
    print("| system | evaluation per round (1,000 rules) | vs Prometheus | CPU per round "
          "| memory per series |")
    print("| --- | --- | --- | --- | --- |")
    for name, row in res.items():
        print(f"| {name} | {row['eval']:.3f} s | {row['eval'] / max(prom, 1e-9):.2f}x | "
              f"{row['cpu']:.2f} s | {row['mem']:.0f} B |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

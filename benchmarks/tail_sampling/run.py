"""OTLP/gRPC spans through tail_sampling (latency + status_code + probabilistic, num_traces
50,000), against plain passthrough in the same run.

    python benchmarks/tail_sampling/run.py [--requests N] [--repeat R] [--quick] [--no-readme]

Load: loadgen.py (a separate process, not charged) sends 512-span requests whose traces of
5-20 spans continue across requests, every trace ID new (h2load cannot vary the body).
Each row gets its own sink (../otlp_passthrough/sink.py) and otelpy process; CPU is
utime+stime of otelpy's process group from the first request until the sink has
everything (for tail_sampling that includes the decision wait). Accounting, from otelpy's
own counters: every span accepted must reach the sink or be counted as not sampled.
Exit status 1 when a row failed or spans are unaccounted for.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
PASSTHROUGH = HERE.parent / "otlp_passthrough"
_VENV_PY = HERE.parents[1] / ".venv" / "bin" / "python"

if _VENV_PY.exists() and Path(sys.prefix).resolve() != _VENV_PY.parents[1].resolve():
    os.execv(str(_VENV_PY), [str(_VENV_PY), *sys.argv])  # the project's venv, always
sys.path.insert(0, str(PASSTHROUGH))

import collectors  # noqa: E402
import prereqs  # noqa: E402
from measure import start_sink  # noqa: E402
from procs import group_cpu_seconds, http_get, peak_rss_mib  # noqa: E402

SPANS = 512
TARGET_RATE, TARGET_RSS = 150_000, 300.0  # issue 10
BEGIN, END = "<!-- BEGIN tail_sampling RESULTS -->", "<!-- END tail_sampling RESULTS -->"
COUNTERS = ("otelcol_receiver_accepted_spans_total",
            "otelpy_processor_tail_sampling_dropped_spans_total",
            "otelcol_processor_tail_sampling_sampling_trace_dropped_too_early_total",
            "otelcol_exporter_sent_spans_total")


@dataclass
class Row:
    key: str
    label: str
    config: Path
    status: str = "ok"
    rate: float = 0.0
    cpu: float = 0.0
    sent: int = 0
    at_sink: int = 0
    not_sampled: int = 0
    unaccounted: int = 0
    rss: float = 0.0


def _sink_spans(port: int) -> int:
    body = http_get(f"http://127.0.0.1:{port}/count")
    if body is None:
        raise RuntimeError("the sink stopped answering")
    return int(json.loads(body)["spans"])


def _settle(port: int, pid: int, expect_at_least: int, quiet: float) -> tuple[int, float]:
    """Wait until the sink count stops changing for ``quiet`` seconds (and is at least the
    expected floor); returns it and the collector's CPU seconds when it last changed."""
    last, cpu, changed = -1, 0.0, time.monotonic()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        count = _sink_spans(port)
        if count != last:
            last, cpu, changed = count, group_cpu_seconds(pid)[0], time.monotonic()
        elif count >= expect_at_least and time.monotonic() - changed >= quiet:
            return last, cpu
        time.sleep(0.1)
    raise TimeoutError(f"sink count did not settle (last {last})")


def measure(row: Row, otelpy: Path, sha: str, requests: int, concurrency: int) -> None:
    collector = collectors.Otelpy(otelpy, sha, row.config, key=row.key, label=row.label)
    sink, sink_port = start_sink()
    launched = None
    try:
        launched = collector.launch(sink_port, "gzip")
        pid = launched.proc.pid
        cpu0 = group_cpu_seconds(pid)[0]
        out = subprocess.run([sys.executable, str(HERE / "loadgen.py"), "--port",
                              str(launched.grpc_port), "--requests", str(requests),
                              "--concurrency", str(concurrency)],
                             capture_output=True, text=True, timeout=1200, check=True)
        load = json.loads(out.stdout)
        floor = load["spans"] if row.key == "passthrough" else 0
        at_sink, cpu1 = _settle(sink_port, pid, floor, quiet=5.0)
        body = http_get(launched.metrics_url, timeout=5.0) or b""
        counters = collectors.prometheus_totals(body.decode(), COUNTERS)
        row.sent, row.at_sink, row.cpu = load["spans"], at_sink, cpu1 - cpu0
        accepted = int(counters.get("otelcol_receiver_accepted_spans_total", 0))
        row.not_sampled = int(counters.get(
            "otelpy_processor_tail_sampling_dropped_spans_total", 0))
        row.unaccounted = accepted - at_sink - row.not_sampled + (row.sent - accepted)
        row.rate = accepted / max(row.cpu, 1e-9)
        row.rss = peak_rss_mib(pid)
    finally:
        if launched is not None:
            launched.proc.stop()
        sink.stop()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--requests", "-n", type=int, default=4000,
                   help="requests of 512 spans per row and run (default 4000)")
    p.add_argument("--repeat", type=int, default=3, help="runs per row, interleaved (median)")
    p.add_argument("--concurrency", "-c", type=int, default=16)
    p.add_argument("--quick", action="store_true",
                   help="smoke test: 300 requests, 1 run, README untouched")
    p.add_argument("--no-readme", action="store_true", help="do not touch benchmarks/README.md")
    p.add_argument("--otelpy", type=Path, default=HERE.parents[1] / ".venv" / "bin" / "otelpy")
    args = p.parse_args(argv)
    if args.quick:
        args.requests, args.repeat, args.no_readme = 300, 1, True
    return args


def run_rows(args: argparse.Namespace, sha: str) -> list[list[Row]]:
    specs = [("passthrough", "passthrough (otlp -> batch -> otlphttp)",
              PASSTHROUGH / "otelpy.yaml"),
             ("tail_sampling", "tail_sampling (latency + status_code + probabilistic 10%)",
              HERE / "otelpy-tail.yaml")]
    runs: list[list[Row]] = [[] for _ in specs]
    for i in range(args.repeat):
        for (key, label, config), done in zip(specs, runs, strict=True):
            row = Row(key, label, config)
            print(f"[{i + 1}/{args.repeat}] {label} ...", flush=True)
            try:
                measure(row, args.otelpy, sha, args.requests, args.concurrency)
            except (RuntimeError, TimeoutError, OSError, ValueError,
                    subprocess.SubprocessError) as exc:
                row.status = "failed: " + (str(exc).strip().splitlines() or ["?"])[0][:200]
            print(f"  {row.status}: {row.rate:,.0f} spans/CPU-s, cpu {row.cpu:.2f}s, sent "
                  f"{row.sent:,}, at sink {row.at_sink:,}, not sampled {row.not_sampled:,}, "
                  f"unaccounted {row.unaccounted}, peak RSS {row.rss:.0f} MiB", flush=True)
            done.append(row)
    return runs


def _median(rows: list[Row]) -> Row:
    ok = sorted((r for r in rows if r.status == "ok"), key=lambda r: r.rate)
    if not ok:
        return rows[0]
    median = ok[(len(ok) - 1) // 2]
    median.rss = max(r.rss for r in ok)
    median.unaccounted = sum(abs(r.unaccounted) for r in ok)
    return median


def report(args: argparse.Namespace, sha: str, runs: list[list[Row]]) -> str:
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    cmd = " ".join(["python benchmarks/tail_sampling/run.py", *sys.argv[1:]])
    lines = [f"Run {when}: `{cmd}`", "", f"- machine: {prereqs.machine()}; otelpy {sha}",
             f"- {args.requests:,} requests x {SPANS} spans per row and run (traces of 5-20 "
             f"spans across requests, all trace IDs new), {args.concurrency} concurrent "
             f"requests, {args.repeat} run(s) interleaved (median)", "",
             "| config | spans/CPU-s | vs passthrough | CPU s | spans at sink | not sampled "
             "| unaccounted | peak RSS MiB |", "|---|--:|--:|--:|--:|--:|--:|--:|"]
    base = 0.0
    verdicts = []
    for rows in runs:
        row = _median(rows)
        if row.status != "ok":
            lines.append(f"| {row.label} | {row.status} | | | | | | |")
            continue
        base = base or row.rate
        lines.append(f"| {row.label} | {row.rate:,.0f} | {row.rate / base:.2f}x | {row.cpu:.2f}"
                     f" | {row.at_sink:,} | {row.not_sampled:,} | {row.unaccounted} "
                     f"| {row.rss:.0f} |")
        if row.key == "tail_sampling":
            ok = row.rate >= TARGET_RATE and row.rss <= TARGET_RSS
            verdicts.append(f"- tail_sampling: {row.rate:,.0f} spans/CPU-s (target >= "
                            f"{TARGET_RATE:,}), peak RSS {row.rss:.0f} MiB (target <= "
                            f"{TARGET_RSS:.0f}): {'PASS' if ok else 'FAIL'}")
    return "\n".join([*lines, "", *verdicts])


def update_readme(text: str) -> bool:
    readme = HERE.parent / "README.md"
    current = readme.read_text()
    start, end = current.find(BEGIN), current.find(END)
    if start < 0 or end < start:
        return False
    readme.write_text(current[: start + len(BEGIN)] + "\n" + text + "\n" + current[end:])
    return True


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    (prereqs.WORK / "logs").mkdir(parents=True, exist_ok=True)
    sha = prereqs.otelpy_version()
    runs = run_rows(args, sha)
    text = report(args, sha, runs)
    print("\n" + text)
    if not args.no_readme and update_readme(text):
        print("\nupdated benchmarks/README.md")
    bad = [r for rows in runs for r in rows if r.status != "ok" or r.unaccounted]
    return 1 if bad else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted; every process started was stopped", file=sys.stderr)
        sys.exit(130)

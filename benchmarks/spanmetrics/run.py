"""OTLP/gRPC spans through the spanmetrics and servicegraph connectors (and on to an
OTLP/HTTP sink), against plain passthrough in the same run.

    python benchmarks/spanmetrics/run.py [--requests N] [--repeat R] [--quick] [--no-readme]

Load: h2load replays one 512-span request (request.py: 64 traces across four services with
client/server, database and messaging pairs, so servicegraph pairs spans in every request;
span metrics do not depend on trace ID novelty). Each row gets its own sink and otelpy
process (../otlp_passthrough/measure.py: warm-up, then a measured window); CPU is
utime+stime of otelpy's process group over the window. The connectors' own counters show
they did their work: metric points exported and service graph edges made.
Exit status 1 when a row failed or lost spans.
"""

from __future__ import annotations

import argparse
import datetime
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
PASSTHROUGH = HERE.parent / "otlp_passthrough"
_VENV_PY = HERE.parents[1] / ".venv" / "bin" / "python"

if _VENV_PY.exists() and Path(sys.prefix).resolve() != _VENV_PY.parents[1].resolve():
    os.execv(str(_VENV_PY), [str(_VENV_PY), *sys.argv])  # the project's venv, always
sys.path.insert(0, str(PASSTHROUGH))
sys.path.insert(0, str(HERE))

import collectors  # noqa: E402
import prereqs  # noqa: E402
import request  # noqa: E402
from measure import Load, Run, measure  # noqa: E402
from procs import http_get  # noqa: E402

TARGET_RATE = 200_000  # issue 10
BEGIN, END = "<!-- BEGIN spanmetrics RESULTS -->", "<!-- END spanmetrics RESULTS -->"
CONNECTOR_COUNTERS = ("otelcol_exporter_sent_metric_points_total",
                      "otelpy_connector_servicegraph_total_edges_total",
                      "otelpy_connector_servicegraph_dropped_spans_total")


class Measured(collectors.Otelpy):
    """otelpy whose counters also include the connectors' (read as the window closes)."""

    def launch(self, sink_port: int, compression: str) -> collectors.Launched:
        launched = super().launch(sink_port, compression)
        spans = launched.counters

        def counters() -> dict[str, float]:
            body = http_get(launched.metrics_url, timeout=5.0) or b""
            return {**spans(), **collectors.prometheus_totals(body.decode(), CONNECTOR_COUNTERS)}

        launched.counters = counters
        return launched


@dataclass
class Row:
    key: str
    label: str
    config: Path
    status: str = "ok"
    runs: list[Run] = field(default_factory=list)

    def median(self) -> Run | None:
        ordered = sorted(self.runs, key=lambda r: r.spans_per_cpu_s)
        return ordered[(len(ordered) - 1) // 2] if ordered else None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--requests", "-n", type=int, default=6000,
                   help="requests of 512 spans per row and run (default 6000)")
    p.add_argument("--repeat", type=int, default=3, help="runs per row, interleaved (median)")
    p.add_argument("--connections", "-c", type=int, default=8)
    p.add_argument("--streams", "-m", type=int, default=16)
    p.add_argument("--quick", action="store_true",
                   help="smoke test: 600 requests, 1 run, README untouched")
    p.add_argument("--no-readme", action="store_true", help="do not touch benchmarks/README.md")
    p.add_argument("--otelpy", type=Path, default=HERE.parents[1] / ".venv" / "bin" / "otelpy")
    args = p.parse_args(argv)
    if args.quick:
        args.requests, args.repeat, args.no_readme = 600, 1, True
    return args


def run_rows(args: argparse.Namespace, sha: str, load: Load) -> list[Row]:
    rows = [Row("passthrough", "passthrough (otlp -> batch -> otlphttp)",
                PASSTHROUGH / "otelpy.yaml"),
            Row("spanmetrics", "spanmetrics + servicegraph (and otlphttp)",
                HERE / "otelpy-spanmetrics.yaml")]
    for i in range(args.repeat):
        for row in rows:
            if row.status != "ok":
                continue
            print(f"[{i + 1}/{args.repeat}] {row.label} ...", flush=True)
            collector = Measured(args.otelpy, sha, row.config, key=row.key, label=row.label)
            try:
                run = measure(collector, load)
            except (RuntimeError, TimeoutError, OSError, ValueError,
                    subprocess.SubprocessError) as exc:
                row.status = "failed: " + (str(exc).strip().splitlines() or ["?"])[0][:200]
                print(f"  {row.status}", flush=True)
                continue
            row.runs.append(run)
            print(f"  {run.spans_per_cpu_s:,.0f} spans/CPU-s, cpu {run.cpu_s:.2f}s, received "
                  f"{run.spans_received:,}, lost {run.lost}, peak RSS {run.peak_rss_mib:.0f} "
                  f"MiB, {run.counters}", flush=True)
    return rows


def report(args: argparse.Namespace, sha: str, rows: list[Row], msg_size: int) -> str:
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    cmd = " ".join(["python benchmarks/spanmetrics/run.py", *sys.argv[1:]])
    lines = [f"Run {when}: `{cmd}`", "", f"- machine: {prereqs.machine()}; otelpy {sha}",
             f"- {args.requests:,} requests x 512 spans ({msg_size:,} bytes) per row and run, "
             f"`h2load -c {args.connections} -m {args.streams}`, after 200 warm-up requests; "
             f"{args.repeat} run(s) interleaved (median by spans/CPU-s)", "",
             "| config | spans/CPU-s | vs passthrough | spans/s (wall) | CPU s | peak RSS MiB "
             "| spans received | lost | metric points exported | service graph edges |",
             "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    base = 0.0
    verdicts = []
    for row in rows:
        run = row.median()
        if run is None or row.status != "ok":
            lines.append(f"| {row.label} | {row.status} |" + " |" * 8)
            continue
        base = base or run.spans_per_cpu_s
        c, rss = run.counters, max(r.peak_rss_mib for r in row.runs)
        lines.append(
            f"| {row.label} | {run.spans_per_cpu_s:,.0f} | {run.spans_per_cpu_s / base:.2f}x "
            f"| {run.spans_per_s:,.0f} | {run.cpu_s:.2f} | {rss:.0f} "
            f"| {run.spans_received:,} | {sum(r.lost for r in row.runs)} "
            f"| {c.get(CONNECTOR_COUNTERS[0], 0):,.0f} | {c.get(CONNECTOR_COUNTERS[1], 0):,.0f} |")
        if row.key == "spanmetrics":
            ok = run.spans_per_cpu_s >= TARGET_RATE
            verdicts.append(f"- spanmetrics + servicegraph: {run.spans_per_cpu_s:,.0f} "
                            f"spans/CPU-s (target >= {TARGET_RATE:,}): "
                            f"{'PASS' if ok else 'FAIL'}")
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
    h2load = prereqs.ensure_h2load()
    frame = prereqs.WORK / "frame-spanmetrics.bin"
    spans, msg_size = request.write_frame(frame)
    load = Load(h2load, frame, spans, args.requests, None, args.connections, args.streams,
                200, "gzip", 600.0)
    sha = prereqs.otelpy_version()
    rows = run_rows(args, sha, load)
    text = report(args, sha, rows, msg_size)
    print("\n" + text)
    if not args.no_readme and update_readme(text):
        print("\nupdated benchmarks/README.md")
    bad = [r for r in rows if r.status != "ok" or any(run.lost for run in r.runs)]
    return 1 if bad else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted; every process started was stopped", file=sys.stderr)
        sys.exit(130)

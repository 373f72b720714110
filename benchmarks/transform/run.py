"""OTLP/gRPC spans through transform (5 statements) + filter (2 conditions), against plain
passthrough in the same run.

    python benchmarks/transform/run.py [--requests N] [--repeat R] [--quick] [--no-readme]

Reuses the otlp_passthrough harness (h2load replays one 512-span request over h2c; each
otelpy exports OTLP/HTTP to its own fresh sink; CPU = utime+stime of otelpy's process group
over the load window). Rows: ``passthrough`` (../otlp_passthrough/otelpy.yaml) and
``transform`` (otelpy-transform.yaml). The filter drops the health checks, so the transform
row expects fewer spans at the sink: that number is computed here from the request itself,
independently of the engine, and spans/CPU-s counts the spans otelpy *processed* (received).
Exit status 1 when a row failed or lost spans.
"""

from __future__ import annotations

import argparse
import datetime
import os
import signal
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PASSTHROUGH = HERE.parent / "otlp_passthrough"
_VENV_PY = HERE.parents[1] / ".venv" / "bin" / "python"

if _VENV_PY.exists() and Path(sys.prefix).resolve() != _VENV_PY.parents[1].resolve():
    os.execv(str(_VENV_PY), [str(_VENV_PY), *sys.argv])  # the project's venv, always
sys.path.insert(0, str(PASSTHROUGH))

import collectors  # noqa: E402
import prereqs  # noqa: E402
from loadgen import write_frame  # noqa: E402
from measure import Load, Result, Run, measure  # noqa: E402

from otelpy.testing.samples import traces_request  # noqa: E402

SPANS = 512
TARGET = 200_000  # spans per CPU-second with the five statements (issue 11)
BEGIN, END = "<!-- BEGIN transform RESULTS -->", "<!-- END transform RESULTS -->"


def kept_per_request() -> int:
    """Spans of the benchmark request the filter keeps: not /health, not OPTIONS (read from
    the request, not from the engine)."""
    kept = 0
    for span in traces_request(SPANS).resource_spans[0].scope_spans[0].spans:
        route = next(kv.value.string_value for kv in span.attributes if kv.key == "http.route")
        if route != "/health" and not span.name.startswith("OPTIONS "):
            kept += 1
    return kept


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--requests", "-n", type=int, default=4000,
                   help="requests of 512 spans per row and run (default 4000)")
    p.add_argument("--repeat", type=int, default=3, help="runs per row, interleaved (median)")
    p.add_argument("--connections", "-c", type=int, default=8)
    p.add_argument("--streams", "-m", type=int, default=16)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--quick", action="store_true",
                   help="smoke test: 200 requests, 1 run, 10 warm-up, README untouched")
    p.add_argument("--no-readme", action="store_true", help="do not touch benchmarks/README.md")
    p.add_argument("--otelpy", type=Path, default=HERE.parents[1] / ".venv" / "bin" / "otelpy")
    args = p.parse_args(argv)
    if args.quick:
        args.requests, args.repeat, args.warmup, args.no_readme = 200, 1, 10, True
    return args


def per_cpu(run: Run, received_per_sent: float) -> float:
    """Spans otelpy received per CPU-second (the sink saw ``received_per_sent`` of them)."""
    return run.spans_received / received_per_sent / max(run.cpu_s, 1e-9)


def run_rows(args: argparse.Namespace, sha: str, frame: Path) -> list[tuple[Result, float]]:
    h2load = prereqs.ensure_h2load()
    kept = kept_per_request()
    rows = [
        (collectors.Otelpy(args.otelpy, sha, PASSTHROUGH / "otelpy.yaml", key="passthrough",
                           label="passthrough (otlp -> batch -> otlphttp)"), SPANS),
        (collectors.Otelpy(args.otelpy, sha, HERE / "otelpy-transform.yaml", key="transform",
                           label="transform (5 statements) + filter (2 conditions)"), kept),
    ]
    results = [(Result(c.key, c.label, sha), kept_n / SPANS) for c, kept_n in rows]
    for i in range(args.repeat):
        for (c, kept_n), (res, _) in zip(rows, results, strict=True):
            if res.status != "ok":
                continue
            load = Load(h2load, frame, kept_n, args.requests, None, args.connections,
                        args.streams, args.warmup, "gzip", 600.0)
            print(f"[{i + 1}/{args.repeat}] {c.label} ...", flush=True)
            try:
                run = measure(c, load)
            except (RuntimeError, TimeoutError, ValueError, OSError) as exc:
                res.status = "failed: " + (str(exc).strip().splitlines() or ["?"])[0][:200]
                print(f"  FAILED: {exc}", flush=True)
                continue
            res.runs.append(run)
            print(f"  {per_cpu(run, kept_n / SPANS):,.0f} spans/CPU-s, cpu {run.cpu_s:.2f}s, "
                  f"sink got {run.spans_received:,} (expected {run.spans_sent:,}), "
                  f"lost {run.lost}", flush=True)
    return results


def report(args: argparse.Namespace, sha: str, results: list[tuple[Result, float]]) -> str:
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    cmd = " ".join(["python benchmarks/transform/run.py", *sys.argv[1:]])
    lines = [f"Run {when}: `{cmd}`", "",
             f"- machine: {prereqs.machine()}; otelpy {sha}",
             f"- {args.requests:,} requests x {SPANS} spans per row and run, `h2load -c "
             f"{args.connections} -m {args.streams}`, {args.repeat} run(s) interleaved (median)",
             "", "| config | spans/CPU-s (processed) | vs passthrough | CPU s | spans at sink "
             "| lost | peak RSS MiB |", "|---|--:|--:|--:|--:|--:|--:|"]
    base = None
    verdicts = []
    for res, ratio in results:
        run = res.summary
        if run is None or res.status != "ok":
            lines.append(f"| {res.label} | {res.status} | | | | | |")
            continue
        rate = per_cpu(run, ratio)
        base = base or rate
        lines.append(f"| {res.label} | {rate:,.0f} | {rate / base:.2f}x | {run.cpu_s:.2f} "
                     f"| {run.spans_received:,} | {run.lost} | {run.peak_rss_mib:.1f} |")
        if res.key == "transform":
            verdicts.append(f"- transform + filter: {rate:,.0f} spans per CPU-second "
                            f"(target >= {TARGET:,}): {'PASS' if rate >= TARGET else 'FAIL'}")
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
    frame = prereqs.WORK / f"frame-{SPANS}.bin"
    write_frame(frame, SPANS)
    sha = prereqs.otelpy_version()
    results = run_rows(args, sha, frame)
    text = report(args, sha, results)
    print("\n" + text)
    if not args.no_readme and update_readme(text):
        print("\nupdated benchmarks/README.md")
    bad = [r for r, _ in results if r.status != "ok" or (r.summary and r.summary.lost)]
    return 1 if bad else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted; every process started was stopped", file=sys.stderr)
        sys.exit(130)

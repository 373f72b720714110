"""OTLP/gRPC -> batch -> OTLP/HTTP passthrough: otelpy against rotel, same load, same run.

    python benchmarks/otlp_passthrough/run.py [--requests N | --duration S]
        [--connections C] [--streams M] [--only otelpy,rotel,forwarder] [--repeat R]
        [--json out.json] [--compression gzip|none] [--no-readme]
        [--queue memory,persistent-batch,persistent-interval,persistent-never]

h2load replays one 512-span ExportTraceServiceRequest over h2c into each collector in
turn (never two at once); each exports OTLP/HTTP to its own fresh sink process, which
counts spans. Per collector: spans per CPU-second of the collector process (utime+stime
of all its threads, over the load window only), spans/s wall, peak RSS (VmHWM), spans
sent vs received. Prints the table and rewrites the block in benchmarks/README.md.
Exit status 1 when a collector that ran lost spans or failed.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import signal
import subprocess
import sys
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
_VENV_PY = HERE.parents[1] / ".venv" / "bin" / "python"

if _VENV_PY.exists() and Path(sys.prefix).resolve() != _VENV_PY.parents[1].resolve():
    os.execv(str(_VENV_PY), [str(_VENV_PY), *sys.argv])  # the project's venv, always

import collectors  # noqa: E402
import prereqs  # noqa: E402
import report  # noqa: E402
from loadgen import write_frame  # noqa: E402
from measure import Load, Result, measure  # noqa: E402

SPANS_PER_REQUEST = 512
KEYS = ("otelpy", "rotel", "forwarder")
# otelpy's sending queue per row: in memory (otelpy.yaml), or on disk (otelpy-persistent.yaml,
# batch wait_for_export) with fsync per enqueued batch, once per second, or never
QUEUES = ("memory", "persistent-batch", "persistent-interval", "persistent-never")
DURABILITY_TARGET = 0.5  # persistent-interval spans/s >= 50% of memory (issue 3)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--requests", "-n", type=int, default=16_000,
                   help="requests of 512 spans per collector (default 16000)")
    p.add_argument("--duration", "-D", type=float, default=None,
                   help="seconds of load per collector instead of --requests")
    p.add_argument("--connections", "-c", type=int, default=8, help="h2load -c (default 8)")
    p.add_argument("--streams", "-m", type=int, default=16,
                   help="h2load -m: concurrent streams per connection (default 16)")
    p.add_argument("--warmup", type=int, default=200,
                   help="requests sent before the window opens (default 200)")
    p.add_argument("--only", default=",".join(KEYS),
                   help="comma-separated subset of otelpy,rotel,forwarder (default: all)")
    p.add_argument("--repeat", type=int, default=3,
                   help="runs per collector, interleaved; the median by spans/CPU-s is shown")
    p.add_argument("--compression", choices=("gzip", "none"), default="gzip",
                   help="export compression for every collector (default gzip: rotel's default)")
    p.add_argument("--forwarder-gzip-level", type=int, default=1,
                   help="gzip level of the reference forwarder (default 1: otelpy's otlphttp)")
    p.add_argument("--json", type=Path, default=None, help="also write the results here")
    p.add_argument("--no-readme", action="store_true", help="do not touch benchmarks/README.md")
    p.add_argument("--otelpy", type=Path, default=HERE.parents[1] / ".venv" / "bin" / "otelpy",
                   help="the otelpy executable (default: the project's .venv)")
    p.add_argument("--rotel-spec", default="rotel==0.0.1a15",
                   help="pip requirement installed into benchmarks/.work/venv if rotel is missing")
    p.add_argument("--h2load-timeout", type=float, default=600.0,
                   help="bound on one h2load run in seconds (default 600)")
    p.add_argument("--queue", default="memory",
                   help="comma-separated otelpy rows by sending queue: memory (default), "
                        "persistent-batch (file_storage, fsync per batch), persistent-interval "
                        "(fsync once per second), persistent-never; e.g. --queue "
                        "memory,persistent-batch,persistent-interval")
    args = p.parse_args(argv)
    args.queue = [q.strip() for q in args.queue.split(",") if q.strip()]
    if not args.queue or set(args.queue) - set(QUEUES):
        p.error(f"--queue: choose from {', '.join(QUEUES)}")
    args.only = [k.strip() for k in args.only.split(",") if k.strip()]
    unknown = set(args.only) - set(KEYS)
    if unknown:
        p.error(f"--only: unknown {sorted(unknown)}; choose from {', '.join(KEYS)}")
    return args


def otelpy_rows(args: argparse.Namespace, sha: str) -> list[collectors.Collector]:
    """One otelpy row per ``--queue`` entry."""
    rows: list[collectors.Collector] = []
    for queue in args.queue:
        if queue == "memory":
            rows.append(collectors.Otelpy(args.otelpy, sha))
            continue
        fsync = queue.removeprefix("persistent-")
        rows.append(collectors.Otelpy(
            args.otelpy, sha, HERE / "otelpy-persistent.yaml", key=f"otelpy-{queue}",
            label=f"otelpy (persistent queue, fsync {fsync})", extra={"BENCH_FSYNC": fsync},
            storage=prereqs.WORK / f"storage-{queue}"))
    return rows


def build_collectors(args: argparse.Namespace, sha: str) -> list[collectors.Collector]:
    made: dict[str, list[collectors.Collector]] = {"otelpy": otelpy_rows(args, sha)}
    if "rotel" in args.only:
        binary = prereqs.ensure_rotel(args.rotel_spec)
        made["rotel"] = [collectors.Rotel(binary, prereqs.rotel_version(binary))]
    made["forwarder"] = [collectors.Forwarder(args.forwarder_gzip_level)]
    return [c for k in KEYS if k in args.only for c in made[k]]


def durability_lines(results: list[Result]) -> list[str]:
    """Persistent-queue rows against the in-memory row (both must have run)."""
    by_key = {r.key: r.summary for r in results if r.status == "ok"}
    memory = by_key.get("otelpy")
    lines = []
    for queue in QUEUES[1:]:
        run = by_key.get(f"otelpy-{queue}")
        if memory is None or run is None or not memory.spans_per_s:
            continue
        wall = run.spans_per_s / memory.spans_per_s
        cpu = run.spans_per_cpu_s / memory.spans_per_cpu_s
        verdict = ""
        if queue == "persistent-interval":
            ok = wall >= DURABILITY_TARGET
            verdict = f" (target >= {DURABILITY_TARGET:.0%} spans/s): {'PASS' if ok else 'FAIL'}"
        lines.append(f"- otelpy {queue} vs memory queue: {wall:.0%} of the spans/s, "
                     f"{cpu:.0%} of the spans/CPU-s{verdict}")
    return lines


def _one_line(message: str) -> str:
    """First line of an error, plus its last line when it has more (a traceback's verdict)."""
    lines = [ln.strip() for ln in message.splitlines() if ln.strip()] or ["?"]
    text = lines[0].rstrip(":") + (f" ... {lines[-1]}" if len(lines) > 1 else "")
    return text.replace("|", "/")[:300]


def run_all(todo: list[collectors.Collector], load: Load, repeat: int) -> list[Result]:
    results = {c.key: Result(c.key, c.label, c.version()) for c in todo}
    for c in todo:
        why = c.unavailable()
        if why:
            results[c.key].status = f"pending: {why}"
            print(f"{c.label}: skipped ({why})", flush=True)
    for i in range(repeat):
        for c in todo:
            res = results[c.key]
            if res.status != "ok":
                continue
            print(f"[{i + 1}/{repeat}] {c.label} ...", flush=True)
            try:
                run = measure(c, load)
            except (RuntimeError, TimeoutError, ValueError, OSError,
                    subprocess.TimeoutExpired, subprocess.CalledProcessError) as exc:
                res.status = "failed: " + _one_line(str(exc))
                print(f"  FAILED: {exc}", flush=True)
                continue
            res.runs.append(run)
            print(f"  {run.spans_per_cpu_s:,.0f} spans/CPU-s, {run.spans_per_s:,.0f} spans/s, "
                  f"cpu {run.cpu_s:.2f}s over {run.window_s:.2f}s, "
                  f"RSS {run.rss_before_mib:.0f} MiB before, peak {run.peak_rss_mib:.1f} MiB, "
                  f"sent {run.spans_sent:,} received {run.spans_received:,} lost {run.lost}",
                  flush=True)
    return [results[c.key] for c in todo]


def context_lines(args: argparse.Namespace, todo: list[collectors.Collector], load: Load,
                  msg_size: int, sha: str) -> list[str]:
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    versions = [f"otelpy {sha}"]
    versions += [f"rotel {c.version()}" for c in todo if c.key == "rotel"]
    versions += [prereqs.h2load_version(load.h2load),
                 f"grpcio {metadata.version('grpcio')}, aiohttp {metadata.version('aiohttp')}"]
    amount = (f"{args.duration:g} s of load" if args.duration
              else f"{args.requests:,} requests")
    cmd = " ".join(["python benchmarks/otlp_passthrough/run.py", *sys.argv[1:]])
    return [
        f"Run {when}: `{cmd}`",
        "",
        f"- machine: {prereqs.machine()}",
        f"- versions: {'; '.join(versions)}",
        f"- load per collector: {amount} x {SPANS_PER_REQUEST} spans ({msg_size:,} bytes a "
        f"request), `h2load -c {args.connections} -m {args.streams} -t 1`, after "
        f"{args.warmup} warm-up requests; {args.repeat} run(s) each, interleaved "
        "(median by spans/CPU-s; lost summed over runs; peak RSS the highest)",
        f"- batch 8192 spans / 200 ms everywhere; export compression: {args.compression} "
        "(rotel's default, also otelpy's and the Collector's); gzip level: rotel 6 (not "
        f"configurable), otelpy its otlphttp default, forwarder {args.forwarder_gzip_level}. "
        "The gzip ratio column shows what each sent (this data: ~6.1 at level 6, ~5.4 at 1)",
    ]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # clean up on SIGTERM too
    prereqs.WORK.mkdir(parents=True, exist_ok=True)
    h2load = prereqs.ensure_h2load()
    frame = prereqs.WORK / f"frame-{SPANS_PER_REQUEST}.bin"
    msg_size = write_frame(frame, SPANS_PER_REQUEST)
    load = Load(h2load, frame, SPANS_PER_REQUEST, args.requests, args.duration,
                args.connections, args.streams, args.warmup, args.compression,
                args.h2load_timeout)
    sha = prereqs.otelpy_version()  # once: the tree may change while the benchmark runs
    todo = build_collectors(args, sha)
    results = run_all(todo, load, args.repeat)
    text = report.block(results, context_lines(args, todo, load, msg_size, sha))
    text = "\n".join([text, *durability_lines(results)])
    print("\n" + text)
    if args.json:
        args.json.write_text(json.dumps([r.as_dict() for r in results], indent=2, default=str))
    if not args.no_readme:
        readme = HERE.parent / "README.md"
        if report.update_readme(readme, text):
            print(f"\nupdated {readme}")
        else:
            print(f"\n{readme}: markers {report.BEGIN} / {report.END} not found; not updated")
    bad = [r for r in results if r.status.startswith("failed")
           or (r.summary is not None and (r.summary.lost or r.summary.h2load_not_ok))]
    return 1 if bad else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # SIGINT or SIGTERM: the finally blocks stopped every process
        print("\ninterrupted; every process started was stopped", file=sys.stderr)
        sys.exit(130)

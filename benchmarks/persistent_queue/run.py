"""The cost of durability: otelpy's throughput with the persistent sending queue (fsync per
batch, per second, never) against the in-memory queue, on the benchmark path.

    .venv/bin/python benchmarks/persistent_queue/run.py              # every row, ~4 min
    .venv/bin/python benchmarks/persistent_queue/run.py --requests 2000 --only memory,batch

The load is otlp_passthrough's: h2load replays one 512-span OTLP/gRPC request
(125,707 bytes) with 8 connections x 16 streams into otelpy (``otlp`` receiver ->
[``batch``] -> ``otlphttp``, gzip) and a separate sink process counts the spans. Rows:

* ``memory``: the in-memory queue behind the Collector's batch processor (acknowledges on
  buffering): the otlp_passthrough configuration, the baseline of the ratios.
* ``memory/direct``: in-memory queue, no batch processor.
* ``<policy>/batch``: persistent queue (``file_storage`` with ``fsync_policy: <policy>``;
  ``interval`` is every 1 s, ``interval-50ms`` every 50 ms)
  behind ``batch`` with ``wait_for_export: true``: the durable chain with batching
  (8192 spans or 200 ms; one 2 MB record per merged batch).
* ``<policy>/direct``: persistent queue, no batch processor: each 512-span request is one
  125 KB record, acknowledged once durable.

For each row: warm-up (200 requests), then ``--requests`` requests; the window ends when the
sink has every span. Reported: spans/s (wall), otelpy's CPU seconds (all its threads), spans
per CPU-second, and the ratio of spans/s to the ``memory`` row. The queue directory lives in
benchmarks/.work/persistent_queue (same disk as the repository).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
PASSTHROUGH = HERE.parent / "otlp_passthrough"
sys.path.insert(0, str(PASSTHROUGH))

from loadgen import run_h2load, write_frame  # noqa: E402
from procs import Managed, cpu_seconds, free_port, http_get, port_open, wait_until  # noqa: E402

REPO = HERE.parents[1]
WORK = REPO / "benchmarks" / ".work" / "persistent_queue"
ROWS = ["memory", "memory/direct", "batch/batch", "interval/batch", "interval-50ms/batch",
        "never/batch", "batch/direct", "interval/direct", "interval-50ms/direct",
        "never/direct"]


def otelpy_config(row: str, grpc: int, sink: int, telemetry: int) -> dict[str, Any]:
    policy, _, shape = row.partition("/")
    persistent = policy != "memory"
    batching = shape != "direct"
    exporter: dict[str, Any] = {"endpoint": f"http://127.0.0.1:{sink}", "compression": "gzip"}
    if persistent:
        exporter["sending_queue"] = {"storage": "file_storage", "queue_size": 1000}
    else:
        exporter["sending_queue"] = {"queue_size": 16}
    pipeline: dict[str, Any] = {"receivers": ["otlp"], "exporters": ["otlphttp"]}
    cfg: dict[str, Any] = {
        "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": f"127.0.0.1:{grpc}"}}}},
        "exporters": {"otlphttp": exporter},
        "service": {"telemetry": {"metrics": {"address": f"127.0.0.1:{telemetry}"}},
                    "pipelines": {"traces": pipeline}},
    }
    if batching:
        cfg["processors"] = {"batch": {"send_batch_size": 8192, "timeout": "200ms",
                                       "wait_for_export": persistent}}
        pipeline["processors"] = ["batch"]
    if persistent:
        storage = WORK / f"storage-{row.replace('/', '-')}"
        shutil.rmtree(storage, ignore_errors=True)
        policy, _, interval = policy.partition("-")
        cfg["extensions"] = {"file_storage": {"directory": str(storage),
                                              "create_directory": True,
                                              "fsync_policy": policy,
                                              "fsync_interval": interval or "1s"}}
        cfg["service"]["extensions"] = ["file_storage"]
    return cfg


def sink_count(port: int) -> int:
    body = http_get(f"http://127.0.0.1:{port}/count")
    return int(json.loads(body)["spans"]) if body else -1


def measure(row: str, args: argparse.Namespace, frame: Path, spans: int) -> dict[str, Any]:
    grpc, sink_port, telemetry = free_port(), free_port(), free_port()
    WORK.mkdir(parents=True, exist_ok=True)
    cfg_path = WORK / f"{row.replace('/', '-')}.yaml"
    cfg_path.write_text(yaml.safe_dump(otelpy_config(row, grpc, sink_port, telemetry)))
    sink = Managed("sink", [sys.executable, str(PASSTHROUGH / "sink.py"), "--port",
                            str(sink_port)], WORK / "sink.log")
    otelpy = Managed("otelpy", [str(REPO / ".venv" / "bin" / "otelpy"), "--config",
                                str(cfg_path)], WORK / f"{row.replace('/', '-')}.log")
    try:
        wait_until(lambda: port_open(sink_port), 30, "the sink", alive=sink)
        wait_until(lambda: port_open(grpc) and http_get(
            f"http://127.0.0.1:{telemetry}/metrics") is not None, 60, "otelpy", alive=otelpy)
        run_h2load(args.h2load, grpc, frame, args.warmup, None, 8, 16, 120)
        wait_until(lambda: sink_count(sink_port) >= args.warmup * spans, 60, "the warm-up")
        base, cpu0, t0 = sink_count(sink_port), cpu_seconds(otelpy.pid), time.monotonic()
        result = run_h2load(args.h2load, grpc, frame, args.requests, None, 8, 16, 600)
        want = base + result.succeeded * spans
        wait_until(lambda: sink_count(sink_port) >= want, 120, "every span at the sink",
                   interval=0.02)
        window, cpu = time.monotonic() - t0, cpu_seconds(otelpy.pid) - cpu0
        got = sink_count(sink_port) - base
        return {"row": row, "spans": got, "failed_requests": result.failed + result.errored,
                "window_s": window, "cpu_s": cpu, "spans_per_s": got / window,
                "spans_per_cpu_s": got / cpu if cpu else 0.0}
    finally:
        otelpy.stop()
        sink.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000, help="measured requests a row")
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=1, help="runs a row (the median by "
                        "spans/s is shown; rows alternate, so noise spreads over all)")
    parser.add_argument("--only", default="", help="comma-separated rows (default: all): "
                        + ", ".join(ROWS))
    parser.add_argument("--h2load", default=shutil.which("h2load") or "h2load")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    args = parser.parse_args()
    rows = [r for r in ROWS if not args.only or r in args.only.split(",")]
    frame = WORK / "frame.bin"
    spans = 512
    write_frame(frame, spans)
    runs: dict[str, list[dict[str, Any]]] = {row: [] for row in rows}
    for i in range(args.repeat):
        for row in rows:
            print(f"measuring {row} (run {i + 1}/{args.repeat}) ...", flush=True)
            runs[row].append(measure(row, args, frame, spans))
    results = [sorted(rs, key=lambda r: r["spans_per_s"])[(len(rs) - 1) // 2]  # median
               for rs in runs.values()]
    base = next((r["spans_per_s"] for r in results if r["row"] == "memory"), None)
    print(f"\n{'row':<22} {'spans/s':>10} {'CPU s':>7} {'spans/CPU-s':>12} "
          f"{'vs memory':>10}  all runs (spans/s)")
    for r in results:
        ratio = f"{r['spans_per_s'] / base:.2f}" if base else "-"
        every = ", ".join(f"{x['spans_per_s']:.0f}" for x in runs[r["row"]])
        print(f"{r['row']:<22} {r['spans_per_s']:>10.0f} {r['cpu_s']:>7.1f} "
              f"{r['spans_per_cpu_s']:>12.0f} {ratio:>10}  {every}")
    if args.json:
        args.json.write_text(json.dumps(runs, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

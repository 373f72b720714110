"""Chaos harness: kill -9 otelpy and take its backend down at random, then count what was lost.

    python benchmarks/chaos/run.py [--rounds 20] [--round-seconds 3] [--seed 1]
        [--queue persistent|memory] [--fsync batch|interval|never] [--no-batch]
        [--json out.json] [--readme]

Load: grpc.aio clients send OTLP traces and logs whose items carry a global sequence
number (attribute ``seq``) into otelpy (otlp -> batch -> otlphttp with a sending queue)
which exports to a sink process that appends every seq it receives to a file before
answering 200. A seq is "acknowledged" only when its request got grpc-status OK; failed
requests are retried with the same seqs. Per round the harness kills otelpy with SIGKILL
and restarts it (same config, same storage directory), and stops and restarts the sink,
at random moments (see chaos.py). At the end of each round everything is up and the
harness waits until the sink has every acknowledged seq, or nothing arrives for a while.

Reports, per round and in total: acknowledged, delivered, LOST (acknowledged, never
delivered), duplicates (copies beyond the first), recovery times (restart -> port
ready, restart -> backlog drained) and acknowledged items per second.
Exit status 1 when an acknowledged item was lost or otelpy exited unasked; 2 on a
harness error (e.g. otelpy could not start).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import re
import shutil
import signal
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
_VENV_PY = REPO / ".venv" / "bin" / "python"

if _VENV_PY.exists() and Path(sys.prefix).resolve() != _VENV_PY.parents[1].resolve():
    os.execv(str(_VENV_PY), [str(_VENV_PY), *sys.argv])  # the project's venv, always

sys.path.insert(0, str(HERE))

import chaos  # noqa: E402
import pipeline  # noqa: E402
import report  # noqa: E402
import wire  # noqa: E402
from ledger import Ledger, SinkFiles  # noqa: E402
from loadgen import LoadGen  # noqa: E402
from procs import Service, free_port, kill_leftovers  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=20, help="rounds (default 20)")
    p.add_argument("--round-seconds", type=float, default=3.0,
                   help="seconds of load and faults per round (default 3)")
    p.add_argument("--seed", type=int, default=1, help="seeds the fault plan of every round")
    p.add_argument("--queue", choices=pipeline.QUEUES, default="persistent",
                   help="otelpy's sending queue (default persistent: file_storage)")
    p.add_argument("--fsync", choices=pipeline.FSYNC, default="batch",
                   help="file_storage fsync policy (persistent queue only; default batch)")
    p.add_argument("--faults", choices=chaos.FAULTS, default="all",
                   help="which faults to inject (default all: kill -9 otelpy, sink outages)")
    p.add_argument("--no-batch", action="store_true", help="no batch processor in the pipeline")
    p.add_argument("--send-batch-size", type=int, default=400,
                   help="batch processor send_batch_size (default 400: what 8 clients of "
                        "one signal have in flight)")
    p.add_argument("--workers", type=int, default=16,
                   help="concurrent client requests, half traces, half logs (default 16)")
    p.add_argument("--items-per-request", type=int, default=50, help="default 50")
    p.add_argument("--call-timeout", type=float, default=30.0,
                   help="gRPC deadline of one request in seconds (default 30)")
    p.add_argument("--settle", type=float, default=3.0,
                   help="end of round: stop waiting after this long without a delivery")
    p.add_argument("--work-dir", type=Path, default=REPO / "benchmarks" / ".work" / "chaos",
                   help="scratch directory, emptied first (storage, sink records, logs)")
    p.add_argument("--otelpy", type=Path, default=REPO / ".venv" / "bin" / "otelpy")
    p.add_argument("--json", type=Path, default=None, help="write every figure here")
    p.add_argument("--readme", action="store_true",
                   help="rewrite the chaos results block in benchmarks/README.md")
    return p.parse_args(argv)


def _prepare(work: Path) -> dict[str, Path]:
    if work.exists():
        shutil.rmtree(work)
    dirs = {name: work / name for name in ("storage", "sink", "logs")}
    for path in dirs.values():
        path.mkdir(parents=True)
    return dirs


def _pipeline_text(args: argparse.Namespace, opts: pipeline.PipelineOptions) -> str:
    batch = ("no batch" if not opts.batch else
             f"batch (send_batch_size {opts.send_batch_size}, timeout {opts.batch_timeout}"
             + (", wait_for_export: true)" if opts.queue == "persistent" else ")"))
    queue = (f"persistent sending_queue (file_storage, fsync {opts.fsync})"
             if opts.queue == "persistent" else "in-memory sending_queue")
    return (f"otlp (gRPC) -> {batch} -> otlphttp (gzip, {queue}, num_consumers "
            f"{opts.num_consumers}, retry 50ms..500ms forever) -> sink")


def _context(args: argparse.Namespace, opts: pipeline.PipelineOptions) -> dict[str, str]:
    sys.path.insert(0, str(REPO / "benchmarks" / "otlp_passthrough"))
    import prereqs  # the passthrough benchmark's machine/version helpers

    return {
        "when": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": " ".join(["python benchmarks/chaos/run.py", *sys.argv[1:]]),
        "machine": prereqs.machine(), "otelpy": prereqs.otelpy_version(),
        "pipeline": _pipeline_text(args, opts),
        "load": (f"{args.workers} concurrent grpc.aio requests of {args.items_per_request} "
                 f"items (traces and logs alternately), {args.rounds} rounds of "
                 f"{args.round_seconds:g} s, seed {args.seed}, faults: {args.faults}"),
    }


def _services(args: argparse.Namespace, dirs: dict[str, Path], config: Path,
              grpc_port: int, sink_port: int) -> tuple[Service, Service]:
    otelpy = Service("otelpy", grpc_port, lambda n: [str(args.otelpy), "--config", str(config)],
                     dirs["logs"] / "otelpy.log", cwd=REPO)
    sink = Service("sink", sink_port, lambda n: [
        sys.executable, str(HERE / "sink.py"), "--port", str(sink_port),
        "--out", str(dirs["sink"] / f"seqs-{n:05d}.bin")], dirs["logs"] / "sink.log")
    return otelpy, sink


async def _run(args: argparse.Namespace, harness: chaos.Harness) -> list[chaos.RoundResult]:
    results: list[chaos.RoundResult] = []
    watcher: asyncio.Task[None] | None = None
    try:
        await harness.start()
        watcher = asyncio.create_task(harness.watch())
        for index in range(args.rounds):
            res = await harness.run_round(index)
            if watcher.done():  # the sink's records could not be read: no figures to trust
                watcher.result()
                raise RuntimeError("the sink watcher stopped")
            results.append(res)
            recs = [r for r in harness.recoveries if r.round == res.round]
            row = report.round_row(res, harness.ledger.round_tally(index), recs)
            print(report.round_line(row, args.rounds), flush=True)
            if row["lost"] or res.crashes:
                print("    events: " + "; ".join(res.events), flush=True)
    finally:
        if watcher is not None:
            watcher.cancel()
        await harness.load.close()
        await harness.otelpy.stop()
        await harness.sink.stop()
        harness.files.poll(harness.ledger)
    return results


_REDELIVERED = re.compile(r"(\d+) of those items possibly delivered already")


def _otelpy_counted_redeliveries(log: Path) -> int | None:
    """Items otelpy itself said it sends again after a restart (its startup log lines),
    or None when it never said."""
    found = _REDELIVERED.findall(log.read_text(errors="replace")) if log.exists() else []
    return sum(int(n) for n in found) if found else None


def _in_flight_bound(args: argparse.Namespace, opts: pipeline.PipelineOptions) -> int:
    """Items one fault can duplicate: every client request in flight, plus a full batch in
    every sender of both signals' queues (a batch may pass send_batch_size by one request)."""
    batch = opts.send_batch_size + args.items_per_request if opts.batch else args.items_per_request
    return args.workers * args.items_per_request + 2 * opts.num_consumers * batch


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # clean up on SIGTERM too
    wire.self_check()
    dirs = _prepare(args.work_dir)
    opts = pipeline.PipelineOptions(queue=args.queue, fsync=args.fsync, batch=not args.no_batch,
                                    send_batch_size=args.send_batch_size)
    grpc_port, sink_port, tel_port = free_port(), free_port(), free_port()
    config = pipeline.write_config(args.work_dir / "otelpy.yaml", pipeline.otelpy_config(
        opts, grpc_port, sink_port, tel_port, dirs["storage"]))
    otelpy, sink = _services(args, dirs, config, grpc_port, sink_port)
    ledger = Ledger()
    load = LoadGen(ledger, grpc_port, args.workers, args.items_per_request, args.call_timeout)
    harness = chaos.Harness(otelpy, sink, ledger, SinkFiles(dirs["sink"]), load, args.seed,
                            args.round_seconds, args.settle, args.faults)
    context = _context(args, opts)
    print(f"chaos: {context['pipeline']}\n       {context['load']}\n       work dir "
          f"{args.work_dir} (config, storage, sink records, logs)", flush=True)
    try:
        results = asyncio.run(_run(args, harness))
    except (RuntimeError, TimeoutError) as exc:
        print(f"harness error: {exc}", file=sys.stderr)
        return 2
    finally:
        kill_leftovers()
    summary = report.summarize(ledger, results, harness.recoveries, context,
                               _in_flight_bound(args, opts))
    summary.total["otelpy_counted_redeliveries"] = _otelpy_counted_redeliveries(
        dirs["logs"] / "otelpy.log")
    print("\n" + "\n".join(report.total_lines(summary)))
    if args.json:
        args.json.write_text(json.dumps({"total": summary.total, "rounds": summary.rounds,
                                         "recoveries": summary.recoveries,
                                         "lost_seqs": summary.lost_seqs,
                                         "context": summary.context,
                                         "load": vars(load.stats) | {
                                             "errors": dict(load.stats.errors)}},
                                        indent=2, default=str))
    if args.readme and not report.update_readme(HERE.parent / "README.md",
                                                report.markdown(summary)):
        print(f"benchmarks/README.md: markers {report.BEGIN} / {report.END} not found")
    return 0 if summary.ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted; every process started was stopped", file=sys.stderr)
        sys.exit(130)

"""Fuzz otelpy's input paths for a chosen time (the CI suite runs the same targets for a
fixed, small budget: tests/fuzz).

    .venv/bin/python benchmarks/fuzz/run.py --seconds 600            # every target
    .venv/bin/python benchmarks/fuzz/run.py --targets pdata,grpc --seconds 120

Targets (otelpy/testing/fuzz.py): ``pdata`` (Batch.from_bytes and what follows),
``otlpjson`` (the OTLP/JSON decoder), ``config`` (config load + validate), ``http``
(a real otlp receiver over HTTP: protobuf, JSON, compressed bodies) and ``grpc`` (the
same receiver over gRPC). ``--seconds`` is split evenly between them.

With atheris installed (``pip install atheris``) each target runs in its own process
under libFuzzer, coverage-guided over otelpy's Python code, starting from a seed corpus
of valid requests and configs; the corpus grows in ``--work`` (default
``.fuzz-work/``) and is reused by the next run. Without atheris, the hypothesis tests
of tests/fuzz run with their budgets scaled up until the time is spent. A crash is
printed with the input's file; fix it and keep the input in tests/fuzz/regressions/.
Prints one line per target: executions, seconds, crashes.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGETS = ("pdata", "otlpjson", "config", "http", "grpc")


# -- child: one atheris target -------------------------------------------------------------
def _seed_corpus(target: str, corpus: Path) -> None:
    """Valid inputs to start from (written once)."""
    if corpus.exists() and any(corpus.iterdir()):
        return
    corpus.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT))
    import yaml

    from tests.fuzz.strategies import CONFIG_SEEDS, SEED_DOCUMENTS, SEED_REQUESTS
    if target in ("pdata", "grpc"):
        seeds = [b"\x00" + r for r in SEED_REQUESTS] if target == "grpc" else SEED_REQUESTS
    elif target == "otlpjson":
        seeds = [json.dumps(d).encode() for d in SEED_DOCUMENTS]
    elif target == "config":
        seeds = [yaml.safe_dump(d).encode() for d in CONFIG_SEEDS]
    else:  # http: first byte picks signal and content type
        seeds = ([b"\x00" + r for r in SEED_REQUESTS]
                 + [b"\x01" + json.dumps(d).encode() for d in SEED_DOCUMENTS])
    for i, seed in enumerate(seeds):
        (corpus / f"seed-{i}").write_bytes(seed)


def _child(target: str, seconds: int, work: Path) -> None:
    import atheris

    with atheris.instrument_imports(include=["otelpy"]):
        from otelpy.component import Signal
        from otelpy.testing import fuzz

    signals = list(Signal)
    corpus, crashes = work / target / "corpus", work / target / "crashes"
    _seed_corpus(target, corpus)
    crashes.mkdir(parents=True, exist_ok=True)
    server = None
    if target in ("http", "grpc"):
        server = fuzz.ReceiverUnderFuzz().__enter__()

    def one_input(data: bytes) -> None:
        if target == "pdata":
            fuzz.pdata_target(data)
        elif target == "otlpjson":
            fuzz.otlpjson_target(data)
        elif target == "config":
            fuzz.config_target(data.decode("utf-8", "replace"))
        elif server is not None and data:
            signal = signals[data[0] % 3]
            if target == "grpc":
                server.grpc_target(signal, data[1:])
            else:
                kind = (data[0] >> 2) % 2
                server.http_target(signal, data[1:],
                                   "application/json" if kind else "application/x-protobuf")

    atheris.Setup([sys.argv[0], str(corpus), f"-max_total_time={seconds}",
                   f"-artifact_prefix={crashes}/", "-timeout=30", "-rss_limit_mb=4096",
                   "-max_len=65536", "-print_final_stats=1"], one_input)
    atheris.Fuzz()


# -- parent ----------------------------------------------------------------------------------
def _run_atheris(target: str, seconds: int, work: Path) -> dict[str, object]:
    log = work / f"{target}.log"
    work.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    with open(log, "w") as out:
        code = subprocess.call([sys.executable, __file__, "--child", target, "--seconds",
                                str(seconds), "--work", str(work)], stdout=out,
                               stderr=subprocess.STDOUT, cwd=ROOT)
    text = log.read_text(errors="replace")
    runs = re.findall(r"stat::number_of_executed_units:\s*(\d+)", text)
    crashes = sorted(str(p) for p in (work / target / "crashes").glob("*"))
    return {"target": target, "engine": "atheris", "seconds": round(time.monotonic() - start),
            "executions": int(runs[-1]) if runs else None, "exit": code,
            "crashes": crashes, "log": str(log)}


def _run_hypothesis(targets: list[str], seconds: int) -> list[dict[str, object]]:
    files = {"pdata": "test_fuzz_decoders.py::test_protobuf_requests",
             "otlpjson": "test_fuzz_decoders.py", "config": "test_fuzz_config.py",
             "http": "test_fuzz_receivers.py", "grpc": "test_fuzz_receivers.py::test_grpc"}
    out = []
    for target in targets:
        start, scale, rounds, failed = time.monotonic(), 10, 0, False
        while time.monotonic() - start < seconds / len(targets) and not failed:
            env = {**os.environ, "OTELPY_FUZZ_SCALE": str(scale)}
            code = subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                    f"tests/fuzz/{files[target]}"], cwd=ROOT, env=env)
            rounds, failed = rounds + 1, code != 0
        out.append({"target": target, "engine": "hypothesis", "rounds": rounds,
                    "seconds": round(time.monotonic() - start), "failed": failed})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=300, help="total time, all targets")
    parser.add_argument("--targets", default=",".join(TARGETS))
    parser.add_argument("--work", type=Path, default=ROOT / ".fuzz-work")
    parser.add_argument("--engine", choices=("auto", "atheris", "hypothesis"), default="auto")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child, args.seconds, args.work)
        return 0
    targets = [t for t in args.targets.split(",") if t]
    unknown = set(targets) - set(TARGETS)
    if unknown:
        parser.error(f"unknown targets {sorted(unknown)}; choose from {TARGETS}")
    engine = args.engine
    if engine == "auto":
        engine = "atheris" if importlib.util.find_spec("atheris") else "hypothesis"
    if engine == "hypothesis":
        results = _run_hypothesis(targets, args.seconds)
    else:
        share = max(10, args.seconds // len(targets))
        results = [_run_atheris(t, share, args.work) for t in targets]
    for result in results:
        print(json.dumps(result))
    return 1 if any(r.get("crashes") or r.get("failed") for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())

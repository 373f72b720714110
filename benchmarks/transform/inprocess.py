"""Instructions per span of the transform benchmark's statements and conditions, in process:
the benchmark's 512-span request from its bytes to the bytes sent on, through the transform
then the filter step, counted by callgrind (exact from run to run, unlike CPU time on a
shared machine).

    python benchmarks/transform/inprocess.py                    # native and general paths
    python benchmarks/transform/inprocess.py --path native -n 50

Each path runs twice under ``valgrind --tool=callgrind`` (0 and N iterations); the
difference divided by N x 512 is the cost per span. ``native``: ``otelpy.ottl.native.run``
on the bytes, as the processors do; ``general``: decode, ``StatementGroup.execute``,
``ConditionSet.drop``, encode.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
CONFIG = HERE / "otelpy-transform.yaml"
SPANS = 512


def config() -> tuple[list[str], list[str]]:
    """The statements and the span conditions of the benchmark's config."""
    processors = yaml.safe_load(CONFIG.read_text())["processors"]
    return processors["transform"]["trace_statements"], processors["filter"]["traces"]["span"]


def work(path: str) -> Any:
    """One iteration of ``path`` over the benchmark request (built before the count)."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    from otelpy.component import Signal
    from otelpy.ottl import ConditionSet, ErrorMode, StatementGroup, native
    from otelpy.pdata import items
    from otelpy.testing.samples import traces_request

    statements, conditions = config()
    data = traces_request(SPANS).SerializeToString()
    if path == "native":
        ops, drops = native.span_ops([("span", statements, [])]), native.drop_ops(
            "span", conditions)
        assert ops is not None and drops is not None

        def run_native() -> None:
            edited = native.run(data, ops)
            assert edited is not None
            assert native.run(edited[0], drops) is not None
        return run_native
    group = StatementGroup.compile(statements, Signal.TRACES)
    filters = ConditionSet.compile(conditions, Signal.TRACES, "span")

    def run_general() -> None:
        req = ExportTraceServiceRequest.FromString(data)
        group.execute(req, ErrorMode.IGNORE, lambda text, exc: None)
        filters.drop(req, items.retain_spans, ErrorMode.IGNORE, lambda text, exc: None)
        req.SerializeToString()
    return run_general


def instructions(path: str, iterations: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/cg.out",
             sys.executable, __file__, "--inner", path, str(iterations)],
            capture_output=True, text=True, check=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    found = re.search(r"Collected : (\d+)", out.stderr)
    if found is None:
        raise SystemExit(f"no instruction count from callgrind:\n{out.stderr[-2000:]}")
    return int(found.group(1))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--path", choices=["native", "general", "both"], default="both")
    p.add_argument("-n", "--iterations", type=int, default=0,
                   help="iterations counted (default 100 native, 10 general)")
    p.add_argument("--inner", nargs=2, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.inner:
        run = work(args.inner[0])
        run()  # warm: first-use costs (regex compile, imports) are not per span
        for _ in range(int(args.inner[1])):
            run()
        return 0
    for path in ["native", "general"] if args.path == "both" else [args.path]:
        n = args.iterations or (100 if path == "native" else 10)
        per_span = (instructions(path, n) - instructions(path, 0)) / (n * SPANS)
        print(f"{path}: {per_span / 1000:.2f}k instructions per span "
              f"(transform + filter, {n} x {SPANS} spans)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

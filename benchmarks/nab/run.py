"""Stream a NAB-layout folder through otelpy's anomaly engine and score it with NAB's rules.

    python benchmarks/nab/run.py --data DIR --out DIR [--method surprise] [--detector otelpy]

Every ``DIR/data/<category>/<name>.csv`` (columns timestamp,value) goes through the same
engine call the ``anomaly`` processor makes (``otelpy.anomaly.create_detector(method)`` then
``detector.score(value, t)``), one point at a time, one fresh detector per file, the same
defaults for every file. Writes ``<out>/<category>/<detector>_<name>.csv`` (timestamp, value,
anomaly_score, label; label 1 inside a window of ``DIR/labels/combined_windows.json``), then
prints the three NAB profiles (benchmarks/nab/score.py), the throughput in points per
CPU-second of scoring, and the serialised state size per series.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
_VENV_PY = HERE.parents[1] / ".venv" / "bin" / "python"

if _VENV_PY.exists() and Path(sys.prefix).resolve() != _VENV_PY.parents[1].resolve():
    os.execv(str(_VENV_PY), [str(_VENV_PY), *sys.argv])  # the project's venv, always
sys.path.insert(0, str(HERE))

import score  # noqa: E402

from otelpy.anomaly import create_detector, dump_detector  # noqa: E402


def read_series(path: Path) -> tuple[list[str], list[float]]:
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    return [r["timestamp"] for r in rows], [float(r["value"]) for r in rows]


def epoch(stamp: str) -> float:
    parsed = datetime.datetime.fromisoformat(stamp).replace(tzinfo=datetime.UTC)
    return parsed.timestamp()


def labels_for(stamps: list[str], limits: list[list[str]]) -> list[int]:
    out = [0] * len(stamps)
    for start, end in score.window_indices(stamps, limits):
        for i in range(start, end + 1):
            out[i] = 1
    return out


def run_file(path: Path, method: str) -> tuple[list[str], list[float], list[float], float, int]:
    """Scores of one file, the CPU seconds spent scoring, the final state size in bytes."""
    stamps, values = read_series(path)
    times = [epoch(s) for s in stamps]
    detector = create_detector(method)
    begin = time.process_time()
    scores = [detector.score(v, t) for v, t in zip(values, times, strict=True)]
    cpu = time.process_time() - begin
    return stamps, values, scores, cpu, len(dump_detector(detector))


def write_result(out: Path, stamps: list[str], values: list[float], scores: list[float],
                 labels: list[int]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["timestamp", "value", "anomaly_score", "label"])
        for row in zip(stamps, values, scores, labels, strict=True):
            writer.writerow([row[0], repr(row[1]), f"{row[2]:.9f}", row[3]])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--method", default="shape")
    parser.add_argument("--detector", default="otelpy")
    args = parser.parse_args(argv)
    windows_path = args.data / "labels" / "combined_windows.json"
    windows = json.loads(windows_path.read_text()) if windows_path.exists() else {}
    points, cpu, sizes = 0, 0.0, []
    for path in sorted((args.data / "data").glob("*/*.csv")):
        relative = f"{path.parent.name}/{path.name}"
        stamps, values, scores, spent, size = run_file(path, args.method)
        labels = labels_for(stamps, windows.get(relative, []))
        out = args.out / path.parent.name / f"{args.detector}_{path.name}"
        write_result(out, stamps, values, scores, labels)
        points, cpu = points + len(values), cpu + spent
        sizes.append(size)
    print(f"method {args.method}: {points} points, {cpu:.2f} CPU-s, "
          f"{points / max(cpu, 1e-9):,.0f} points per CPU-second; "
          f"state per series {min(sizes)}..{max(sizes)} bytes")
    if windows:
        scores = score.score_corpus(args.out, args.data, args.detector)
        for name, (value, threshold) in scores.items():
            print(f"{name:20s} {value:6.1f}  (threshold {threshold:.6g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Two-fold cross-validation of a method's parameters on a NAB-layout folder, by category.

    python benchmarks/nab/crossval.py --data DIR [--method shape]

The categories are split in two folds (artificialNoAnomaly + realAWSCloudwatch, and the
rest). For each fold: every parameter set of a small grid around the defaults is scored on
the *other* fold (standard profile, threshold optimised there), the best one is kept, and it is
then scored on this fold with the threshold learned on the other fold too, and with the
threshold optimised on this fold (NAB's own rule: parameters held out, threshold not).
Prints the held-out scores next to the defaults' scores.
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

import run  # same directory; run.py puts it on sys.path and re-executes in the venv
import score

from otelpy.anomaly import create_detector

FOLD_A = ("artificialNoAnomaly", "realAWSCloudwatch")
GRID = {"shape": {"memory": (100, 200, 400), "rest": (40, 75, 150), "coarse_block": (0, 24),
                  "growth": (0.0, 0.4)}}


def fold_rows(data: Path, files: list[str], params: dict[str, int], method: str,
              labels: dict[str, list[list[str]]]) -> tuple[list[score.Row], int]:
    rows: list[score.Row] = []
    count = 0
    for relative in files:
        stamps, values = run.read_series(data / "data" / relative)
        detector = create_detector(method, **params)
        scores = [detector.score(v, run.epoch(s)) for v, s in zip(values, stamps, strict=True)]
        windows = score.window_indices(stamps, labels[relative])
        rows.extend(score.file_rows(scores, windows, count))
        count += len(windows)
    return rows, count


def main() -> int:
    args = dict(zip(sys.argv[1::2], sys.argv[2::2], strict=False))
    data, method = Path(args["--data"]), args.get("--method", "shape")
    labels = json.loads((data / "labels" / "combined_windows.json").read_text())
    folds = {"A": [f for f in sorted(labels) if f.split("/")[0] in FOLD_A]}
    folds["B"] = [f for f in sorted(labels) if f not in folds["A"]]
    weights = score.PROFILES["standard"]
    grid = GRID[method]
    sets = [dict(zip(grid, combo, strict=True)) for combo in itertools.product(*grid.values())]
    for test, train in (("A", "B"), ("B", "A")):
        tuned = []
        for params in sets:
            rows, windows = fold_rows(data, folds[train], params, method, labels)
            raw, threshold = score.best_threshold(rows, windows, weights)
            tuned.append((score.normalise(raw, windows, weights), threshold, params))
        best, threshold, params = max(tuned, key=lambda t: t[0])
        rows, windows = fold_rows(data, folds[test], params, method, labels)
        held = score.normalise(score.raw_at(rows, windows, weights, threshold), windows, weights)
        own_raw, _ = score.best_threshold(rows, windows, weights)
        own = score.normalise(own_raw, windows, weights)
        rows, windows = fold_rows(data, folds[test], {}, method, labels)
        raw, _ = score.best_threshold(rows, windows, weights)
        default = score.normalise(raw, windows, weights)
        print(f"fold {test}: tuned on {train} -> {params} ({best:.1f} there, threshold "
              f"{threshold:.4f}); held-out score {held:.1f} "
              f"(threshold optimised on {test} as NAB does: {own:.1f}); "
              f"defaults on {test}: {default:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""NAB scoring, written from the Numenta Anomaly Benchmark's published rules (stdlib only).

    python benchmarks/nab/score.py RESULTS_DIR --data DATA_DIR [--detector NAME]

RESULTS_DIR holds ``<category>/<detector>_<name>.csv`` files with ``timestamp`` and
``anomaly_score`` columns; DATA_DIR is a NAB-layout folder (``labels/combined_windows.json``
selects the files scored, ``config/profiles.json`` gives the cost matrices when present).

The rules, per file of n rows:

- the first ``min(floor(0.15 n), 750)`` rows are probationary and never count;
- a row is a detection when its score is >= the threshold;
- in a window [s, e] (w = e - s + 1 rows) only the earliest detection counts, worth
  ``tp * sigma(-(e - i + 1) / w) / sigma(-1)`` with ``sigma(x) = 2 / (1 + exp(5 x)) - 1``
  (1.0 at the window's first row, ~0 at its last); an undetected window costs ``-fn``;
- a detection outside every window costs ``fp``: ``-fp`` before the first window, and
  ``fp * sigma((i - e) / (w - 1))`` after a window ending at e (nearly free just after the
  window, ``-fp`` from three window widths on);
- one threshold for the whole corpus, the one that maximises the summed score;
- the result is normalised: 0 for the null detector (no detection: ``-fn`` per window),
  100 for the perfect one (every window caught on its first row: ``tp`` per window).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path

PROBATION_FRACTION = 0.15
PROBATION_MAX_ROWS = 750  # 15% of 5000, as NAB caps it

PROFILES: dict[str, dict[str, float]] = {
    "standard": {"tp": 1.0, "fp": 0.11, "fn": 1.0},
    "reward_low_FP_rate": {"tp": 1.0, "fp": 0.22, "fn": 1.0},
    "reward_low_FN_rate": {"tp": 1.0, "fp": 0.11, "fn": 2.0},
}


def scaled_sigmoid(position: float) -> float:
    """NAB's reward curve: ~+1 at position -1 (window start), 0 at 0, ~-1 at +1, -1 from 3 on."""
    if position >= 3.0:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * position)) - 1.0


def probation_length(rows: int) -> int:
    return min(math.floor(PROBATION_FRACTION * rows), PROBATION_MAX_ROWS)


@dataclass(frozen=True)
class Row:
    """One scorable row: its anomaly score and what a detection there is worth (unweighted)."""

    score: float
    window: int  # corpus-wide window id, or -1 outside every window
    reward: float  # in a window: the true-positive reward (tp weight 1)
    penalty: float  # outside: the false-positive factor, in [-1, 0] (fp weight 1)


def file_rows(scores: list[float], windows: list[tuple[int, int]], first_id: int) -> list[Row]:
    """The scorable rows of one file; ``windows`` are (start, end) row indices, sorted."""
    top = scaled_sigmoid(-1.0)
    skip = probation_length(len(scores))
    rows: list[Row] = []
    current = 0  # index of the next window not yet finished
    for i, score in enumerate(scores):
        while current < len(windows) and windows[current][1] < i:
            current += 1
        inside = current < len(windows) and windows[current][0] <= i
        if i < skip:
            continue
        if inside:
            start, end = windows[current]
            width = end - start + 1
            reward = scaled_sigmoid(-(end - i + 1) / width) / top
            rows.append(Row(score, first_id + current, reward, 0.0))
        elif current == 0:
            rows.append(Row(score, -1, 0.0, -1.0))
        else:
            start, end = windows[current - 1]
            position = abs(i - end) / max(end - start, 1)
            rows.append(Row(score, -1, 0.0, scaled_sigmoid(position)))
    return rows


def best_threshold(rows: list[Row], windows: int, weights: dict[str, float]) -> tuple[float, float]:
    """Sweep every distinct score as threshold; returns (best raw score, its threshold)."""
    tp, fp, fn = weights["tp"], weights["fp"], weights["fn"]
    best_reward: dict[int, float] = {}
    fp_total = 0.0
    tp_total = 0.0
    best = (-fn * windows, math.inf)  # threshold above every score: nothing detected
    ordered = sorted(rows, key=lambda r: r.score, reverse=True)
    for k, row in enumerate(ordered):
        if row.window < 0:
            fp_total += fp * row.penalty
        else:
            old = best_reward.get(row.window)
            if old is None or row.reward > old:
                tp_total += tp * row.reward - (tp * old if old is not None else 0.0)
                best_reward[row.window] = row.reward
        if k + 1 < len(ordered) and ordered[k + 1].score == row.score:
            continue  # a threshold admits every row with an equal score
        total = tp_total + fp_total - fn * (windows - len(best_reward))
        if total > best[0]:
            best = (total, row.score)
    return best


def raw_at(rows: list[Row], windows: int, weights: dict[str, float], threshold: float) -> float:
    """The raw score of detecting every row scoring >= ``threshold`` (a fixed threshold)."""
    caught: dict[int, float] = {}
    fp_total = 0.0
    for row in rows:
        if row.score < threshold:
            continue
        if row.window < 0:
            fp_total += weights["fp"] * row.penalty
        else:
            caught[row.window] = max(caught.get(row.window, -1.0), row.reward)
    missed = windows - len(caught)
    return weights["tp"] * sum(caught.values()) + fp_total - weights["fn"] * missed


def normalise(raw: float, windows: int, weights: dict[str, float]) -> float:
    null = -weights["fn"] * windows
    perfect = weights["tp"] * windows
    return 100.0 * (raw - null) / (perfect - null)


def window_indices(timestamps: list[str], limits: list[list[str]]) -> list[tuple[int, int]]:
    """Row indices of each window; limits are NAB timestamps (with a fractional second)."""
    index = {t: i for i, t in enumerate(timestamps)}
    out = []
    for start, end in limits:
        out.append((index[start.split(".")[0]], index[end.split(".")[0]]))
    return sorted(out)


def read_results(path: Path) -> tuple[list[str], list[float]]:
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        stamps, scores = [], []
        for rec in reader:
            stamps.append(rec["timestamp"].split(".")[0])
            scores.append(float(rec["anomaly_score"]))
    return stamps, scores


def load_profiles(data: Path) -> dict[str, dict[str, float]]:
    path = data / "config" / "profiles.json"
    if not path.exists():
        return PROFILES
    raw = json.loads(path.read_text())
    return {
        name: {k: body["CostMatrix"][f"{k}Weight"] for k in ("tp", "fp", "fn")}
        for name, body in raw.items()
    }


def corpus_rows(results: Path, data: Path, detector: str) -> tuple[list[Row], int]:
    labels = json.loads((data / "labels" / "combined_windows.json").read_text())
    rows: list[Row] = []
    count = 0
    for relative, limits in sorted(labels.items()):
        category, name = relative.split("/")
        path = results / category / f"{detector}_{name}"
        if not path.exists():
            raise FileNotFoundError(f"no result file for {relative}: {path}")
        stamps, scores = read_results(path)
        windows = window_indices(stamps, limits)
        rows.extend(file_rows(scores, windows, count))
        count += len(windows)
    return rows, count


def score_corpus(results: Path, data: Path, detector: str) -> dict[str, tuple[float, float]]:
    """Profile -> (normalised score, optimised threshold)."""
    rows, windows = corpus_rows(results, data, detector)
    out = {}
    for name, weights in load_profiles(data).items():
        raw, threshold = best_threshold(rows, windows, weights)
        out[name] = (normalise(raw, windows, weights), threshold)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("results", type=Path)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--detector", default="otelpy")
    args = parser.parse_args(argv)
    for name, (score, threshold) in score_corpus(args.results, args.data, args.detector).items():
        print(f"{name:20s} {score:6.1f}  (threshold {threshold:.6g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

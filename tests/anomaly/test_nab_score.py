"""benchmarks/nab/score.py against small cases computed by hand from NAB's rules."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "nab" / "score.py"
_spec = importlib.util.spec_from_file_location("nab_score", _PATH)
assert _spec is not None and _spec.loader is not None
score = importlib.util.module_from_spec(_spec)
sys.modules["nab_score"] = score
_spec.loader.exec_module(score)

STANDARD = {"tp": 1.0, "fp": 0.11, "fn": 1.0}


def sig(x: float) -> float:
    return 2.0 / (1.0 + math.exp(5.0 * x)) - 1.0


def test_scaled_sigmoid_landmarks() -> None:
    assert score.scaled_sigmoid(-1.0) == pytest.approx(0.98661, abs=1e-5)
    assert score.scaled_sigmoid(-0.5) == pytest.approx(0.84828, abs=1e-5)
    assert score.scaled_sigmoid(0.0) == 0.0
    assert score.scaled_sigmoid(3.0) == -1.0


def test_probation() -> None:
    assert score.probation_length(100) == 15
    assert score.probation_length(4032) == 604
    assert score.probation_length(22695) == 750


def test_one_window_detected_at_its_first_row_scores_100() -> None:
    # 100 rows, probation 15, window rows 50..59: a detection on row 50 is the perfect score.
    scores = [0.0] * 100
    scores[50] = 1.0
    rows = score.file_rows(scores, [(50, 59)], 0)
    raw, threshold = score.best_threshold(rows, 1, STANDARD)
    assert raw == pytest.approx(1.0)
    assert threshold == 1.0
    assert score.normalise(raw, 1, STANDARD) == pytest.approx(100.0)


def test_late_detection_and_false_positives_by_hand() -> None:
    # Window 50..59 (w = 10). Detection at row 55: position -(59 - 55 + 1)/10 = -0.5.
    # FP at row 30 (before the window): -0.11. FP at row 61: position (61-59)/9.
    scores = [0.0] * 100
    scores[55] = scores[30] = scores[61] = 0.9
    scores[10] = 1.0  # in probation: ignored
    rows = score.file_rows(scores, [(50, 59)], 0)
    raw, threshold = score.best_threshold(rows, 1, STANDARD)
    expected = sig(-0.5) / sig(-1.0) - 0.11 + 0.11 * sig(2 / 9)
    # at 0.9 this beats detecting nothing (-1)
    assert threshold == 0.9
    assert raw == pytest.approx(expected)
    assert score.normalise(raw, 1, STANDARD) == pytest.approx(100 * (expected + 1) / 2)


def test_threshold_that_loses_to_nothing_is_not_chosen() -> None:
    # Only false positives far from any window: nothing detected is best (the null score).
    scores = [0.0] * 100
    for i in range(20, 40):
        scores[i] = 0.5
    rows = score.file_rows(scores, [(80, 89)], 0)
    raw, threshold = score.best_threshold(rows, 1, STANDARD)
    assert raw == -1.0 and threshold == math.inf
    assert score.normalise(raw, 1, STANDARD) == 0.0


def test_far_false_positive_after_window_costs_full_weight_and_ties_share_threshold() -> None:
    # Window 20..29 (w = 10); row 60 is (60-29)/9 > 3 widths away: -fp. Rows 20 and 60 tie
    # at 0.7, so a threshold admits both or neither. Low-FN profile: fn weight 2.
    scores = [0.0] * 100
    scores[20] = scores[60] = 0.7
    rows = score.file_rows(scores, [(20, 29)], 0)
    low_fn = {"tp": 1.0, "fp": 0.11, "fn": 2.0}
    raw, threshold = score.best_threshold(rows, 1, low_fn)
    assert threshold == 0.7
    assert raw == pytest.approx(1.0 - 0.11)
    assert score.normalise(raw, 1, low_fn) == pytest.approx(100 * (0.89 + 2) / 3)


def test_two_files_one_corpus_threshold() -> None:
    # File A: its window caught at 0.8 (row 50 = start). File B: an FP at 0.9 before its window
    # and its window caught at 0.6. Thresholds: 0.9 -> -0.11 - 2; 0.8 -> 1 - 0.11 - 1;
    # 0.6 -> 1 - 0.11 + 1 = 1.89 (best).
    a = [0.0] * 100
    a[50] = 0.8
    b = [0.0] * 100
    b[20], b[70] = 0.9, 0.6
    rows = score.file_rows(a, [(50, 59)], 0) + score.file_rows(b, [(70, 79)], 1)
    raw, threshold = score.best_threshold(rows, 2, STANDARD)
    assert threshold == 0.6
    assert raw == pytest.approx(1.89)

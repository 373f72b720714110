"""Each method on synthetic series with a known spike, level shift and daily seasonality.

The series are deterministic (sines and a fixed pseudo-noise), so every number is reproducible."""

from __future__ import annotations

import math

import pytest

from otelpy.anomaly import create_detector, dump_detector, load_detector

STEP = 300.0  # five minutes
DAY = 288  # points per day


def noise(i: int) -> float:
    """A fixed, bounded pseudo-noise in [-1, 1] (no random generator)."""
    return math.sin(i * 12.9898) * 0.5 + math.sin(i * 78.233) * 0.5


def daily(i: int) -> float:
    return 100.0 + 30.0 * math.sin(2 * math.pi * i / DAY) + 2.0 * noise(i)


def run(method: str, values: list[float], **params: object) -> list[float]:
    detector = create_detector(method, **params)
    return [detector.score(v, 1.6e9 + i * STEP) for i, v in enumerate(values)]


@pytest.mark.parametrize("method", ["surprise", "robust"])
def test_spike_is_the_top_score(method: str) -> None:
    values = [daily(i) for i in range(6 * DAY)]
    values[5 * DAY] += 200.0
    scores = run(method, values)
    assert max(range(len(scores)), key=scores.__getitem__) == 5 * DAY
    assert scores[5 * DAY] > 0.75
    later = scores[5 * DAY + 5:]
    assert max(later) < scores[5 * DAY] - 0.2


def test_surprise_level_shift_flagged_once_near_its_start() -> None:
    values = [50.0 + noise(i) for i in range(3000)]
    values[2000:] = [v + 15.0 for v in values[2000:]]
    scores = run("surprise", values)
    before = max(scores[500:2000])
    assert before < 0.6
    peak = max(range(2000, 3000), key=scores.__getitem__)
    assert 2000 <= peak < 2010 and scores[peak] > 0.8
    assert max(scores[2400:]) < 0.6  # the new level is learned


def test_surprise_quiet_on_clean_seasonality() -> None:
    scores = run("surprise", [daily(i) for i in range(8 * DAY)])
    assert max(scores[2 * DAY:]) < 0.6


def test_surprise_missing_daily_peak() -> None:
    values = [daily(i) for i in range(10 * DAY)]
    peak = 9 * DAY + DAY // 4
    for i in range(peak - 20, peak + 20):
        values[i] = 100.0 + 2.0 * noise(i)  # the day's peak does not happen
    scores = run("surprise", values)
    assert max(scores[peak - 20:peak + 20]) > max(scores[3 * DAY:9 * DAY])


def test_robust_daily_season_knows_the_hour() -> None:
    # A value normal at the daily peak is anomalous at the daily trough.
    values = [daily(i) for i in range(10 * DAY)]
    trough = 9 * DAY + 3 * DAY // 4
    values[trough] = 130.0
    plain = run("robust", values)
    seasonal = run("robust", values, season="daily")
    assert seasonal[trough] > 0.9
    assert seasonal[trough] > plain[trough]
    assert max(seasonal[5 * DAY:trough]) < seasonal[trough]


def test_drift_rises_after_distribution_change() -> None:
    values = [noise(i) for i in range(2000)] + [0.8 + noise(i) * 0.5 for i in range(2000, 2400)]
    detector = create_detector("drift")
    scores = [detector.score(v) for v in values]
    assert max(scores[700:2000]) < 0.2
    assert scores[2100] > 0.7
    assert detector.psi > 0.25  # type: ignore[attr-defined]


@pytest.mark.parametrize("method", ["surprise", "robust", "drift"])
def test_state_roundtrip_continues_identically(method: str) -> None:
    values = [daily(i) for i in range(4 * DAY)]
    values[3 * DAY + 10] += 80.0
    detector = create_detector(method)
    for i, v in enumerate(values[:3 * DAY]):
        detector.score(v, 1.6e9 + i * STEP)
    restored = load_detector(dump_detector(detector))
    for i, v in enumerate(values[3 * DAY:], start=3 * DAY):
        t = 1.6e9 + i * STEP
        assert restored.score(v, t) == detector.score(v, t)


def test_bad_input() -> None:
    detector = create_detector("surprise")
    assert detector.score(float("nan")) == 0.0
    with pytest.raises(ValueError, match="unknown anomaly method"):
        create_detector("nope")
    with pytest.raises(ValueError, match="bad parameters"):
        create_detector("robust", windw=3)
    with pytest.raises(ValueError, match="not an anomaly detector state"):
        load_detector(b"{}")

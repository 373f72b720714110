"""The shape (default) and iforest methods on synthetic series with a known spike, level shift
and daily seasonality; state round trips. Deterministic series, so every number reproduces."""

from __future__ import annotations

import json
import math

import pytest

from otelpy.anomaly import create_detector, dump_detector, load_detector
from otelpy.anomaly.iforest import Fitter, IForestDetector, IForestParams
from otelpy.anomaly.shape import ShapeDetector

STEP = 300.0
DAY = 288


def noise(i: int) -> float:
    return math.sin(i * 12.9898) * 0.5 + math.sin(i * 78.233) * 0.5


def daily(i: int) -> float:
    return 100.0 + 30.0 * math.sin(2 * math.pi * i / DAY) + 2.0 * noise(i)


def run(method: str, values: list[float]) -> list[float]:
    detector = create_detector(method)
    return [detector.score(v, 1.6e9 + i * STEP) for i, v in enumerate(values)]


def test_shape_spike_on_daily_series_is_the_top_score_within_its_block() -> None:
    values = [daily(i) for i in range(6 * DAY)]
    values[5 * DAY] += 200.0
    scores = run("shape", values)
    top = max(range(len(scores)), key=scores.__getitem__)
    assert 5 * DAY <= top < 5 * DAY + 3 and scores[top] > 0.75
    assert max(scores[2 * DAY:5 * DAY]) < 0.6  # clean seasonality: no record
    assert max(scores[top + 1:]) == 0.0 or max(scores[top + 1:]) < scores[top] - 0.2


def test_shape_level_shift_flagged_near_its_start_then_learned() -> None:
    values = [50.0 + noise(i) for i in range(3000)]
    values[2000:] = [v + 15.0 for v in values[2000:]]
    scores = run("shape", values)
    assert max(scores[500:2000]) < 0.6
    peak = max(range(2000, 3000), key=scores.__getitem__)
    assert 2000 <= peak < 2010 and scores[peak] > 0.8
    assert max(scores[2300:]) < 0.5  # the new level is a shape seen before


def test_shape_rests_after_a_detection() -> None:
    values = [50.0 + noise(i) for i in range(1500)]
    values[1000] += 40.0
    values[1030] += 80.0  # a bigger spike inside the rest period: still quiet
    scores = run("shape", values)
    first = next(i for i, s in enumerate(scores) if s >= 0.5 and i > 300)
    assert 1000 <= first < 1003
    assert max(scores[first + 1:first + 76]) == 0.0


def test_shape_spatial_anomaly_scores_a_new_extreme_on_the_point_itself() -> None:
    """HTM's spatial anomaly: beyond the range seen by more than 5% of it scores 0.9 at once
    (not at the end of its block); inside the tolerance it is left to the shape record."""
    from otelpy.anomaly.shape import ShapeDetector, ShapeParams

    values = [50.0 + noise(i) for i in range(1000)]  # range ~[49, 51]
    values[700] = 51.0 + 0.2  # 10% above the top: spatial
    values[900] = 51.0 + 0.05  # only 2.5% above: not spatial
    detector, plain = ShapeDetector(), ShapeDetector(ShapeParams(spatial_tolerance=0.0))
    on = [detector.score(v) for v in values]
    off = [plain.score(v) for v in values]
    assert on[700] == 0.9 and off[700] < 0.5
    assert on[900] < 0.9
    assert max(on[:700]) < 0.9  # nothing before the first new extreme
    restored = load_detector(dump_detector(detector))
    assert restored.points == 1000  # type: ignore[attr-defined]


def test_shape_snapshot_from_before_the_coarse_scale_loads_and_relearns_only_that_scale() -> None:
    """A state saved before ``coarse_block`` existed (no coarse keys) restores the fine scale
    as saved; the coarse scale starts empty and scores like a fresh one."""
    values = [daily(i) for i in range(3 * DAY)]
    values[2 * DAY + 10] += 80.0
    fine_only = create_detector("shape", coarse_block=0)
    for i, v in enumerate(values[:2 * DAY]):
        fine_only.score(v, 1.6e9 + i * STEP)
    old = json.loads(dump_detector(fine_only))
    del old["state"]["coarse"]
    for key in ("coarse_block", "coarse_memory"):
        del old["state"]["params"][key]
    restored = load_detector(json.dumps(old).encode())
    assert isinstance(restored, ShapeDetector)
    assert restored.params.coarse_block == 24 and restored.coarse is not None
    assert restored.coarse.stored == 0 and restored.stored == fine_only.stored
    scores = [restored.score(v, 1.6e9 + i * STEP) for i, v in enumerate(values[2 * DAY:])]
    assert max(scores) > 0.75 and max(range(len(scores)), key=scores.__getitem__) in range(10, 13)


@pytest.mark.parametrize("method", ["shape", "iforest"])
def test_state_roundtrip_continues_identically(method: str) -> None:
    values = [daily(i) for i in range(3 * DAY)]
    values[2 * DAY + 10] += 80.0
    detector = create_detector(method)
    for i, v in enumerate(values[:2 * DAY]):
        detector.score(v, 1.6e9 + i * STEP)
        if isinstance(detector, IForestDetector):
            detector.wait(60)
    restored = load_detector(dump_detector(detector))
    for det in (detector, restored):
        if isinstance(det, IForestDetector):
            det.wait(60)
            det.model = None
            det.future = det.fitter.submit(list(det.rows), det.params.trees, det.params.seed)
            det.since_fit = 0
            det.wait(60)
    for i, v in enumerate(values[2 * DAY:], start=2 * DAY):
        t = 1.6e9 + i * STEP
        assert restored.score(v, t) == detector.score(v, t)
        for det in (detector, restored):
            if isinstance(det, IForestDetector):
                det.wait(60)


def test_iforest_spike_scores_highest_once_fitted_off_thread() -> None:
    detector = create_detector("iforest")
    assert isinstance(detector, IForestDetector)
    values = [10 + math.sin(i * 0.3) + 0.2 * math.sin(i * 12.9898) for i in range(1200)]
    values[1000] += 8.0
    scores = []
    for v in values:
        scores.append(detector.score(v))
        detector.wait(60)  # make fits deterministic in time (the fit runs in the worker)
    assert scores[:135] == [0.0] * 135  # no model before min_train rows
    assert max(range(300, 1200), key=scores.__getitem__) == 1000
    assert scores[1000] > 0.6


def test_fitter_queue_is_bounded_and_skips_are_counted() -> None:
    fitter = Fitter(max_pending=1)
    rows = [[float(i), 0.0] for i in range(200)]
    first = fitter.submit(rows, 10, 0)
    assert first is not None
    second = fitter.submit(rows, 10, 0)
    if second is None:  # the first fit was still queued or running: refused, counted
        assert fitter.skipped == 1
    first.result(60)
    if second is not None:  # the first had finished: the second took its place
        second.result(60)
    third = fitter.submit(rows, 10, 0)
    assert third is not None and third.result(60) is not None


def test_iforest_bad_params() -> None:
    with pytest.raises(ValueError):
        IForestDetector(IForestParams(window=1))

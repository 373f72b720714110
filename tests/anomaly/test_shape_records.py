"""The ``shape`` record memory: it grows with the series' age (fewer false records in a long
stationary series), a rest's continuation does not raise the bar, the windowed maximum it
reads, and snapshots from before these keys. Deterministic series: every number reproduces."""

from __future__ import annotations

import json
import math

from otelpy.anomaly import dump_detector, load_detector
from otelpy.anomaly.shape import ShapeDetector, ShapeParams
from otelpy.anomaly.windows import MaxWindow


def noise(i: int) -> float:
    return math.sin(i * 12.9898) * 0.5 + math.sin(i * 78.233) * 0.5


def detections(detector: ShapeDetector, values: list[float], after: int) -> int:
    scores = [detector.score(v) for v in values]
    return sum(1 for s in scores[after:] if s >= 0.5)


def test_growing_record_memory_cuts_false_records_in_a_long_noisy_series() -> None:
    values = [50.0 + noise(i) for i in range(20000)]
    grown = detections(ShapeDetector(), values, 1000)
    fixed = detections(ShapeDetector(ShapeParams(growth=0.0)), values, 1000)
    assert fixed >= 20 and grown <= fixed // 2
    late = detections(ShapeDetector(), values, 10000)
    assert late <= 3  # ~ logarithmic: the second half adds almost nothing


def test_rest_keeps_an_incident_from_raising_the_record_bar() -> None:
    values = [50.0 + noise(i) for i in range(1100)]
    for i in range(1000, 1060):  # an incident that keeps growing for 60 points
        values[i] += (i - 999) * 0.3 * (-1) ** i
    rises = {}
    for cap in (True, False):
        detector = ShapeDetector(ShapeParams(rest_cap=cap, coarse_block=0, growth=0.0))
        rises[cap] = 0
        for value in values:
            before, resting = detector.records.max(), detector.quiet > 0
            detector.score(value)
            rises[cap] += resting and detector.records.max() > before
    assert rises == {True: 0, False: 6}


def test_max_last_reads_the_maximum_of_a_suffix() -> None:
    window = MaxWindow(10)
    for value in (5.0, 1.0, 4.0, 2.0, 3.0, 0.5):
        window.push(value)
    assert [window.max_last(n) for n in (1, 2, 3, 4, 5, 6, 10)] == [
        0.5, 3.0, 3.0, 4.0, 4.0, 5.0, 5.0]
    restored = MaxWindow.load(10, window.dump())
    assert restored.max_last(3) == 3.0 and restored.max() == 5.0


def test_snapshot_from_before_growth_and_rest_cap_loads_with_a_grown_window() -> None:
    """A state saved without ``growth``, ``max_memory`` and ``rest_cap`` (their record memory a
    fixed 200 blocks) restores with the current defaults and keeps scoring; a spike after the
    restore is still the top score."""
    values = [50.0 + noise(i) for i in range(3000)]
    values[2500] += 10.0
    old = ShapeDetector(ShapeParams(growth=0.0, rest_cap=False))
    for value in values[:2000]:
        old.score(value)
    state = json.loads(dump_detector(old))
    for scale in (state["state"], state["state"]["coarse"]):
        for key in ("growth", "max_memory", "rest_cap"):
            del scale["params"][key]
    restored = load_detector(json.dumps(state).encode())
    assert isinstance(restored, ShapeDetector) and restored.params.growth == 0.4
    assert restored.records.size == 1000 and restored.records.count == old.records.count
    assert restored.records.max() == old.records.max()
    scores = [restored.score(v) for v in values[2000:]]
    top = max(range(len(scores)), key=scores.__getitem__)
    assert 500 <= top < 503 and scores[top] > 0.75

"""The spike detector on synthetic traffic: a burst, a new pattern, steady traffic."""

from __future__ import annotations

import pytest

from otelpy.logspike import ERROR_SPIKE, NEW_PATTERN, Anomaly, SpikeDetector, SpikeOptions

T0 = 1_767_225_600_000_000_000  # a minute boundary
MIN = 60_000_000_000


def feed(detector: SpikeDetector, per_minute: list[int], pattern: str = "p1",
         start_minute: int = 0) -> list[tuple[int, Anomaly]]:
    """``per_minute[i]`` records of ``pattern`` spread over minute ``start_minute + i``;
    returns (minute, anomaly) for every anomaly."""
    out = []
    for i, n in enumerate(per_minute):
        minute = start_minute + i
        for k in range(n):
            now = T0 + minute * MIN + k * (MIN // max(n, 1))
            a = detector.observe(pattern, f"template {pattern}", "checkout",
                                 f"{minute:016x}{k:016x}", now)
            if a is not None:
                out.append((minute, a))
    return out


def test_steady_traffic_raises_no_alarm() -> None:
    d = SpikeDetector(SpikeOptions())
    # 120 minutes between 4 and 12 errors a minute: a noisy but steady rate
    steady = [4 + (i * 7) % 9 for i in range(120)]
    found = feed(d, steady)
    assert [(m, a.type) for m, a in found] == [(0, NEW_PATTERN)]


def test_burst_is_one_spike_with_counts_baseline_and_traces() -> None:
    d = SpikeDetector(SpikeOptions(max_trace_ids=3))
    found = feed(d, [5] * 20 + [60] + [5] * 5)
    spikes = [(m, a) for m, a in found if a.type == ERROR_SPIKE]
    assert len(spikes) == 1  # once per window, not once per record past the threshold
    minute, a = spikes[0]
    assert minute == 20
    assert a.baseline == pytest.approx(5.0)  # every closed window held 5
    assert a.count == 16  # the first count above 3 x 5 (and >= min_count 10)
    assert (a.window_start_ns, a.window_end_ns) == (T0 + 20 * MIN, T0 + 21 * MIN)
    assert a.trace_ids == (f"{20:016x}{0:016x}", f"{20:016x}{1:016x}", f"{20:016x}{2:016x}")
    assert a.services == ("checkout",) and a.factor == 3.0 and a.template == "template p1"


def test_min_count_holds_back_small_spikes() -> None:
    d = SpikeDetector(SpikeOptions(min_count=10))
    # baseline 1 a minute; 9 in a minute is 9x but under min_count
    found = feed(d, [1] * 10 + [9] + [1] * 3 + [10])
    assert [(m, a.type, a.count) for m, a in found] == [(0, NEW_PATTERN, 1),
                                                          (14, ERROR_SPIKE, 10)]


def test_new_pattern_is_reported_once_with_its_first_trace() -> None:
    d = SpikeDetector(SpikeOptions())
    feed(d, [5] * 10)
    found = feed(d, [3], pattern="p2", start_minute=10)
    assert [(m, a.type) for m, a in found] == [(10, NEW_PATTERN)]
    a = found[0][1]
    assert a.pattern_id == "p2" and a.count == 1 and a.baseline == 0.0
    assert a.trace_ids == (f"{10:016x}{0:016x}",)
    assert a.first_seen_ns == T0 + 10 * MIN


def test_pattern_born_in_a_burst_is_new_not_a_spike() -> None:
    d = SpikeDetector(SpikeOptions(warmup_windows=5))
    found = feed(d, [100, 100, 0, 0, 150])  # history 4 < warmup 5 at minute 4
    assert [a.type for _, a in found] == [NEW_PATTERN]


def test_baseline_is_an_ewma_that_decays_over_empty_windows() -> None:
    opts = SpikeOptions(baseline_windows=3)  # alpha = 0.5
    d = SpikeDetector(opts)
    feed(d, [8, 4, 0, 0, 1])
    # closed windows: 8 (first: sets it), 4 -> 6, two empty -> 3, 1.5; minute 4 still open
    assert d.baseline("p1") == pytest.approx(1.5)
    feed(d, [1], start_minute=5)
    assert d.baseline("p1") == pytest.approx(0.5 * 1 + 0.5 * 1.5)


def test_rare_error_that_bursts_fires_against_a_decayed_baseline() -> None:
    d = SpikeDetector(SpikeOptions())
    found = feed(d, [2] + [0] * 60 + [12])
    assert [(m, a.type) for m, a in found] == [(0, NEW_PATTERN), (61, ERROR_SPIKE)]
    assert found[1][1].baseline < 0.1


def test_patterns_are_bounded_and_eviction_counted() -> None:
    d = SpikeDetector(SpikeOptions(max_patterns=2))
    for p in ("a", "b", "c"):
        assert d.observe(p, p, "", "", T0) is not None
    assert len(d) == 2 and d.evicted == 1
    assert d.baseline("a") is None
    again = d.observe("a", "a", "", "", T0 + 1)  # forgotten: new again
    assert again is not None and again.type == NEW_PATTERN
    assert d.evicted == 2


def test_new_patterns_can_be_turned_off() -> None:
    d = SpikeDetector(SpikeOptions(new_patterns=False))
    assert feed(d, [5, 5]) == []


"""``shape`` (the default): novelty of the recent shape of a series, nearest-neighbour style.

The idea is the one behind the strongest NAB detectors (ARTime's adaptive resonance over
windows of down-sampled values, KNN-CAD, contextual hashing): an anomaly is a stretch of the
series unlike every stretch seen before. Per series:

- values are grouped in blocks of ``block`` points; each block is summarised by its extreme
  (the max or the min, whichever is farther from a running mean of block means), so a spike
  survives the down-sampling;
- the last ``window`` block summaries form a vector; its distance to the nearest of the last
  ``history`` vectors (Chebyshev distance, excluding the overlapping recent ones), divided by
  the range of values seen so far, is the novelty (0: done exactly this before);
- novelty is divided by its own maximum over the last ``memory`` blocks: a ratio ``r`` above 1
  is a record; the score is ``r / (1 + r)`` (0.5 = a fresh record);
- that record memory grows with the series' age, to ``growth`` x the blocks seen (up to
  ``max_memory``): in a stationary noisy series a record of a fixed memory of ``m`` blocks
  recurs about once per ``m`` blocks, so false detections would grow linearly with length;
  against a memory proportional to the age they grow only logarithmically (records of a
  sequence of ``n`` exchangeable values number ~ ln n);
- during a rest (below) the novelty of the incident's following blocks enters the record
  memory capped at the bar it was measured against (``rest_cap``; the detection's own novelty
  enters unchanged): an incident's tail does not raise the bar the next incident must beat
  (HTM's anomaly likelihood likewise measures against a long history of ordinary scores);
- a value beyond the range seen so far by more than ``spatial_tolerance`` of that range
  scores ``spatial_score`` at once (the *spatial anomaly* of Numenta's HTM detector, with its
  published 5% tolerance): a new extreme is news even when the shape around it is not;
- a second, coarse scale runs the same way on blocks of ``coarse_block`` points (24: eight
  fine blocks) with its own record memory (``coarse_memory`` blocks) and no spatial check;
  the score is the larger of the two, so a change too slow for 18-point vectors (a day whose
  shape drifts) still makes a record on 144-point ones;
- after a score of at least 0.5 the next ``rest`` points score 0, so one incident is one
  detection (ContextOSE and ARTime mask the same way), unless a score exceeds the one that
  started the rest by ``override`` (ARTime lets a much stronger anomaly through its mask).

Scores are computed when a block completes (every ``block`` points); points inside a block
score 0. numpy is imported when the first detector is created.
"""

from __future__ import annotations

import base64
import math
from collections import deque
from dataclasses import asdict, dataclass, replace
from typing import Any

from otelpy.anomaly.windows import MaxWindow, SortedWindow


@dataclass(frozen=True)
class ShapeParams:
    """One set of defaults for every series (see benchmarks/README.md, NAB)."""

    block: int = 3
    window: int = 6
    history: int = 1000
    memory: int = 200
    warmup: int = 60
    rest: int = 75
    override: float = 0.15  # a score this much above the last detection ends a rest
    recent: int = 200  # block summaries kept for expected_range()
    spatial_tolerance: float = 0.05  # 0: no spatial anomalies
    spatial_score: float = 0.9
    coarse_block: int = 24  # a second, coarser scale (0: off); the score is the larger one
    coarse_memory: int = 100  # record memory of the coarse scale, in its blocks
    growth: float = 0.4  # the record memory grows to this share of the blocks seen (0: fixed)
    max_memory: int = 1000  # ... up to this many blocks (per scale)
    rest_cap: bool = True  # during a rest, novelty enters the record memory capped at the bar


class ShapeDetector:
    """Memory: ``history`` x ``window`` float32 (24 KB by default) plus ``recent`` floats and
    the record memory's running-maximum queue (at most ``max_memory`` pairs, a few dozen in
    practice), twice with the coarse scale."""

    method = "shape"
    Params = ShapeParams

    def __init__(self, params: ShapeParams | None = None) -> None:
        import numpy as np

        p = self.params = params or ShapeParams()
        if min(p.block, p.window, p.memory, p.history - p.window) < 1:
            raise ValueError("block, window and memory must be >= 1, history > window")
        self._np = np
        # column k is the k-th remembered vector: the distance reduces over the short axis 0
        self.store = np.zeros((p.window, p.history), dtype=np.float32)
        self.stored = 0
        self.block: list[float] = []
        self.summaries: deque[float] = deque(maxlen=p.window)
        self.mean: float | None = None
        self.low = math.inf
        self.high = -math.inf
        self.records = MaxWindow(max(p.memory, p.max_memory) if p.growth else p.memory)
        self.recent = SortedWindow(p.recent)
        self.resting = False  # set by the finest scale for all scales: a rest is in progress
        self.quiet = 0  # points still to score 0 after a detection
        self.last_detection = 0.0
        self.points = 0
        self.coarse: ShapeDetector | None = None
        if p.coarse_block:
            self.coarse = ShapeDetector(replace(
                p, block=p.coarse_block, memory=p.coarse_memory, spatial_tolerance=0.0,
                warmup=max(10, p.warmup * p.block // p.coarse_block), coarse_block=0))

    def score(self, value: float, timestamp: float = 0.0) -> float:
        """Score in [0, 1]; NaN/inf score 0 and are not learned."""
        if not math.isfinite(value):
            return 0.0
        self.resting = self.quiet > 0
        result = self._raw(value)
        if self.coarse is not None:
            self.coarse.resting = self.resting
            result = max(result, self.coarse._raw(value))
        return self._rest(result)

    def _raw(self, value: float) -> float:
        p = self.params
        self.points += 1
        spatial = self._beyond_range(value)
        self.low = min(self.low, value)
        self.high = max(self.high, value)
        self.block.append(value)
        result = 0.0
        if len(self.block) >= p.block:
            result = self._complete_block()
        if spatial:
            result = max(result, p.spatial_score)
        return result

    def _rest(self, result: float) -> float:
        p = self.params
        resting = self.quiet > 0
        if resting:
            self.quiet -= 1
            if result > self.last_detection + p.override:
                resting = False  # far stronger than what started the rest
        if result >= 0.5:  # a record also extends a rest in progress
            self.quiet = p.rest
            if not resting:
                self.last_detection = result
        return 0.0 if resting else result

    def _beyond_range(self, value: float) -> bool:
        p = self.params
        if p.spatial_tolerance <= 0 or self.points <= p.warmup * p.block \
                or self.high <= self.low:
            return False
        margin = p.spatial_tolerance * (self.high - self.low)
        return value > self.high + margin or value < self.low - margin

    def _complete_block(self) -> float:
        block, self.block = self.block, []
        mean = sum(block) / len(block)
        self.mean = mean if self.mean is None else (self.mean + mean) / 2
        top, bottom = max(block), min(block)
        summary = bottom if abs(top - self.mean) < abs(bottom - self.mean) else top
        self.summaries.append(summary)
        self.recent.push(summary)
        if len(self.summaries) < self.params.window:
            return 0.0
        vector = self._np.fromiter(self.summaries, self._np.float32, self.params.window)
        ratio = self._ratio(vector)
        self.store[:, self.stored % self.params.history] = vector
        self.stored += 1
        return ratio / (1.0 + ratio)

    def _ratio(self, vector: Any) -> float:
        p, np = self.params, self._np
        usable = min(self.stored, p.history)
        if usable <= p.window:
            return 0.0
        distances = np.abs(self.store[:, :usable] - vector[:, None]).max(axis=0)
        recent = (self.stored - 1 - np.arange(p.window)) % p.history
        distances[recent] = np.inf  # overlapping windows: trivially near
        novelty = float(distances.min()) / max(self.high - self.low, 1e-9)
        ratio = 0.0
        bar = self._bar()
        if self.records.count >= p.warmup:
            ratio = novelty / (bar + 1e-9)
            if self.resting and p.rest_cap:
                novelty = min(novelty, bar)
        self.records.push(novelty)
        return ratio

    def _bar(self) -> float:
        """The largest novelty over the record memory (``memory`` blocks, growing with age)."""
        p = self.params
        if not p.growth:
            return self.records.max()
        span = max(p.memory, min(p.max_memory, int(p.growth * self.records.count)))
        return self.records.max_last(span)

    def expected_range(self, timestamp: float = 0.0) -> tuple[float, float]:
        """The 1st and 99th percentile of recent block summaries (NaN before any)."""
        if not len(self.recent):
            return math.nan, math.nan
        return self.recent.quantile(0.01), self.recent.quantile(0.99)

    def dump(self) -> dict[str, Any]:
        return {
            "params": asdict(self.params), "stored": self.stored, "block": self.block,
            "store": base64.b64encode(self.store.T.tobytes()).decode(),
            "summaries": list(self.summaries), "mean": self.mean,
            "low": self.low if self.stored or self.block else None,
            "high": self.high if self.stored or self.block else None,
            "records": self.records.dump(), "recent": self.recent.dump(), "quiet": self.quiet,
            "last_detection": self.last_detection, "points": self.points,
            "coarse": self.coarse.dump() if self.coarse is not None else None,
        }

    @classmethod
    def load(cls, state: dict[str, Any]) -> ShapeDetector:
        detector = cls(ShapeParams(**state["params"]))
        p, np = detector.params, detector._np
        raw = np.frombuffer(base64.b64decode(state["store"]), dtype=np.float32)
        detector.store = raw.reshape(p.history, p.window).T.copy()
        detector.stored = int(state["stored"])
        detector.block = [float(v) for v in state["block"]]
        detector.summaries.extend(state["summaries"])
        detector.mean = state["mean"]
        if state["low"] is not None:
            detector.low, detector.high = float(state["low"]), float(state["high"])
        detector.records = MaxWindow.load(detector.records.size, state["records"])
        detector.recent = SortedWindow(p.recent, state["recent"])
        detector.quiet = int(state["quiet"])
        detector.last_detection = float(state["last_detection"])
        detector.points = int(state.get("points", detector.stored * p.block))
        if state.get("coarse") is not None:
            detector.coarse = cls.load(state["coarse"])
        return detector

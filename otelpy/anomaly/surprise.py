"""The default detector (``surprise``): record-breaking surprise over three views of a series.

Per point it measures three things, each scale-free:

- ``level``: distance of the value from the median of the last ``window`` values, in units of
  their inter-quartile range (floored at 2% of their range, so flat series still have a scale);
- ``season``: the mean of the last ``smooth`` values against the same points one day and one
  week earlier (the closer of the two), in the same units; the step is learned from the first
  timestamps, so a series without a daily rhythm simply never scores high here;
- ``context``: how new the last ``context`` values' shape is: each value is binned into
  ``bins`` bins of the window's range and the tuple of the last bins is counted; the share of
  never-seen tuples over the last ``smooth`` points.

Each measure is divided by its own maximum over the last ``memory`` points: a ratio above 1
is a record, something this series has not done for a while. The score is ``r / (1 + r)`` of
the largest ratio: 0.5 is a fresh record, 0.75 three times the previous record.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

from otelpy.anomaly.windows import MaxWindow, SortedWindow

DAY = 86400.0
FEATURES = ("level", "season", "context")


@dataclass(frozen=True)
class SurpriseParams:
    """One set of defaults for every series (chosen on NAB's development split)."""

    window: int = 400
    memory: int = 1000
    smooth: int = 6
    bins: int = 8
    context: int = 3
    warmup: int = 100
    max_season_points: int = 4032  # longest week (in points) kept; longer: day only


class SurpriseDetector:
    """Online scorer of one series. Memory: ``window`` + ``memory`` + up to one week of values."""

    method = "surprise"
    Params = SurpriseParams

    def __init__(self, params: SurpriseParams | None = None) -> None:
        p = self.params = params or SurpriseParams()
        self.window = SortedWindow(p.window)
        self.records = {name: MaxWindow(p.memory) for name in FEATURES}
        self.history: deque[float] = deque()
        self.steps: list[float] = []
        self.last_time: float | None = None
        self.step = 0.0
        self.bins: deque[int] = deque(maxlen=p.context)
        self.seen: dict[tuple[int, ...], int] = {}
        self.novelty: deque[float] = deque(maxlen=p.smooth)
        self.count = 0

    def score(self, value: float, timestamp: float = 0.0) -> float:
        """The score of ``value`` in [0, 1]; then the value is learned. NaN/inf score 0."""
        if value != value or value in (float("inf"), float("-inf")):
            return 0.0
        self._learn_step(timestamp)
        self.history.append(value)
        self._trim_history()
        novelty = self._context(value)
        ratio = 0.0
        if len(self.window) >= 16:
            ratio = self._ratio(value, novelty)
        self.window.push(value)
        self.count += 1
        return ratio / (1.0 + ratio)

    def _ratio(self, value: float, novelty: float) -> float:
        window = self.window
        median = window.quantile(0.5)
        ordered = window.ordered
        spread = window.quantile(0.75) - window.quantile(0.25)
        scale = max(spread, (ordered[-1] - ordered[0]) * 0.02, abs(median) * 1e-3, 1e-9)
        measures = {"level": abs(value - median) / scale, "context": novelty}
        season = self._season()
        if season is not None:
            measures["season"] = season / scale
        ratio = 0.0
        for name, measure in measures.items():
            record = self.records[name]
            if record.count >= self.params.warmup:
                ratio = max(ratio, measure / (record.max() + 1e-9))
            record.push(measure)
        return ratio

    def _learn_step(self, timestamp: float) -> None:
        if self.step or not timestamp:
            return
        if self.last_time is not None:
            self.steps.append(timestamp - self.last_time)
        self.last_time = timestamp
        if len(self.steps) >= 50:
            self.steps.sort()
            self.step = max(self.steps[len(self.steps) // 2], 1.0)
            self.steps = []

    def _lags(self) -> tuple[int, int]:
        if not self.step:
            return 0, 0
        day = round(DAY / self.step)
        week = 7 * day
        return day, week if week <= self.params.max_season_points else 0

    def _trim_history(self) -> None:
        day, week = self._lags()
        keep = (week or day or 0) + self.params.smooth
        while len(self.history) > keep:
            self.history.popleft()

    def _season(self) -> float | None:
        day, week = self._lags()
        history, k = self.history, self.params.smooth
        n = len(history)
        if not day or n <= day + k:
            return None
        current = sum(history[n - 1 - i] for i in range(k)) / k
        residual = abs(current - sum(history[n - 1 - day - i] for i in range(k)) / k)
        if week and n > week + k:
            weekly = abs(current - sum(history[n - 1 - week - i] for i in range(k)) / k)
            residual = min(residual, weekly)
        return residual

    def _context(self, value: float) -> float:
        p = self.params
        ordered = self.window.ordered
        position = 0
        if len(ordered) >= 16 and ordered[-1] > ordered[0]:
            scaled = (value - ordered[0]) / (ordered[-1] - ordered[0]) * p.bins
            position = max(-1, min(p.bins, int(scaled)))
        self.bins.append(position)
        key = tuple(self.bins)
        seen = self.seen.get(key, 0)
        self.seen[key] = seen + 1
        self.novelty.append(1.0 / (1 + seen))
        return sum(self.novelty) / len(self.novelty)

    def expected_range(self, timestamp: float = 0.0) -> tuple[float, float]:
        """The 1st and 99th percentile of the level window (NaN before any)."""
        if not len(self.window):
            return math.nan, math.nan
        return self.window.quantile(0.01), self.window.quantile(0.99)

    def dump(self) -> dict[str, Any]:
        return {
            "params": asdict(self.params), "window": self.window.dump(),
            "records": {k: v.dump() for k, v in self.records.items()},
            "history": list(self.history), "steps": self.steps, "last_time": self.last_time,
            "step": self.step, "bins": list(self.bins), "novelty": list(self.novelty),
            "seen": [[list(k), v] for k, v in self.seen.items()], "count": self.count,
        }

    @classmethod
    def load(cls, state: dict[str, Any]) -> SurpriseDetector:
        detector = cls(SurpriseParams(**state["params"]))
        p = detector.params
        detector.window = SortedWindow(p.window, state["window"])
        detector.records = {k: MaxWindow.load(p.memory, v) for k, v in state["records"].items()}
        detector.history.extend(state["history"])
        detector.steps = state["steps"]
        detector.last_time = state["last_time"]
        detector.step = state["step"]
        detector.bins.extend(state["bins"])
        detector.novelty.extend(state["novelty"])
        detector.seen = {tuple(k): v for k, v in state["seen"]}
        detector.count = state["count"]
        return detector

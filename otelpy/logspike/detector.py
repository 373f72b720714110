"""Per-pattern rate baselines, error spikes and first sightings.

Time is cut into tumbling windows of ``window`` seconds aligned to the epoch. Per pattern the
detector keeps the count of the current window and an exponentially weighted moving average
(EWMA) of the counts of its closed windows, the *baseline*: ``alpha = 2 / (baseline_windows
+ 1)``; the first closed window sets it, every later one moves it by ``alpha`` towards its
count, and each window without a record of the pattern counts as 0 (the baseline is
multiplied by ``(1 - alpha) ** empty_windows`` when the pattern is next seen, so idle
patterns cost nothing).

* **new_pattern**: the first record of a pattern the detector does not hold.
* **error_spike**: once per window, the first record that makes the window's count reach
  ``min_count`` and exceed ``factor * baseline``, for a pattern with at least
  ``warmup_windows`` closed windows of history (a pattern born in a burst reports
  new_pattern, not a spike too).

Bounded: at most ``max_patterns`` patterns (the least recently seen goes, counted in
:attr:`SpikeDetector.evicted`; seen again, it is new again), ``max_trace_ids`` trace IDs and
``max_services`` services per pattern and window. No randomness: the same records at the
same times give the same anomalies.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass

__all__ = ["Anomaly", "ERROR_SPIKE", "NEW_PATTERN", "SpikeDetector", "SpikeOptions"]

ERROR_SPIKE = "error_spike"
NEW_PATTERN = "new_pattern"
_STATE_VERSION = 1


@dataclass(frozen=True)
class SpikeOptions:
    window: float = 60.0
    factor: float = 3.0
    min_count: int = 10
    baseline_windows: int = 30
    warmup_windows: int = 5
    max_patterns: int = 10_000
    max_trace_ids: int = 10
    max_services: int = 10
    new_patterns: bool = True

    @property
    def alpha(self) -> float:
        return 2.0 / (self.baseline_windows + 1)


@dataclass(frozen=True)
class Anomaly:
    """One detection: what, which pattern, in which window, and what was seen there."""

    type: str
    pattern_id: str
    template: str
    window_start_ns: int
    window_end_ns: int
    count: int
    baseline: float
    factor: float
    first_seen_ns: int
    trace_ids: tuple[str, ...]
    services: tuple[str, ...]


class _Pattern:
    __slots__ = ("template", "first_seen_ns", "window", "count", "baseline", "history",
                 "fired", "trace_ids", "services")

    def __init__(self, template: str, now_ns: int, window: int) -> None:
        self.template = template
        self.first_seen_ns = now_ns
        self.window = window
        self.count = 0
        self.baseline = 0.0
        self.history = 0  # closed windows since first seen
        self.fired = False
        self.trace_ids: list[str] = []
        self.services: list[str] = []


class SpikeDetector:
    """Feed it one record at a time with :meth:`observe`."""

    def __init__(self, options: SpikeOptions) -> None:
        self.options = options
        self._step_ns = max(1, round(options.window * 1e9))
        self._patterns: OrderedDict[str, _Pattern] = OrderedDict()
        self.evicted = 0
        self.updates = 0  # records observed: changes whenever the state does

    def __len__(self) -> int:
        return len(self._patterns)

    def baseline(self, pattern_id: str) -> float | None:
        """The pattern's baseline as of its last window (None when not held)."""
        p = self._patterns.get(pattern_id)
        return None if p is None else p.baseline

    def observe(self, pattern_id: str, template: str, service: str, trace_id: str,
                now_ns: int) -> Anomaly | None:
        """Count one record of ``pattern_id`` at ``now_ns``; the anomaly it reveals, if any.
        ``service`` and ``trace_id`` may be empty."""
        o = self.options
        self.updates += 1
        index = now_ns // self._step_ns
        p = self._patterns.get(pattern_id)
        new = p is None
        if p is None:
            p = self._patterns[pattern_id] = _Pattern(template, now_ns, index)
            if len(self._patterns) > o.max_patterns:
                self._patterns.popitem(last=False)
                self.evicted += 1
        else:
            self._patterns.move_to_end(pattern_id)
            if index > p.window:
                self._roll(p, index)
            p.template = template or p.template
        p.count += 1
        if trace_id and len(p.trace_ids) < o.max_trace_ids and trace_id not in p.trace_ids:
            p.trace_ids.append(trace_id)
        if service and len(p.services) < o.max_services and service not in p.services:
            p.services.append(service)
        if new:
            return self._anomaly(NEW_PATTERN, pattern_id, p) if o.new_patterns else None
        if not p.fired and p.history >= o.warmup_windows and p.count >= o.min_count \
                and p.count > o.factor * p.baseline:
            p.fired = True
            return self._anomaly(ERROR_SPIKE, pattern_id, p)
        return None

    def _roll(self, p: _Pattern, index: int) -> None:
        """Close the pattern's window (and the empty ones up to ``index``) into its
        baseline and open window ``index``."""
        alpha = self.options.alpha
        p.baseline = float(p.count) if p.history == 0 else \
            alpha * p.count + (1.0 - alpha) * p.baseline
        empty = index - p.window - 1
        if empty > 0:
            p.baseline *= (1.0 - alpha) ** min(empty, 100_000)
        p.history += 1 + empty
        p.window = index
        p.count = 0
        p.fired = False
        p.trace_ids = []
        p.services = []

    def dump(self) -> bytes:
        """The whole state as JSON (patterns in least recently seen order)."""
        patterns = [[pid, p.template, p.first_seen_ns, p.window, p.count, p.baseline,
                     p.history, p.fired, p.trace_ids, p.services]
                    for pid, p in self._patterns.items()]
        return json.dumps({"version": _STATE_VERSION, "step_ns": self._step_ns,
                           "evicted": self.evicted, "patterns": patterns},
                          separators=(",", ":")).encode()

    def load(self, data: bytes) -> int:
        """Replace the state with one :meth:`dump` wrote; the number of patterns. Raises
        ValueError on damaged data or a state kept with another window length."""
        try:
            state = json.loads(data)
            if state.get("version") != _STATE_VERSION:
                raise ValueError(f"state version {state.get('version')!r} is not "
                                 f"{_STATE_VERSION}")
            if state["step_ns"] != self._step_ns:
                raise ValueError("the window length changed since the state was saved")
            patterns: OrderedDict[str, _Pattern] = OrderedDict()
            for pid, template, first, window, count, baseline, history, fired, traces, \
                    services in state["patterns"][-self.options.max_patterns:]:
                p = _Pattern(str(template), int(first), int(window))
                p.count, p.baseline, p.history = int(count), float(baseline), int(history)
                p.fired = bool(fired)
                p.trace_ids = [str(t) for t in traces][:self.options.max_trace_ids]
                p.services = [str(s) for s in services][:self.options.max_services]
                patterns[str(pid)] = p
            evicted = int(state["evicted"])
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"unreadable logspike state: {exc}") from exc
        self._patterns, self.evicted = patterns, evicted
        return len(patterns)

    def _anomaly(self, kind: str, pattern_id: str, p: _Pattern) -> Anomaly:
        start = p.window * self._step_ns
        return Anomaly(kind, pattern_id, p.template, start, start + self._step_ns, p.count,
                       p.baseline, self.options.factor, p.first_seen_ns, tuple(p.trace_ids),
                       tuple(p.services))

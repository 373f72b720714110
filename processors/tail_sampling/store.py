"""What the tail sampler keeps: traces waiting for their decision (bounded by num_traces,
oldest evicted first), the pipe of decision batches (one per second of decision_wait), and
the LRU caches of past decisions."""

from __future__ import annotations

from collections import OrderedDict, deque
from enum import IntEnum
from typing import Any


class Decision(IntEnum):
    """A policy's verdict (the Collector's sampling.Decision)."""

    UNSPECIFIED = 0
    SAMPLED = 1
    NOT_SAMPLED = 2
    DROPPED = 3
    INVERT_SAMPLED = 4
    INVERT_NOT_SAMPLED = 5


class Group:
    """The resource and scope envelopes spans of one input scope arrived under."""

    __slots__ = ("resource", "scope")

    def __init__(self, resource: Any, scope: Any) -> None:
        self.resource, self.scope = resource, scope


class Trace:
    """One trace in memory: its spans (with their group) in arrival order until decided."""

    __slots__ = ("alive", "arrival", "decided_at", "decision", "items", "span_count",
                 "trace_id")

    def __init__(self, trace_id: bytes, arrival: float) -> None:
        self.trace_id = trace_id
        self.arrival = arrival
        self.items: list[tuple[Group, Any]] = []
        self.span_count = 0
        self.decision = Decision.UNSPECIFIED
        self.decided_at = 0.0
        self.alive = True


class DecisionCache:
    """Trace IDs of past decisions, least recently used evicted; size 0 keeps nothing."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._ids: OrderedDict[bytes, None] = OrderedDict()

    def __contains__(self, trace_id: bytes) -> bool:
        if trace_id in self._ids:
            self._ids.move_to_end(trace_id)
            return True
        return False

    def put(self, trace_id: bytes) -> bool:
        """Remember ``trace_id``; False when the cache is off."""
        if not self.size:
            return False
        self._ids[trace_id] = None
        self._ids.move_to_end(trace_id)
        while len(self._ids) > self.size:
            self._ids.popitem(last=False)
        return True


class TraceTable:
    """Traces by ID, at most ``capacity`` arrivals deep: the trace that arrived
    ``capacity`` new traces ago is evicted (the Collector's drop-old limiter)."""

    def __init__(self, capacity: int, batches: int) -> None:
        self.capacity = capacity
        self.traces: dict[bytes, Trace] = {}
        self._arrivals: deque[Trace] = deque()
        self.pipe: deque[list[Trace]] = deque([] for _ in range(batches))
        self.current: list[Trace] = []

    def add(self, trace_id: bytes, now: float) -> tuple[Trace, Trace | None]:
        """A new trace, and the trace it evicted (None when nothing was)."""
        trace = self.traces[trace_id] = Trace(trace_id, now)
        self.current.append(trace)
        self._arrivals.append(trace)
        evicted = None
        if len(self._arrivals) > self.capacity:
            old = self._arrivals.popleft()
            if old.alive:
                self.remove(old)
                evicted = old
        return trace, evicted

    def remove(self, trace: Trace) -> None:
        if trace.alive:
            trace.alive = False
            if self.traces.get(trace.trace_id) is trace:
                del self.traces[trace.trace_id]

    def due(self) -> list[Trace]:
        """The oldest decision batch; the batch being filled joins the end of the pipe."""
        batch = self.pipe.popleft()
        self.pipe.append(self.current)
        self.current = []
        return batch

    def pending(self) -> list[Trace]:
        """Every trace still waiting for its decision (for shutdown), oldest first."""
        out = [t for batch in self.pipe for t in batch] + self.current
        self.pipe = deque([] for _ in self.pipe)
        self.current = []
        return [t for t in out if t.alive and t.decision is Decision.UNSPECIFIED]

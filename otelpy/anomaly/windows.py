"""Bounded sliding windows the detectors share: order statistics and a running maximum."""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque


class SortedWindow:
    """The last ``size`` values, also kept sorted: median and quantiles in O(1), push in O(size)
    (a memmove), memory two lists of ``size`` floats."""

    __slots__ = ("size", "values", "ordered")

    def __init__(self, size: int, values: list[float] | None = None) -> None:
        self.size = size
        self.values: deque[float] = deque()
        self.ordered: list[float] = []
        for value in values or ():
            self.push(value)

    def __len__(self) -> int:
        return len(self.values)

    def push(self, value: float) -> None:
        self.values.append(value)
        insort(self.ordered, value)
        if len(self.values) > self.size:
            old = self.values.popleft()
            del self.ordered[bisect_left(self.ordered, old)]

    def quantile(self, q: float) -> float:
        """The value at rank ``q * n`` (no interpolation); the window must not be empty."""
        ordered = self.ordered
        return ordered[min(int(q * len(ordered)), len(ordered) - 1)]

    def dump(self) -> list[float]:
        return list(self.values)


class MaxWindow:
    """The maximum of the last ``size`` pushed values (monotonic queue, amortised O(1))."""

    __slots__ = ("size", "queue", "count")

    def __init__(self, size: int) -> None:
        self.size = size
        self.queue: deque[tuple[int, float]] = deque()
        self.count = 0

    def push(self, value: float) -> None:
        queue = self.queue
        while queue and queue[-1][1] <= value:
            queue.pop()
        queue.append((self.count, value))
        self.count += 1
        if queue[0][0] <= self.count - 1 - self.size:
            queue.popleft()

    def max(self) -> float:
        return self.queue[0][1] if self.queue else 0.0

    def max_last(self, span: int) -> float:
        """The maximum of the last ``span`` (<= size) pushed values."""
        first = self.count - span
        for index, value in self.queue:
            if index >= first:
                return value
        return 0.0

    def dump(self) -> list[list[float]]:
        return [[float(i), v] for i, v in self.queue] + [[float(self.count), 0.0]]

    @classmethod
    def load(cls, size: int, dumped: list[list[float]]) -> MaxWindow:
        window = cls(size)
        *queue, (count, _) = dumped
        window.queue.extend((int(i), v) for i, v in queue)
        window.count = int(count)
        return window

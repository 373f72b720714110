"""Start times of cumulative points, as the Collector's initial-point metrics adjuster sets them.

A point whose start time came from a ``_created`` sample keeps it. Otherwise the first point
seen of a series starts at its own timestamp and later points inherit that start; a value
(count or sum, for histograms and summaries) lower than the previous one is a reset, and the
point starts again at its own timestamp. Stale points keep the series' start. Series not
seen between two :meth:`StartTimes.sweep` calls are forgotten (the receiver sweeps every
``gc_interval``), so the table holds at most the series of the last two sweep periods.
An entry whose previous values are None was made ahead by a scrape plan (``plan.py``) and
has seen no point: its first point starts it, as a new entry's would.
"""

from __future__ import annotations

from collections.abc import Hashable

__all__ = ["StartTimes"]


class StartTimes:
    """Per (job, instance) resource: series key -> [start_ns, previous a, previous b, mark]."""

    def __init__(self) -> None:
        self._tables: dict[Hashable, dict[Hashable, list[float]]] = {}
        self._generation = 0

    @property
    def generation(self) -> int:
        """The mark of entries seen since the last sweep (for writers of this table)."""
        return self._generation

    def __len__(self) -> int:
        return sum(len(t) for t in self._tables.values())

    def distribution(self, resource: Hashable, key: Hashable, start: int, ts: int,
                     count: float, total: float, stale: bool) -> int:
        """The start time of a histogram or summary point."""
        return self.number(resource, key, start, ts, count, stale, total)

    def number(self, resource: Hashable, key: Hashable, start: int, ts: int, a: float,
               stale: bool, b: float = 0.0) -> int:
        """The start time of a sum point of value ``a`` (and ``b``: a distribution's
        count and sum)."""
        return self.number_in(self.table(resource), key, start, ts, a, stale, b)

    def table(self, resource: Hashable) -> dict[Hashable, list[float]]:
        """The series of ``resource``, for :meth:`number_in` (one lookup for many points)."""
        table = self._tables.get(resource)
        if table is None:
            table = self._tables[resource] = {}
        return table

    def number_in(self, table: dict[Hashable, list[float]], key: Hashable, start: int, ts: int,
                  a: float, stale: bool, b: float = 0.0) -> int:
        """:meth:`number` with the resource's :meth:`table`."""
        if start < ts and not stale:
            return start  # from _created
        info = table.get(key)
        if info is None:
            table[key] = [start, a, b, self._generation]
            return start
        if info[1] is None:  # made by a scrape plan, no point yet: as a new entry
            info[:] = [start, a, b, self._generation]
            return start
        info[3] = self._generation
        if stale:
            return int(info[0])
        if a < info[1] or b < info[2]:
            info[0], info[1], info[2] = start, a, b
            return start
        info[1], info[2] = a, b
        return int(info[0])

    def sweep(self) -> int:
        """Forget series not seen since the previous sweep; returns how many went."""
        dropped = 0
        for resource in list(self._tables):
            table = self._tables[resource]
            old = [k for k, info in table.items() if info[3] < self._generation]
            for key in old:
                del table[key]
            dropped += len(old)
            if not table:
                del self._tables[resource]
        self._generation += 1
        return dropped

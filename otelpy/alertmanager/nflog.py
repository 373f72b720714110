"""The notification log (``nflog``): per group key and receiver integration, the firing and
resolved alert hashes last notified and when; ``needs_update`` is the dedup rule of
``notify.DedupStage``. Entries expire two repeat intervals after they were written."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Entry", "NotificationLog", "needs_update"]


@dataclass(frozen=True)
class Entry:
    firing: frozenset[int]
    resolved: frozenset[int]
    timestamp: float
    expires_at: float


def needs_update(entry: Entry | None, firing: set[int], resolved: set[int],
                 send_resolved: bool, repeat: float, now: float) -> bool:
    if entry is None:
        return bool(firing)
    if not firing <= entry.firing:
        return True
    if not firing:
        return bool(entry.firing)
    if send_resolved and not resolved <= entry.resolved:
        return True
    return entry.timestamp < now - repeat


class NotificationLog:
    """Entries keyed by (group key, receiver integration); at most ``limit`` entries
    (the oldest go first)."""

    def __init__(self, limit: int = 100_000) -> None:
        self.entries: dict[tuple[str, str], Entry] = {}
        self.limit = limit
        self.evicted = 0

    def get(self, group_key: str, integration: str, now: float) -> Entry | None:
        e = self.entries.get((group_key, integration))
        return e if e is not None and e.expires_at > now else None

    def log(self, group_key: str, integration: str, firing: set[int], resolved: set[int],
            now: float, expiry: float) -> None:
        self.entries.pop((group_key, integration), None)
        self.entries[(group_key, integration)] = Entry(frozenset(firing), frozenset(resolved),
                                                       now, now + expiry)
        while len(self.entries) > self.limit:
            del self.entries[next(iter(self.entries))]
            self.evicted += 1

    def gc(self, now: float) -> None:
        for key in [k for k, e in self.entries.items() if e.expires_at <= now]:
            del self.entries[key]

    def dump(self) -> list[dict[str, Any]]:
        return [{"g": g, "i": i, "f": sorted(e.firing), "r": sorted(e.resolved),
                 "t": e.timestamp, "x": e.expires_at} for (g, i), e in self.entries.items()]

    def load(self, rows: list[dict[str, Any]]) -> None:
        for r in rows:
            self.entries[(str(r["g"]), str(r["i"]))] = Entry(
                frozenset(int(x) for x in r["f"]), frozenset(int(x) for x in r["r"]),
                float(r["t"]), float(r["x"]))

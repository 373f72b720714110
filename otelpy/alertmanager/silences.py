"""Silences with Alertmanager's API v2 shapes: matchers as ``{name, value, isRegex,
isEqual}``, states pending / active / expired, expiry by setting ``endsAt`` to now, and the
``filter`` matcher syntax of ``GET /api/v2/silences``."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from otelpy.alertmanager.alerts import iso
from otelpy.alertmanager.labels import LabelSet, Matcher, MatcherError, parse_matchers

__all__ = ["Silence", "SilenceError", "Silences", "parse_time"]


class SilenceError(ValueError):
    """A silence the API refuses (400)."""


def parse_time(value: Any, what: str) -> float:
    import datetime as dt
    if not isinstance(value, str):
        raise SilenceError(f"{what}: expected an RFC 3339 time")
    try:
        t = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise SilenceError(f"{what}: not an RFC 3339 time: {value!r}") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return t.timestamp()


def _matcher(obj: Any) -> Matcher:
    if isinstance(obj, str):
        found = parse_matchers(obj)
        if len(found) != 1:
            raise SilenceError(f"expected one matcher, got {obj!r}")
        return found[0]
    if not isinstance(obj, dict) or not isinstance(obj.get("name"), str) or \
            not isinstance(obj.get("value"), str):
        raise SilenceError("a matcher needs string name and value")
    regex, equal = bool(obj.get("isRegex", False)), bool(obj.get("isEqual", True))
    op = {(False, True): "=", (False, False): "!=", (True, True): "=~",
          (True, False): "!~"}[(regex, equal)]
    return Matcher.make(obj["name"], op, obj["value"])


@dataclass(frozen=True)
class Silence:
    id: str
    matchers: tuple[Matcher, ...]
    starts_at: float
    ends_at: float
    updated_at: float
    created_by: str
    comment: str

    def state(self, now: float) -> str:
        if self.ends_at <= now:
            return "expired"
        return "pending" if self.starts_at > now else "active"

    def mutes(self, labels: LabelSet, now: float) -> bool:
        return self.state(now) == "active" and all(m.matches(labels) for m in self.matchers)

    def api(self, now: float) -> dict[str, Any]:
        return {"id": self.id, "status": {"state": self.state(now)},
                "updatedAt": iso(self.updated_at),
                "matchers": [m.api() for m in self.matchers],
                "startsAt": iso(self.starts_at), "endsAt": iso(self.ends_at),
                "createdBy": self.created_by, "comment": self.comment}

    def dump(self) -> dict[str, Any]:
        return {"id": self.id, "matchers": [str(m) for m in self.matchers],
                "startsAt": self.starts_at, "endsAt": self.ends_at,
                "updatedAt": self.updated_at, "createdBy": self.created_by,
                "comment": self.comment}

    @classmethod
    def load(cls, d: dict[str, Any]) -> Silence:
        matchers = tuple(m for text in d["matchers"] for m in parse_matchers(text))
        return cls(d["id"], matchers, float(d["startsAt"]), float(d["endsAt"]),
                   float(d["updatedAt"]), str(d["createdBy"]), str(d["comment"]))


class Silences:
    """The silences of one notify exporter, at most ``limit`` of them; expired silences are
    kept ``retention`` seconds, then forgotten."""

    def __init__(self, limit: int = 10_000, retention: float = 5 * 86400.0) -> None:
        self.by_id: dict[str, Silence] = {}
        self.limit = limit
        self.retention = retention

    def create(self, body: Any, now: float) -> Silence:
        """Create, or update when ``id`` names an existing silence (as the API does)."""
        if not isinstance(body, dict):
            raise SilenceError("expected a JSON object")
        raw = body.get("matchers")
        if not isinstance(raw, list) or not raw:
            raise SilenceError("matchers: at least one matcher is required")
        try:
            matchers = tuple(_matcher(m) for m in raw)
        except MatcherError as exc:
            raise SilenceError(f"matchers: {exc}") from None
        if all(m.matches({}) for m in matchers):
            raise SilenceError("matchers: at least one matcher must not match the empty "
                               "string")
        starts = parse_time(body.get("startsAt"), "startsAt")
        ends = parse_time(body.get("endsAt"), "endsAt")
        if ends < starts:
            raise SilenceError("endsAt: end time must not be before start time")
        if ends <= now:
            raise SilenceError("endsAt: end time can't be in the past")
        sid = body.get("id") or ""
        if sid and sid not in self.by_id:
            raise SilenceError(f"silence {sid} not found")
        self.gc(now)
        if not sid and len(self.by_id) >= self.limit:
            raise SilenceError(f"too many silences (limit {self.limit})")
        sil = Silence(sid or str(uuid.uuid4()), matchers, max(starts, now) if not sid
                      else starts, ends, now, str(body.get("createdBy", "")),
                      str(body.get("comment", "")))
        self.by_id[sil.id] = sil
        return sil

    def expire(self, sid: str, now: float) -> Silence:
        """Raises KeyError for an unknown id, SilenceError when already expired."""
        sil = self.by_id[sid]
        state = sil.state(now)
        if state == "expired":
            raise SilenceError(f"silence {sid} already expired")
        starts = now if state == "pending" else sil.starts_at
        self.by_id[sid] = replace(sil, starts_at=starts, ends_at=now, updated_at=now)
        return self.by_id[sid]

    def mutes(self, labels: LabelSet, now: float) -> list[str]:
        return [s.id for s in self.by_id.values() if s.mutes(labels, now)]

    def query(self, filters: Iterable[Matcher], now: float) -> list[Silence]:
        """Silences whose matchers include every filter matcher's name and value."""
        fs = list(filters)
        out = [s for s in self.by_id.values()
               if all(any(m.name == f.name and f.matches({m.name: m.value})
                          for m in s.matchers) for f in fs)]
        order = {"active": 0, "pending": 1, "expired": 2}
        return sorted(out, key=lambda s: (order[s.state(now)], s.ends_at))

    def gc(self, now: float) -> None:
        for sid in [s.id for s in self.by_id.values() if s.ends_at + self.retention < now]:
            del self.by_id[sid]

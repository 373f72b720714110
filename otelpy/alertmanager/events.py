"""Alert events in log records -> :class:`Alert`.

A record is an alert event when its attribute ``event.name`` (or its ``event_name`` field)
is ``alert``. Its label set is the map attribute ``labels`` (or ``alert.labels``) when one
is present, else every string attribute that is not one of the reserved keys below;
``alertname`` and ``severity`` attributes are added to it either way. Reserved keys:
``state`` (pending | firing | resolved), ``annotations`` (map), ``value``, ``startsAt``,
``endsAt`` (RFC 3339 text, or Unix seconds), ``fingerprint``, ``generatorURL``, ``series``
(a map with ``t``, times in Unix milliseconds, and ``v``, the values at those times, as the
alerting connector sends them; used by incident correlation, ignored when malformed)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from otelpy.alertmanager.alerts import Alert

__all__ = ["EventError", "RESERVED", "alert_from_attributes"]

RESERVED = frozenset({"event.name", "state", "annotations", "value", "startsAt", "endsAt",
                      "fingerprint", "generatorURL", "labels", "alert.labels", "series"})
MAX_SERIES = 1000


class EventError(ValueError):
    """An alert event that cannot become an alert (counted, not raised further)."""


def _time(value: Any, what: str) -> float:
    if value is None or value == "":
        return 0.0
    if isinstance(value, bool):
        raise EventError(f"{what}: not a time")
    if isinstance(value, (int, float)):
        v = float(value)
        return v / 1e9 if v > 1e14 else v
    if isinstance(value, str):
        if value.startswith("0001-01-01"):
            return 0.0
        try:
            t = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise EventError(f"{what}: not an RFC 3339 time: {value[:40]!r}") from None
        if t.tzinfo is None:
            t = t.replace(tzinfo=dt.UTC)
        return t.timestamp()
    raise EventError(f"{what}: not a time")


def _strings(value: Any, what: str) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise EventError(f"{what}: expected a map")
    return {str(k): v if isinstance(v, str) else str(v) for k, v in value.items()
            if v is not None}


def alert_from_attributes(attrs: Mapping[str, Any], now: float,
                          resolve_timeout: float) -> Alert | None:
    """The alert, or None for a pending one; raises EventError for a malformed event."""
    state = attrs.get("state", "firing")
    if state == "pending":
        return None
    if state not in ("firing", "resolved"):
        raise EventError(f"state: expected pending, firing or resolved, got {state!r}")
    raw = attrs.get("labels", attrs.get("alert.labels"))
    if raw is not None:
        labels = _strings(raw, "labels")
    else:
        labels = {k: v for k, v in attrs.items() if k not in RESERVED and isinstance(v, str)}
    for key in ("alertname", "severity"):
        if isinstance(attrs.get(key), str) and attrs[key]:
            labels.setdefault(key, attrs[key])
    labels = {k: v for k, v in labels.items() if v != ""}
    if not labels.get("alertname"):
        raise EventError("alertname: missing")
    annotations = _strings(attrs.get("annotations") or {}, "annotations")
    starts = _time(attrs.get("startsAt"), "startsAt") or now
    ends = _time(attrs.get("endsAt"), "endsAt")
    timeout = False
    if state == "resolved":
        ends = ends if ends and ends <= now else now
    elif not ends:
        ends, timeout = now + resolve_timeout, True
    elif ends <= now:
        ends, timeout = now + resolve_timeout, True
    value = attrs.get("value")
    return Alert.make(labels, annotations=annotations, starts_at=starts, ends_at=ends,
                      updated_at=now, timeout=timeout,
                      generator_url=str(attrs.get("generatorURL") or ""),
                      value="" if value is None else str(value),
                      series=_series(attrs.get("series")))


def _series(raw: Any) -> tuple[tuple[float, float], ...]:
    """``{"t": [ms...], "v": [values...]}`` as (seconds, value) pairs; () unless well formed."""
    if not isinstance(raw, Mapping):
        return ()
    times, values = raw.get("t"), raw.get("v")
    if not isinstance(times, list) or not isinstance(values, list) or \
            len(times) != len(values):
        return ()
    pairs = []
    for t, v in zip(times[-MAX_SERIES:], values[-MAX_SERIES:], strict=True):
        if isinstance(t, bool) or isinstance(v, bool) or \
                not isinstance(t, (int, float)) or not isinstance(v, (int, float)):
            return ()
        pairs.append((float(t) / 1000.0, float(v)))
    return tuple(pairs)

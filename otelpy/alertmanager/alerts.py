"""Alerts as Alertmanager keeps them: times in wall-clock seconds, ``endsAt`` 0 = unknown,
the merge rule of ``types.Alert.Merge`` and the overlap rule of the memory provider."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

from otelpy.alertmanager.labels import fingerprint, fingerprint_hex

__all__ = ["Alert", "iso", "merge_into_store"]


def iso(seconds: float) -> str:
    """RFC 3339 as Go prints time.Time in JSON; 0 = Go's zero time."""
    if not seconds:
        return "0001-01-01T00:00:00Z"
    t = dt.datetime.fromtimestamp(seconds, dt.UTC)
    text = t.strftime("%Y-%m-%dT%H:%M:%S")
    if t.microsecond:
        text += f".{t.microsecond:06d}".rstrip("0")
    return text + "Z"


@dataclass(frozen=True)
class Alert:
    labels: dict[str, str]
    annotations: dict[str, str] = field(default_factory=dict)
    starts_at: float = 0.0
    ends_at: float = 0.0
    updated_at: float = 0.0
    timeout: bool = False
    generator_url: str = ""
    value: str = ""
    fp: int = 0
    # (Unix seconds, value) of the alert's latest evaluations, for incident correlation
    series: tuple[tuple[float, float], ...] = ()

    @classmethod
    def make(cls, labels: dict[str, str], **kw: Any) -> Alert:
        return cls(labels=labels, fp=fingerprint(labels), **kw)

    def resolved_at(self, now: float) -> bool:
        return bool(self.ends_at) and self.ends_at <= now

    def status(self, now: float) -> str:
        return "resolved" if self.resolved_at(now) else "firing"

    def merge(self, newer: Alert, now: float) -> Alert:
        """``types.Alert.Merge``: ``newer`` wins except for the earliest start and an
        explicit later end."""
        if newer.updated_at < self.updated_at:
            return newer.merge(self, now)
        res = newer
        if not newer.series and self.series:
            res = replace(res, series=self.series)
        if self.starts_at < newer.starts_at:
            res = replace(res, starts_at=self.starts_at)
        if newer.resolved_at(now):
            if self.resolved_at(now) and self.ends_at > newer.ends_at:
                res = replace(res, ends_at=self.ends_at)
        elif self.ends_at > newer.ends_at and not self.timeout:
            res = replace(res, ends_at=self.ends_at)
        return res

    def webhook(self, now: float) -> dict[str, Any]:
        """The alert as the webhook payload (version 4) carries it."""
        return {"status": self.status(now), "labels": dict(sorted(self.labels.items())),
                "annotations": dict(sorted(self.annotations.items())),
                "startsAt": iso(self.starts_at), "endsAt": iso(self.ends_at),
                "generatorURL": self.generator_url, "fingerprint": fingerprint_hex(self.labels)}


def merge_into_store(old: Alert | None, alert: Alert, now: float) -> Alert:
    """The memory provider's Put: merge with the stored alert when the activity ranges
    overlap, else replace it."""
    if old is None:
        return alert
    if (old.starts_at < alert.ends_at < old.ends_at) or \
            (old.starts_at < alert.starts_at < old.ends_at):
        return old.merge(alert, now)
    return alert

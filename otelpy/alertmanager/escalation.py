"""The spec's escalation on top of routing: an alert still firing, neither silenced,
inhibited nor acknowledged ``timeout`` seconds after it was first notified is sent to the
receivers listed for its severity, again after each further timeout, at most
``max_escalations`` times. Escalation notifications carry the label
``escalation_level="N"`` and bypass dedup (each level is sent once)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import Any

from otelpy.alertmanager.alerts import Alert
from otelpy.alertmanager.labels import format_labels
from otelpy.alertmanager.notification import Integration, Notification
from otelpy.alertmanager.pipeline import NotifyPipeline

__all__ = ["EscalationPolicy", "Escalator"]


@dataclass(frozen=True)
class EscalationPolicy:
    severities: dict[str, list[str]]
    timeout: float
    max_escalations: int
    severity_label: str = "severity"


@dataclass
class _Track:
    first_notified: float
    level: int = 0


class Escalator:
    def __init__(self, policy: EscalationPolicy, pipeline: NotifyPipeline,
                 receivers: dict[str, list[Integration]]) -> None:
        self.policy = policy
        self.pipeline = pipeline
        self.receivers = receivers
        self.tracks: dict[int, _Track] = {}
        self.acks: dict[int, dict[str, Any]] = {}
        self.escalations = 0

    def notified(self, n: Notification, integ: Integration) -> None:
        """Pipeline hook: remember when each firing alert was first notified."""
        if n.group_key.startswith("escalation:"):
            return
        for a in n.firing:
            self.tracks.setdefault(a.fp, _Track(n.now))

    def forget_resolved(self, store: dict[int, Alert], now: float) -> None:
        for fp in list(self.tracks):
            a = store.get(fp)
            if a is None or a.resolved_at(now):
                del self.tracks[fp]
                self.acks.pop(fp, None)
        for fp in [fp for fp in self.acks if fp not in store]:
            del self.acks[fp]

    def due(self, store: dict[int, Alert], now: float) -> list[tuple[Alert, int]]:
        p = self.policy
        out = []
        for fp, track in self.tracks.items():
            a = store.get(fp)
            if a is None or a.resolved_at(now) or fp in self.acks:
                continue
            if track.level >= p.max_escalations:
                continue
            if a.labels.get(p.severity_label, "") not in p.severities:
                continue
            if now >= track.first_notified + (track.level + 1) * p.timeout:
                if self.pipeline.visible([a], now):
                    out.append((a, track.level + 1))
        return out

    async def run_once(self, store: dict[int, Alert], now: float) -> int:
        """Send what is due; returns how many escalations were sent."""
        self.forget_resolved(store, now)
        sent = 0
        for alert, level in self.due(store, now):
            labels = {**alert.labels, "escalation_level": str(level)}
            shown = replace(alert, labels=labels, ends_at=0.0)
            sev = alert.labels.get(self.policy.severity_label, "")
            jobs = []
            for name in self.policy.severities[sev]:
                n = Notification(name, f"escalation:{level}:{format_labels(alert.labels)}",
                                 labels, [shown], now, self.pipeline.external_url)
                jobs += [self.pipeline.send(i, n) for i in self.receivers.get(name, [])]
            await asyncio.gather(*jobs)
            self.tracks[alert.fp].level = level
            self.escalations += 1
            sent += 1
        return sent

    def dump(self) -> dict[str, Any]:
        return {"tracks": [[fp, t.first_notified, t.level] for fp, t in self.tracks.items()],
                "acks": [[fp, a] for fp, a in self.acks.items()]}

    def load(self, d: dict[str, Any]) -> None:
        self.tracks = {int(fp): _Track(float(t), int(lv)) for fp, t, lv in d.get("tracks", [])}
        self.acks = {int(fp): dict(a) for fp, a in d.get("acks", [])}

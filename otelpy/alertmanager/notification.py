"""One notification: a group's alerts for one receiver at one instant, with the derived
values every notifier uses (status, common labels, the webhook payload version 4, the data
templates see), and the protocol a notifier implements."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Protocol

from otelpy.alertmanager.alerts import Alert, iso

__all__ = ["Integration", "Notification", "Notifier"]


def _common(maps: list[dict[str, str]]) -> dict[str, str]:
    if not maps:
        return {}
    first = maps[0]
    return {k: v for k, v in sorted(first.items()) if all(m.get(k) == v for m in maps[1:])}


@dataclass(frozen=True)
class Notification:
    receiver: str
    group_key: str
    group_labels: dict[str, str]
    alerts: list[Alert]
    now: float
    external_url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> str:
        return "firing" if any(not a.resolved_at(self.now) for a in self.alerts) else "resolved"

    @property
    def firing(self) -> list[Alert]:
        return [a for a in self.alerts if not a.resolved_at(self.now)]

    @property
    def resolved(self) -> list[Alert]:
        return [a for a in self.alerts if a.resolved_at(self.now)]

    @property
    def common_labels(self) -> dict[str, str]:
        return _common([a.labels for a in self.alerts])

    @property
    def common_annotations(self) -> dict[str, str]:
        return _common([a.annotations for a in self.alerts])

    def group_key_hash(self) -> str:
        """``notify.Key.Hash``: SHA-256 of the group key, hex (PagerDuty's dedup_key)."""
        return hashlib.sha256(self.group_key.encode()).hexdigest()

    def webhook_payload(self, max_alerts: int = 0) -> dict[str, Any]:
        """Alertmanager's webhook body, version 4."""
        shown = self.alerts if not max_alerts else self.alerts[:max_alerts]
        extra = {"incident": self.extra["Incident"]} if "Incident" in self.extra else {}
        return {**extra, "receiver": self.receiver, "status": self.status,
                "alerts": [a.webhook(self.now) for a in shown],
                "groupLabels": dict(sorted(self.group_labels.items())),
                "commonLabels": self.common_labels,
                "commonAnnotations": self.common_annotations,
                "externalURL": self.external_url, "version": "4",
                "groupKey": self.group_key, "truncatedAlerts": len(self.alerts) - len(shown)}

    def incident_line(self) -> str:
        """One line naming the incident this notification is about ("" for a group)."""
        inc = self.extra.get("Incident")
        if not inc:
            return ""
        first = inc["firstCause"]["labels"].get("alertname", "")
        return (f"Incident {inc['id']} ({inc['status']}, {len(inc['members'])} alerts, "
                f"score {inc['score']:g}, probable first cause: {first})")

    def template_data(self) -> dict[str, Any]:
        """What ``.`` is in templates: Alertmanager's template.Data field names."""
        def alert(a: Alert) -> dict[str, Any]:
            return {"Status": a.status(self.now), "Labels": a.labels,
                    "Annotations": a.annotations, "StartsAt": iso(a.starts_at),
                    "EndsAt": iso(a.ends_at), "GeneratorURL": a.generator_url,
                    "Fingerprint": f"{a.fp:016x}", "Value": a.value}
        return {"Receiver": self.receiver, "Status": self.status,
                "Alerts": [alert(a) for a in self.alerts],
                "Firing": [alert(a) for a in self.firing],
                "Resolved": [alert(a) for a in self.resolved],
                "GroupLabels": self.group_labels, "CommonLabels": self.common_labels,
                "CommonAnnotations": self.common_annotations,
                "ExternalURL": self.external_url, "GroupKey": self.group_key, **self.extra}


class Notifier(Protocol):
    """One configured integration (a ``webhook_configs`` item, ...)."""

    send_resolved: bool

    async def notify(self, n: Notification) -> None:
        """One attempt; raises RetryableError (retry) or PermanentError (give up)."""
        ...


@dataclass(frozen=True)
class Integration:
    receiver: str
    name: str
    index: int
    notifier: Notifier

    @property
    def key(self) -> str:
        return f"{self.receiver}/{self.name}/{self.index}"

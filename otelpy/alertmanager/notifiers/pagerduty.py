"""``pagerduty_configs``: Events API v2 ``trigger`` / ``resolve``; dedup_key is the hash of
the group key, as Alertmanager sends it; severity from the alerts' ``severity`` label."""

from __future__ import annotations

from typing import Any

from otelpy.alertmanager.config import PagerdutyConfig
from otelpy.alertmanager.notification import Notification
from otelpy.alertmanager.notifiers.http import JSONPoster
from otelpy.alertmanager.templates import Templater, instances

__all__ = ["PagerdutyNotifier", "map_severity"]

_SEVERITIES = {"critical": "critical", "page": "critical", "error": "error",
               "warning": "warning", "warn": "warning", "info": "info"}


def map_severity(n: Notification) -> str:
    """The worst PagerDuty severity among the alerts' ``severity`` labels (default error,
    as Alertmanager's default is ``error``)."""
    found = {_SEVERITIES.get(a.labels.get("severity", "").lower(), "") for a in n.alerts}
    for sev in ("critical", "error", "warning", "info"):
        if sev in found:
            return sev
    return "error"


class PagerdutyNotifier:
    def __init__(self, cfg: PagerdutyConfig, poster: JSONPoster, templater: Templater) -> None:
        self.cfg = cfg
        self.send_resolved = cfg.send_resolved
        self._poster = poster
        self._t = templater

    def payload(self, n: Notification) -> dict[str, Any]:
        cfg, r = self.cfg, self._t.render
        action = "trigger" if n.status == "firing" else "resolve"
        body: dict[str, Any] = {"routing_key": cfg.routing_key.reveal(),
                                "event_action": action, "dedup_key": n.group_key_hash()}
        if action == "resolve":
            return body
        details: dict[str, Any] = {k: r(v, n) for k, v in cfg.details.items()} or {
            "firing": instances(n, True), "resolved": instances(n, False),
            "num_firing": str(len(n.firing)), "num_resolved": str(len(n.resolved))}
        if "Incident" in n.extra:
            details["incident"] = n.extra["Incident"]
        client = r(cfg.client, n)
        body["client"] = client
        body["client_url"] = r(cfg.client_url, n)
        body["payload"] = {
            "summary": r(cfg.description, n)[:1024],
            "source": r(cfg.source, n) if cfg.source else client,
            "severity": r(cfg.severity, n) if cfg.severity else map_severity(n),
            "custom_details": details}
        for key, text in (("class", cfg.class_), ("component", cfg.component),
                          ("group", cfg.group)):
            if text:
                body["payload"][key] = r(text, n)
        return body

    async def notify(self, n: Notification) -> None:
        await self._poster.post(self.payload(n))

    async def acknowledge(self, n: Notification) -> None:
        """Events API v2 ``acknowledge`` of the group's incident (same dedup_key)."""
        await self._poster.post({"routing_key": self.cfg.routing_key.reveal(),
                                 "event_action": "acknowledge",
                                 "dedup_key": n.group_key_hash()})

"""``opsgenie_configs``: Opsgenie's Alert API v2 as Alertmanager uses it. A firing group
creates (or, Opsgenie deduplicating by alias, re-counts) an alert ``POST v2/alerts`` whose
``alias`` is the SHA-256 of the group key; a resolved group closes it
(``POST v2/alerts/<alias>/close?identifierType=alias``); ``update_alerts`` also rewrites the
message and description of the open alert. Authorization is ``GenieKey <api_key>``."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from otelpy.alertmanager.config import OpsgenieConfig
from otelpy.alertmanager.notification import Notification
from otelpy.alertmanager.notifiers.http import JSONPoster
from otelpy.alertmanager.templates import Templater
from otelpy.errors import PermanentError

__all__ = ["OpsgenieNotifier"]

_PRIORITY = re.compile(r"P[1-5]")
MAX_MESSAGE, MAX_DESCRIPTION = 130, 15_000


class OpsgenieNotifier:
    def __init__(self, cfg: OpsgenieConfig, api_url: str,
                 poster: JSONPoster, templater: Templater) -> None:
        self.cfg = cfg
        self.send_resolved = cfg.send_resolved
        self._base = api_url if api_url.endswith("/") else api_url + "/"
        self._poster = poster
        self._t = templater

    def create(self, n: Notification) -> dict[str, Any]:
        cfg, r = self.cfg, self._t.render
        details = {**n.common_labels, **{k: r(v, n) for k, v in cfg.details.items()}}
        body: dict[str, Any] = {
            "alias": n.group_key_hash(), "message": r(cfg.message, n)[:MAX_MESSAGE],
            "description": r(cfg.description, n)[:MAX_DESCRIPTION], "details": details,
            "source": r(cfg.source, n)}
        if "Incident" in n.extra:
            body["details"]["incident"] = n.incident_line()
        responders = [{k: r(v, n) for k, v in (("id", x.id), ("name", x.name),
                                               ("username", x.username), ("type", x.type))
                       if v} for x in cfg.responders]
        if responders:
            body["responders"] = responders
        for key, text in (("tags", cfg.tags), ("actions", cfg.actions)):
            words = [w.strip() for w in r(text, n).split(",") if w.strip()] if text else []
            if words:
                body[key] = words
        for key, text in (("note", cfg.note), ("entity", cfg.entity)):
            if text:
                body[key] = r(text, n)
        priority = r(cfg.priority, n) if cfg.priority else ""
        if priority:
            if not _PRIORITY.fullmatch(priority):
                raise PermanentError(f"opsgenie: priority {priority[:20]!r} is not P1 to P5")
            body["priority"] = priority
        return body

    async def notify(self, n: Notification) -> None:
        alias = quote(n.group_key_hash(), safe="")
        if n.status == "resolved":
            await self._poster.post_to(f"{self._base}v2/alerts/{alias}/close"
                                       "?identifierType=alias",
                                       {"source": self._t.render(self.cfg.source, n)})
            return
        body = self.create(n)
        await self._poster.post_to(f"{self._base}v2/alerts", body)
        if self.cfg.update_alerts:
            for part in ("message", "description"):
                await self._poster.post_to(
                    f"{self._base}v2/alerts/{alias}/{part}?identifierType=alias",
                    {part: body[part]})

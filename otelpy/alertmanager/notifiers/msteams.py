"""``msteams_configs``: a MessageCard to a Microsoft Teams incoming webhook, as Alertmanager
sends it (``@context``, ``type``, ``title``, ``summary``, ``text`` in markdown,
``themeColor``: red while firing, green once resolved)."""

from __future__ import annotations

from typing import Any

from otelpy.alertmanager.config import MSTeamsConfig
from otelpy.alertmanager.notification import Notification
from otelpy.alertmanager.notifiers.http import JSONPoster
from otelpy.alertmanager.templates import Templater

__all__ = ["MSTeamsNotifier"]

FIRING, RESOLVED = "8C1A1A", "2DC72D"


class MSTeamsNotifier:
    def __init__(self, cfg: MSTeamsConfig, poster: JSONPoster, templater: Templater) -> None:
        self.cfg = cfg
        self.send_resolved = cfg.send_resolved
        self._poster = poster
        self._t = templater

    def payload(self, n: Notification) -> dict[str, Any]:
        r = self._t.render
        text = r(self.cfg.text, n)
        if n.incident_line():
            text = n.incident_line() + "\n\n" + text
        return {"@context": "http://schema.org/extensions", "type": "MessageCard",
                "title": r(self.cfg.title, n), "summary": r(self.cfg.summary, n),
                "text": text, "themeColor": FIRING if n.status == "firing" else RESOLVED}

    async def notify(self, n: Notification) -> None:
        await self._poster.post(self.payload(n))

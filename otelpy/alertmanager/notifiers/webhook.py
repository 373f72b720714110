"""``webhook_configs``: Alertmanager's webhook payload, version 4."""

from __future__ import annotations

from otelpy.alertmanager.config import WebhookConfig
from otelpy.alertmanager.notification import Notification
from otelpy.alertmanager.notifiers.http import JSONPoster

__all__ = ["WebhookNotifier"]


class WebhookNotifier:
    def __init__(self, cfg: WebhookConfig, poster: JSONPoster) -> None:
        self.cfg = cfg
        self.send_resolved = cfg.send_resolved
        self._poster = poster

    async def notify(self, n: Notification) -> None:
        await self._poster.post(n.webhook_payload(self.cfg.max_alerts))

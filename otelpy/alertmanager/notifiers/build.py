"""Integrations of every receiver of a config, sharing one HTTP client and one templater."""

from __future__ import annotations

from otelpy.alertmanager.config import AlertmanagerConfig
from otelpy.alertmanager.notification import Integration, Notifier
from otelpy.alertmanager.notifiers.email import EmailNotifier
from otelpy.alertmanager.notifiers.http import JSONPoster, RateLimit
from otelpy.alertmanager.notifiers.msteams import MSTeamsNotifier
from otelpy.alertmanager.notifiers.opsgenie import OpsgenieNotifier
from otelpy.alertmanager.notifiers.pagerduty import PagerdutyNotifier
from otelpy.alertmanager.notifiers.slack import SlackNotifier
from otelpy.alertmanager.notifiers.webhook import WebhookNotifier
from otelpy.alertmanager.templates import Templater
from otelpy.clock import Clock
from otelpy.httpclient import HTTPClient

__all__ = ["build_integrations"]


def build_integrations(cfg: AlertmanagerConfig, client: HTTPClient, clock: Clock,
                       rates: dict[str, float]) -> dict[str, list[Integration]]:
    """Receiver name -> its integrations. ``rates``: requests a second per integration
    kind (webhook, slack, pagerduty, email, msteams, opsgenie); 0 or absent = unlimited."""
    t = Templater()
    g = cfg.global_
    out: dict[str, list[Integration]] = {}

    def limit(kind: str) -> RateLimit:
        return RateLimit(rates.get(kind, 0.0), clock)

    for rc in cfg.receivers:
        items: list[tuple[str, Notifier]] = []
        for w in rc.webhook_configs:
            http = w.http_config or g.http_config
            items.append(("webhook", WebhookNotifier(
                w, JSONPoster(client, w.url.reveal(), http, limit("webhook")))))
        for s in rc.slack_configs:
            url = (s.api_url or g.slack_api_url).reveal()
            items.append(("slack", SlackNotifier(
                s, JSONPoster(client, url, s.http_config or g.http_config, limit("slack")), t)))
        for p in rc.pagerduty_configs:
            url = p.url or g.pagerduty_url
            items.append(("pagerduty", PagerdutyNotifier(
                p, JSONPoster(client, url, p.http_config or g.http_config,
                              limit("pagerduty")), t)))
        for e in rc.email_configs:
            items.append(("email", EmailNotifier(e, g, t, limit("email"))))
        for m in rc.msteams_configs:
            items.append(("msteams", MSTeamsNotifier(m, JSONPoster(
                client, m.webhook_url.reveal(), m.http_config or g.http_config,
                limit("msteams")), t)))
        for o in rc.opsgenie_configs:
            url = o.api_url or g.opsgenie_api_url
            key = (o.api_key or g.opsgenie_api_key).reveal()
            poster = JSONPoster(client, url, o.http_config or g.http_config, limit("opsgenie"),
                                {"Authorization": f"GenieKey {key}"})
            items.append(("opsgenie", OpsgenieNotifier(o, url, poster, t)))
        counts: dict[str, int] = {}
        integrations = []
        for kind, notifier in items:
            idx = counts.get(kind, 0)
            counts[kind] = idx + 1
            integrations.append(Integration(rc.name, kind, idx, notifier))
        out[rc.name] = integrations
    return out

"""``slack_configs``: an incoming-webhook message with one attachment (colour by severity,
title, text, fields) and a section block (title, text, one line per alert with its value
and runbook link); mentions on firing critical alerts. The same message goes to the Web API's
``chat.postMessage`` when ``api_url`` is ``https://slack.com/api/chat.postMessage`` (with a
bot token in ``http_config.authorization`` and a ``channel``), whose HTTP 200 answers can
still carry ``"ok": false``: that fails the notification, as Alertmanager does."""

from __future__ import annotations

import json
from typing import Any

from otelpy.alertmanager.config import SlackConfig
from otelpy.alertmanager.notification import Notification
from otelpy.alertmanager.notifiers.http import JSONPoster
from otelpy.alertmanager.templates import Templater
from otelpy.errors import PermanentError

__all__ = ["SlackNotifier", "severity_colour"]

DEFAULT_COLOR = '{{ if eq .Status "firing" }}danger{{ else }}good{{ end }}'
_COLOURS = {"critical": "#d63232", "error": "#d63232", "page": "#d63232",
            "warning": "#f2a900", "info": "#2f80ed"}


def severity_colour(n: Notification) -> str:
    """otelpy's default colour: green when resolved, else by the worst severity."""
    if n.status == "resolved":
        return "#2eb67d"
    found = {a.labels.get("severity", "") for a in n.firing}
    for sev in ("critical", "page", "error", "warning", "info"):
        if sev in found:
            return _COLOURS[sev]
    return "danger"


def is_critical(n: Notification) -> bool:
    return n.status == "firing" and any(a.labels.get("severity") in ("critical", "page")
                                        for a in n.firing)


def alert_lines(n: Notification, most: int = 10) -> list[str]:
    """One mrkdwn line per alert for the section block: status, summary (or alertname),
    value, runbook link."""
    out = []
    for a in n.alerts[:most]:
        name = a.annotations.get("summary") or a.labels.get("alertname", "")
        line = f"• {a.status(n.now)}: {name}"
        if a.value:
            line += f" (value {a.value})"
        runbook = a.annotations.get("runbook_url") or a.annotations.get("runbook")
        if runbook:
            line += f" <{runbook}|runbook>"
        out.append(line)
    if len(n.alerts) > most:
        out.append(f"… and {len(n.alerts) - most} more")
    return out


class SlackNotifier:
    def __init__(self, cfg: SlackConfig, poster: JSONPoster, templater: Templater) -> None:
        self.cfg = cfg
        self.send_resolved = cfg.send_resolved
        self._poster = poster
        self._t = templater

    def payload(self, n: Notification) -> dict[str, Any]:
        cfg, r = self.cfg, self._t.render
        text = r(cfg.text, n)
        if n.incident_line():
            text = n.incident_line() + ("\n" + text if text else "")
        if cfg.mentions and is_critical(n):
            text = " ".join(cfg.mentions) + (" " + text if text else "")
        colour = severity_colour(n) if cfg.color == DEFAULT_COLOR else r(cfg.color, n)
        title = r(cfg.title, n)
        att: dict[str, Any] = {"title": title, "title_link": r(cfg.title_link, n),
                               "pretext": r(cfg.pretext, n), "text": text,
                               "fallback": r(cfg.fallback, n), "color": colour,
                               "mrkdwn_in": list(cfg.mrkdwn_in)}
        if cfg.fields:
            att["fields"] = [{"title": r(f.title, n), "value": r(f.value, n),
                              "short": cfg.short_fields if f.short is None else f.short}
                             for f in cfg.fields]
        if cfg.footer:
            att["footer"] = r(cfg.footer, n)
        section = "\n".join([f"*{title}*", *([text] if text else []), *alert_lines(n)])
        body: dict[str, Any] = {"username": r(cfg.username, n), "attachments": [att],
                                "blocks": [{"type": "section",
                                            "text": {"type": "mrkdwn", "text": section}}],
                                "text": text or title}
        if cfg.channel:
            body["channel"] = r(cfg.channel, n)
        if cfg.icon_emoji:
            body["icon_emoji"] = cfg.icon_emoji
        if cfg.icon_url:
            body["icon_url"] = cfg.icon_url
        if cfg.link_names:
            body["link_names"] = True
        return body

    async def notify(self, n: Notification) -> None:
        reply = await self._poster.post(self.payload(n))
        problem = api_error(reply.body)
        if problem:
            raise PermanentError(f"Slack API refused the message: {problem}")


def api_error(body: bytes) -> str:
    """The error of a Web API answer (``chat.postMessage`` answers HTTP 200 with
    ``{"ok": false, "error": "channel_not_found"}``); "" for a success or an incoming
    webhook's plain ``ok``."""
    try:
        answer = json.loads(body)
    except ValueError:
        return ""
    if isinstance(answer, dict) and answer.get("ok") is False:
        return str(answer.get("error") or "unknown error")[:200]
    return ""

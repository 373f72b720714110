"""Rendering the text fields of receivers: Alertmanager's default templates (``default.tmpl``:
``slack.default.title``, ``__subject``, ...) are built in, recognised by their exact default
text; any other text is a Go template run by :mod:`otelpy.promql.rules.gotemplate` with
``.`` = the notification's template data (``.Status``, ``.CommonLabels.severity``,
``.Alerts``, ...)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from otelpy.alertmanager.notification import Notification
from otelpy.promql.rules.gotemplate import Template, TemplateError

__all__ = ["Templater", "TemplateError", "subject"]


def subject(n: Notification) -> str:
    """``__subject`` / ``slack.default.title``."""
    head = n.status.upper() + (f":{len(n.firing)}" if n.status == "firing" else "")
    group = " ".join(v for _, v in sorted(n.group_labels.items()))
    text = f"[{head}] {group} "
    common = n.common_labels
    if len(common) > len(n.group_labels):
        rest = [v for k, v in sorted(common.items()) if k not in n.group_labels]
        text += "(" + " ".join(rest) + ")"
    return text


def alertmanager_url(n: Notification) -> str:
    return f"{n.external_url}/#/alerts?receiver={quote(n.receiver, safe='')}"


def instances(n: Notification, firing: bool) -> str:
    """``pagerduty.default.instances``."""
    lines = []
    for a in (n.firing if firing else n.resolved):
        labels = "\n".join(f" - {k} = {v}" for k, v in sorted(a.labels.items()))
        notes = "\n".join(f" - {k} = {v}" for k, v in sorted(a.annotations.items()))
        lines.append(f"Labels:\n{labels}\nAnnotations:\n{notes}\nSource: {a.generator_url}\n")
    return "".join(lines)


def text_body(n: Notification) -> str:
    """otelpy's plain-text email body."""
    out = [subject(n), *([n.incident_line()] if n.incident_line() else []), ""]
    for title, group in (("Firing", n.firing), ("Resolved", n.resolved)):
        if group:
            out.append(f"{len(group)} alert(s) {title.lower()}:")
            for a in group:
                out.append("  " + ", ".join(f"{k}={v}" for k, v in sorted(a.labels.items())))
                out += [f"    {k}: {v}" for k, v in sorted(a.annotations.items())]
    return "\n".join(out) + "\n"


def html_body(n: Notification) -> str:
    from html import escape
    rows = []
    for a in n.alerts:
        labels = "<br>".join(escape(f"{k} = {v}") for k, v in sorted(a.labels.items()))
        notes = "<br>".join(escape(f"{k}: {v}") for k, v in sorted(a.annotations.items()))
        rows.append(f"<tr><td>{escape(a.status(n.now))}</td><td>{labels}</td>"
                    f"<td>{notes}</td></tr>")
    return (f"<html><body><h2>{escape(subject(n))}</h2><table>"
            f"<tr><th>Status</th><th>Labels</th><th>Annotations</th></tr>{''.join(rows)}"
            f"</table><p><a href=\"{escape(alertmanager_url(n))}\">View</a></p>"
            "</body></html>")


def alert_list_markdown(n: Notification) -> str:
    """``msteams.default.text``: the firing and resolved alerts with labels and
    annotations, in markdown."""
    out = []
    for title, group in (("Alerts Firing", n.firing), ("Alerts Resolved", n.resolved)):
        if not group:
            continue
        out.append(f"# {title}:")
        for a in group:
            out.append("Labels:")
            out += [f"  - {k} = {v}" for k, v in sorted(a.labels.items())]
            out.append("Annotations:")
            out += [f"  - {k} = {v}" for k, v in sorted(a.annotations.items())]
            out.append(f"Source: {a.generator_url}\n")
    return "\n".join(out)


def opsgenie_description(n: Notification) -> str:
    """``opsgenie.default.description``: common annotations, then the alerts."""
    common = " ".join(v for _, v in sorted(n.common_annotations.items()))
    parts = [common] if common else []
    for title, firing in (("Alerts Firing", True), ("Alerts Resolved", False)):
        text = instances(n, firing)
        if text:
            parts.append(f"{title}:\n{text}")
    return "\n".join(parts)


_DEFAULTS: dict[str, Any] = {
    "slack.default.title": subject, "__subject": subject,
    "slack.default.username": lambda n: "Alertmanager",
    "pagerduty.default.client": lambda n: "Alertmanager",
    "slack.default.titlelink": alertmanager_url, "pagerduty.default.clientURL": alertmanager_url,
    "slack.default.text": lambda n: "", "pagerduty.default.description": subject,
    "slack.default.fallback": lambda n: f"{subject(n)} | {alertmanager_url(n)}",
    "email.default.subject": subject, "email.default.html": html_body,
    "msteams.default.title": subject, "msteams.default.summary": subject,
    "msteams.default.text": alert_list_markdown,
    "opsgenie.default.message": subject, "opsgenie.default.description": opsgenie_description,
    "opsgenie.default.source": alertmanager_url,
}


def _default_name(text: str) -> str | None:
    body = text.strip()
    if body.startswith("{{") and body.endswith("}}"):
        words = body[2:-2].replace('"', " ").split()
        if len(words) == 3 and words[0] == "template" and words[2] == ".":
            return words[1] if words[1] in _DEFAULTS else None
    return None


class Templater:
    """Compiles each distinct text once; ``render`` raises TemplateError."""

    def __init__(self) -> None:
        self._cache: dict[str, Template | str] = {}

    def check(self, text: str) -> None:
        self._compile(text)

    def _compile(self, text: str) -> Template | str:
        got = self._cache.get(text)
        if got is None:
            name = _default_name(text)
            got = name if name is not None else Template(text, {
                "join": lambda sep, items: sep.join(str(i) for i in items),
                "urlquery": lambda s: quote(str(s), safe=""),
                "safeHtml": str, "trimSpace": lambda s: str(s).strip()})
            self._cache[text] = got
        return got

    def render(self, text: str, n: Notification) -> str:
        if "{{" not in text:
            return text
        compiled = self._compile(text)
        if isinstance(compiled, str):
            return str(_DEFAULTS[compiled](n))
        data = n.template_data()
        return compiled.expand({"$": data}, data)

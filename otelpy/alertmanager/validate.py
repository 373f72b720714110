"""Checks Alertmanager makes when it loads a config, and reading ``alertmanager.yml`` from a
file with every problem placed at ``file:line:column: yaml::path``."""

from __future__ import annotations

import re
from pathlib import Path as FsPath
from typing import Any

from pydantic import ValidationError

from otelpy.alertmanager.config import (
    UNSUPPORTED_RECEIVERS,
    AlertmanagerConfig,
    InhibitRule,
    Receiver,
    RouteConfig,
)
from otelpy.alertmanager.labels import Matcher, MatcherError, parse_matchers
from otelpy.alertmanager.routes import route_matchers
from otelpy.alertmanager.timeintervals import compile_interval
from otelpy.config.loader import parse_yaml
from otelpy.config.problems import Path, Position, format_path, nearest

__all__ = ["check", "load_file", "inhibit_matchers"]

Finding = tuple[Path, str]
_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


def inhibit_matchers(rule: InhibitRule, side: str) -> list[Matcher]:
    """One side (``source`` or ``target``) of a rule, old and new keys together."""
    out = [Matcher.make(k, "=", v) for k, v in getattr(rule, f"{side}_match").items()]
    out += [Matcher.make(k, "=~", v) for k, v in getattr(rule, f"{side}_match_re").items()]
    for text in getattr(rule, f"{side}_matchers"):
        out += parse_matchers(text)
    return out


def _check_route(r: RouteConfig, path: Path, names: set[str], intervals: set[str],
                 out: list[Finding]) -> None:
    if r.receiver and r.receiver not in names:
        out.append((path + ("receiver",), f'undefined receiver "{r.receiver}" used in route'))
    try:
        route_matchers(r)
    except MatcherError as exc:
        out.append((path + ("matchers",), str(exc)))
    if r.group_by is not None:
        if "..." in r.group_by and len(r.group_by) > 1:
            out.append((path + ("group_by",), "cannot have wildcard group_by (`...`) and "
                        "other labels at the same time"))
        for i, g in enumerate(r.group_by):
            if g != "..." and not _LABEL.match(g):
                out.append((path + ("group_by", i), f"invalid label name {g!r}"))
        if len(set(r.group_by)) != len(r.group_by):
            out.append((path + ("group_by",), "duplicated label in group_by"))
    for key in ("mute_time_intervals", "active_time_intervals"):
        for i, name in enumerate(getattr(r, key)):
            if name not in intervals:
                out.append((path + (key, i), f'undefined time interval "{name}" used in route'))
    if r.group_interval == 0:
        out.append((path + ("group_interval",), "group_interval cannot be zero"))
    if r.repeat_interval == 0:
        out.append((path + ("repeat_interval",), "repeat_interval cannot be zero"))
    for i, child in enumerate(r.routes):
        _check_route(child, path + ("routes", i), names, intervals, out)


def _check_receiver(rc: Receiver, cfg: AlertmanagerConfig, path: Path,
                    out: list[Finding]) -> None:
    for key in UNSUPPORTED_RECEIVERS:
        if getattr(rc, key):
            out.append((path + (key,), f"{key} is not supported by otelpy (supported: "
                        "webhook, slack, pagerduty, email, opsgenie, msteams)"))
    for i, w in enumerate(rc.webhook_configs):
        if not w.url:
            out.append((path + ("webhook_configs", i, "url"), "one of url or url_file must "
                        "be configured"))
    for i, s in enumerate(rc.slack_configs):
        if not s.api_url and not cfg.global_.slack_api_url:
            out.append((path + ("slack_configs", i, "api_url"), "no global Slack API URL "
                        "set either inline or in a file"))
    for i, p in enumerate(rc.pagerduty_configs):
        if p.service_key:
            out.append((path + ("pagerduty_configs", i, "service_key"), "service_key "
                        "(Events API v1) is not supported by otelpy: use routing_key"))
        elif not p.routing_key:
            out.append((path + ("pagerduty_configs", i), "missing service or routing key "
                        "in PagerDuty config"))
    g = cfg.global_
    for i, t in enumerate(rc.msteams_configs):
        if not t.webhook_url:
            out.append((path + ("msteams_configs", i, "webhook_url"), "one of webhook_url or "
                        "webhook_url_file must be configured"))
    for i, o in enumerate(rc.opsgenie_configs):
        if not (o.api_key or g.opsgenie_api_key):
            out.append((path + ("opsgenie_configs", i, "api_key"), "no global opsgenie_api_key "
                        "set either inline or in a file"))
        for j, r in enumerate(o.responders):
            if not (r.id or r.name or r.username):
                out.append((path + ("opsgenie_configs", i, "responders", j), "opsGenieConfig "
                            "responder 0 has to have at least one of id, username or name "
                            "specified".replace(" 0 ", f" {j} ")))
    for i, e in enumerate(rc.email_configs):
        where = path + ("email_configs", i)
        if not e.to:
            out.append((where + ("to",), "missing to address in email config"))
        if not (e.smarthost or g.smtp_smarthost):
            out.append((where + ("smarthost",), "no global SMTP smarthost set"))
        if not (e.from_ or g.smtp_from):
            out.append((where + ("from",), "no global SMTP from set"))


def check(cfg: AlertmanagerConfig, root: Path = ()) -> list[Finding]:
    """Every problem of a parsed config, as (YAML path, message)."""
    out: list[Finding] = []
    names = [r.name for r in cfg.receivers]
    for i, name in enumerate(names):
        if names.index(name) != i:
            out.append((root + ("receivers", i, "name"), f'notification config name "{name}" '
                        "is not unique"))
    intervals: set[str] = set()
    for key in ("time_intervals", "mute_time_intervals"):
        for i, ti in enumerate(getattr(cfg, key)):
            if ti.name in intervals:
                out.append((root + (key, i, "name"), f'time interval "{ti.name}" is not '
                            "unique"))
            intervals.add(ti.name)
            try:
                compile_interval(ti)
            except ValueError as exc:
                out.append((root + (key, i), str(exc)))
    if cfg.route is None:
        out.append((root, 'missing required key "route"'))
    else:
        r = cfg.route
        if not r.receiver:
            out.append((root + ("route", "receiver"), "root route must specify a default "
                        "receiver"))
        if r.matchers or r.match or r.match_re:
            out.append((root + ("route",), "root route must not have any matchers"))
        if r.continue_:
            out.append((root + ("route", "continue"), "cannot have continue in root route"))
        if r.mute_time_intervals or r.active_time_intervals:
            out.append((root + ("route",), "root route must not have any mute time "
                        "intervals"))
        _check_route(r, root + ("route",), set(names), intervals, out)
    for i, rc in enumerate(cfg.receivers):
        _check_receiver(rc, cfg, root + ("receivers", i), out)
    for i, rule in enumerate(cfg.inhibit_rules):
        for side in ("source", "target"):
            try:
                inhibit_matchers(rule, side)
            except MatcherError as exc:
                out.append((root + ("inhibit_rules", i, f"{side}_matchers"), str(exc)))
    if cfg.templates:
        out.append((root + ("templates",), "template files are not supported by otelpy: "
                    "write the templates inline in the receivers' fields"))
    if cfg.global_.smtp_auth_secret:
        out.append((root + ("global", "smtp_auth_secret"), "CRAM-MD5 is not supported"))
    return out


def _pydantic_findings(exc: ValidationError, value: Any) -> list[Finding]:
    out: list[Finding] = []
    for e in exc.errors():
        path: list[str | int] = []
        cur = value
        for el in e["loc"]:
            if isinstance(cur, dict) and el in cur:
                path.append(el)
                cur = cur[el]
            elif isinstance(cur, list) and isinstance(el, int) and el < len(cur):
                path.append(el)
                cur = cur[el]
        key = str(e["loc"][-1]) if e["loc"] else ""
        msg = {"extra_forbidden": f'unknown key "{key}"',
               "missing": f'missing required key "{key}"'}.get(e["type"], e["msg"])
        out.append((tuple(path), msg.removeprefix("Value error, ")))
    return out


def load_file(path: str) -> tuple[AlertmanagerConfig | None, list[str]]:
    """Read and check an ``alertmanager.yml``; problems as ``file:line:col: path: msg``."""
    try:
        text = FsPath(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [f"{path}: cannot read: {exc}"]
    parsed = parse_yaml(text, path)
    if parsed.problems:
        return None, [str(p) for p in parsed.problems]
    value = parsed.value if parsed.value is not None else {}
    if not isinstance(value, dict):
        return None, [f"{path}:1:1: expected a mapping at the top"]
    try:
        cfg = AlertmanagerConfig.model_validate(value)
    except ValidationError as exc:
        findings = _pydantic_findings(exc, value)
        return None, _place(findings, parsed.positions, path)
    return cfg, _place(check(cfg), parsed.positions, path)


def _place(findings: list[Finding], positions: dict[Path, Position], source: str) -> list[str]:
    out = []
    for p, msg in findings:
        pos = nearest(positions, p) or Position(source, 1, 1)
        out.append(f"{pos}: {format_path(p)}: {msg}" if p else f"{pos}: {msg}")
    return out

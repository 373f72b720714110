"""Microsoft Teams and Opsgenie notifications to local servers standing in for the vendors,
each checking the request against the vendor's documented format: Teams' MessageCard
(``@context``, ``type``, ``title``, ``summary``, ``text``, ``themeColor``) and Opsgenie's
Alert API v2 (create with ``alias``, ``message`` of at most 130 characters, ``priority``
P1-P5, ``GenieKey`` authorization; close by alias). The keys and webhook URL never appear in
logs."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web
from jsonschema import Draft202012Validator

from otelpy.testing.polling import until
from otelpy.testing.webapp import serve_app
from tests.exporters.notify.harness import alert_batch, running

MESSAGE_CARD = {
    "type": "object", "additionalProperties": False,
    "required": ["@context", "type", "title", "text"],
    "properties": {"@context": {"const": "http://schema.org/extensions"},
                   "type": {"const": "MessageCard"}, "title": {"type": "string"},
                   "summary": {"type": "string"}, "text": {"type": "string", "minLength": 1},
                   "themeColor": {"type": "string", "pattern": "^[0-9A-Fa-f]{6}$"}}}
OPSGENIE_CREATE = {
    "type": "object", "additionalProperties": False, "required": ["message"],
    "properties": {
        "message": {"type": "string", "minLength": 1, "maxLength": 130},
        "alias": {"type": "string", "maxLength": 512},
        "description": {"type": "string", "maxLength": 15000},
        "responders": {"type": "array", "items": {
            "type": "object", "required": ["type"],
            "properties": {"type": {"enum": ["team", "user", "escalation", "schedule"]}}}},
        "visibleTo": {"type": "array"}, "actions": {"type": "array", "maxItems": 10},
        "tags": {"type": "array", "maxItems": 20}, "details": {"type": "object"},
        "entity": {"type": "string", "maxLength": 512},
        "source": {"type": "string", "maxLength": 100},
        "priority": {"enum": ["P1", "P2", "P3", "P4", "P5"]},
        "user": {"type": "string"}, "note": {"type": "string"}}}
API_KEY = "00000000-1111-2222-3333-SECRETKEY000"


class Vendors:
    def __init__(self) -> None:
        self.got: dict[str, list[tuple[str, dict[str, Any], Any]]] = {"teams": [], "genie": []}
        self.invalid: list[str] = []

    def check(self, schema: dict[str, Any], body: Any, what: str) -> None:
        self.invalid += [f"{what}: {e.message}"
                         for e in Draft202012Validator(schema).iter_errors(body)]

    async def teams(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.check(MESSAGE_CARD, body, "teams")
        self.got["teams"].append((request.path, dict(request.query), body))
        return web.Response(text="1")

    async def genie(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"GenieKey {API_KEY}":
            return web.json_response({"message": "Could not authenticate"}, status=401)
        body = await request.json()
        if request.path == "/v2/alerts":
            self.check(OPSGENIE_CREATE, body, "opsgenie create")
        self.got["genie"].append((request.path, dict(request.query), body))
        return web.json_response({"result": "Request will be processed", "took": 0.1,
                                  "requestId": "r-1"}, status=202)


@asynccontextmanager
async def vendors() -> AsyncIterator[tuple[Vendors, str]]:
    v = Vendors()
    app = web.Application()
    app.router.add_post("/webhookb2/{secret:.*}", v.teams)
    app.router.add_post("/v2/alerts{rest:.*}", v.genie)
    async with serve_app(app) as url:
        yield v, url


ROUTE = {"receiver": "ops", "group_by": ["alertname"], "group_wait": "30s",
         "group_interval": "1m", "repeat_interval": "4h"}
DISK = {"labels": {"alertname": "DiskFull", "severity": "critical", "host": "db1"},
        "annotations": {"summary": "disk 97% full"}}


async def test_teams_message_card_firing_red_then_resolved_green(
        caplog: pytest.LogCaptureFixture) -> None:
    async with vendors() as (v, url):
        doc = {"route": ROUTE, "receivers": [{"name": "ops", "msteams_configs": [{
            "webhook_url": f"{url}/webhookb2/abc/IncomingWebhook/SECRETPATH"}]}],
            "rate_limits": {"msteams": 0}}
        async with running(doc) as run:
            await run.exporter.consume_logs(alert_batch(DISK))
            await run.clock.advance(30)
            await until(lambda: len(v.got["teams"]) == 1, within=30)
            card = v.got["teams"][0][2]
            assert card["themeColor"] == "8C1A1A"
            assert card["title"].startswith("[FIRING:1] DiskFull")
            assert "# Alerts Firing:" in card["text"] and "summary = disk 97% full" in \
                card["text"]
            await run.exporter.consume_logs(alert_batch({**DISK, "state": "resolved"}))
            await run.clock.advance(60)
            await until(lambda: len(v.got["teams"]) == 2, within=30)
            resolved = v.got["teams"][1][2]
            assert resolved["themeColor"] == "2DC72D" and resolved["title"].startswith(
                "[RESOLVED] DiskFull")
    assert v.invalid == []
    assert "SECRETPATH" not in caplog.text


async def test_opsgenie_create_with_alias_priority_tags_then_close(
        caplog: pytest.LogCaptureFixture) -> None:
    async with vendors() as (v, url):
        doc = {"route": ROUTE, "receivers": [{"name": "ops", "opsgenie_configs": [{
            "api_key": API_KEY, "api_url": url + "/",
            "message": "{{ .CommonLabels.alertname }} on {{ .CommonLabels.host }} " + "x" * 200,
            "priority": '{{ if eq .CommonLabels.severity "critical" }}P1{{ else }}P3{{ end }}',
            "tags": "db, {{ .CommonLabels.severity }}",
            "responders": [{"name": "dba", "type": "team"}],
            "details": {"runbook": "https://runbooks/disk"}}]}],
            "rate_limits": {"opsgenie": 0}}
        async with running(doc) as run:
            await run.exporter.consume_logs(alert_batch(DISK))
            await run.clock.advance(30)
            await until(lambda: len(v.got["genie"]) == 1, within=30)
            path, _, create = v.got["genie"][0]
            alias = hashlib.sha256(b'{}:{alertname="DiskFull"}').hexdigest()
            assert path == "/v2/alerts" and create["alias"] == alias
            assert create["message"].startswith("DiskFull on db1 ") and \
                len(create["message"]) == 130
            assert create["priority"] == "P1" and create["tags"] == ["db", "critical"]
            assert create["responders"] == [{"name": "dba", "type": "team"}]
            assert create["details"] == {"alertname": "DiskFull", "severity": "critical",
                                         "host": "db1", "runbook": "https://runbooks/disk"}
            assert "disk 97% full" in create["description"]
            await run.exporter.consume_logs(alert_batch({**DISK, "state": "resolved"}))
            await run.clock.advance(60)
            await until(lambda: len(v.got["genie"]) == 2, within=30)
            path, query, close = v.got["genie"][1]
            assert (path, query) == (f"/v2/alerts/{alias}/close", {"identifierType": "alias"})
            assert set(close) == {"source"}
    assert v.invalid == []
    assert "SECRETKEY" not in caplog.text


async def test_opsgenie_bad_priority_fails_permanently_and_config_is_checked() -> None:
    from otelpy.exporters.notify.config import NotifyConfig

    async with vendors() as (v, url):
        doc = {"route": ROUTE, "receivers": [{"name": "ops", "opsgenie_configs": [{
            "api_key": API_KEY, "api_url": url, "priority": "urgent"}]}],
            "rate_limits": {"opsgenie": 0}}
        async with running(doc) as run:
            await run.exporter.consume_logs(alert_batch(DISK))
            await run.clock.advance(30)
            stats = run.exporter.am.pipeline.stats
            await until(lambda: stats.failed.get("opsgenie") == 1, within=30)
            assert v.got["genie"] == []
    missing = NotifyConfig.model_validate({"route": ROUTE, "receivers": [
        {"name": "ops", "opsgenie_configs": [{}], "msteams_configs": [{}]}]})
    problems = " ".join(missing.validate_config())
    assert "no global opsgenie_api_key" in problems and "webhook_url" in problems

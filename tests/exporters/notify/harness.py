"""Test support for the notify exporter: local HTTP servers standing in for Slack, PagerDuty,
webhooks and an Alertmanager API, each checking the documented payload schema and able to
answer 429 with Retry-After once; alert events as log batches; an exporter on a FakeClock
with the status extension serving its API over real HTTP."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web
from jsonschema import Draft202012Validator

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.exporters.notify.config import NotifyConfig
from otelpy.exporters.notify.exporter import NotifyExporter
from otelpy.extensions.status import StatusConfig, StatusExtension
from otelpy.extensions.status import factory as status_factory
from otelpy.pdata.build import RequestBuilder
from otelpy.pdata.values import Attributes
from otelpy.telemetry import Telemetry
from otelpy.testing.clock import FakeClock
from otelpy.testing.process import free_port
from otelpy.testing.sink import FakeHost
from otelpy.testing.webapp import serve_app

TEXT = {"type": "object", "required": ["type", "text"], "additionalProperties": False,
        "properties": {"type": {"enum": ["mrkdwn", "plain_text"]},
                       "text": {"type": "string", "minLength": 1, "maxLength": 3000}}}

# Slack incoming webhooks: text and/or blocks and/or legacy attachments
SLACK_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    "anyOf": [{"required": ["text"]}, {"required": ["blocks"]}, {"required": ["attachments"]}],
    "properties": {
        "text": {"type": "string"}, "channel": {"type": "string"},
        "username": {"type": "string"}, "icon_emoji": {"type": "string"},
        "icon_url": {"type": "string"}, "link_names": {"type": "boolean"},
        "blocks": {"type": "array", "maxItems": 50, "items": {
            "type": "object", "required": ["type"],
            "properties": {"type": {"enum": ["section", "divider", "header", "context"]},
                           "text": TEXT}}},
        "attachments": {"type": "array", "maxItems": 100, "items": {
            "type": "object", "additionalProperties": False,
            "properties": {
                "color": {"type": "string", "pattern": "^(good|warning|danger|#[0-9a-fA-F]{6})$"},
                "fallback": {"type": "string"}, "title": {"type": "string"},
                "title_link": {"type": "string"}, "pretext": {"type": "string"},
                "text": {"type": "string"}, "footer": {"type": "string"},
                "mrkdwn_in": {"type": "array", "items": {
                    "enum": ["pretext", "text", "fields", "fallback"]}},
                "fields": {"type": "array", "items": {
                    "type": "object", "required": ["title", "value"],
                    "properties": {"title": {"type": "string"}, "value": {"type": "string"},
                                   "short": {"type": "boolean"}}}}}}}}}

# PagerDuty Events API v2 (POST /v2/enqueue)
PAGERDUTY_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    "required": ["routing_key", "event_action"],
    "properties": {
        "routing_key": {"type": "string", "minLength": 32, "maxLength": 32},
        "event_action": {"enum": ["trigger", "acknowledge", "resolve"]},
        "dedup_key": {"type": "string", "minLength": 1, "maxLength": 255},
        "client": {"type": "string"}, "client_url": {"type": "string"},
        "links": {"type": "array"}, "images": {"type": "array"},
        "payload": {
            "type": "object", "additionalProperties": False,
            "required": ["summary", "source", "severity"],
            "properties": {
                "summary": {"type": "string", "minLength": 1, "maxLength": 1024},
                "source": {"type": "string", "minLength": 1},
                "severity": {"enum": ["critical", "error", "warning", "info"]},
                "timestamp": {"type": "string"}, "component": {"type": "string"},
                "group": {"type": "string"}, "class": {"type": "string"},
                "custom_details": {"type": "object"}}}},
    "allOf": [
        {"if": {"properties": {"event_action": {"const": "trigger"}}},
         "then": {"required": ["payload"]}},
        {"if": {"properties": {"event_action": {"enum": ["acknowledge", "resolve"]}}},
         "then": {"required": ["dedup_key"]}}]}

# Alertmanager API v2 postableAlerts
AM_ALERTS_SCHEMA: dict[str, Any] = {
    "type": "array", "items": {
        "type": "object", "additionalProperties": False, "required": ["labels"],
        "properties": {"labels": {"type": "object", "minProperties": 1,
                                  "additionalProperties": {"type": "string"}},
                       "annotations": {"type": "object",
                                       "additionalProperties": {"type": "string"}},
                       "startsAt": {"type": "string", "format": "date-time"},
                       "endsAt": {"type": "string", "format": "date-time"},
                       "generatorURL": {"type": "string"}}}}

ROUTING_KEY = "0123456789abcdef0123456789abcdef"


@dataclass
class Delivery:
    body: Any
    at: float  # the FakeClock's monotonic time when it arrived


class Endpoints:
    """``/slack/{secret}``, ``/pagerduty/v2/enqueue``, ``/hook/{name}``: bodies that pass
    the schema land in ``got[kind]``; the rest in ``invalid``. ``throttle[kind] = seconds``
    answers the next request of that kind 429 with that Retry-After."""

    def __init__(self, clock: FakeClock | None = None) -> None:
        self.clock = clock
        self.got: dict[str, list[Delivery]] = defaultdict(list)
        self.attempts: dict[str, int] = defaultdict(int)
        self.invalid: list[str] = []
        self.throttle: dict[str, float] = {}
        self.url = ""

    def bodies(self, kind: str) -> list[Any]:
        return [d.body for d in self.got[kind]]

    async def _take(self, kind: str, request: web.Request,
                    schema: dict[str, Any] | None) -> web.Response | None:
        self.attempts[kind] += 1
        if kind in self.throttle:
            return web.Response(status=429, text="rate limited",
                                headers={"Retry-After": f"{self.throttle.pop(kind):g}"})
        body = await request.json()
        if schema is not None:
            errors = [e.message for e in Draft202012Validator(schema).iter_errors(body)]
            if errors:
                self.invalid.append(f"{kind}: {errors}")
                return web.Response(status=400, text="invalid_payload")
        at = self.clock.monotonic() if self.clock is not None else 0.0
        self.got[kind].append(Delivery(body, at))
        return None

    async def slack(self, request: web.Request) -> web.Response:
        return await self._take("slack", request, SLACK_SCHEMA) or web.Response(text="ok")

    async def pagerduty(self, request: web.Request) -> web.Response:
        failed = await self._take("pagerduty", request, PAGERDUTY_SCHEMA)
        if failed is not None:
            return failed
        key = self.got["pagerduty"][-1].body.get("dedup_key", "")
        return web.json_response({"status": "success", "message": "Event processed",
                                  "dedup_key": key}, status=202)

    async def alertmanager(self, request: web.Request) -> web.Response:
        return await self._take("am", request, AM_ALERTS_SCHEMA) or web.json_response({})

    async def hook(self, request: web.Request) -> web.Response:
        name = "hook/" + request.match_info["name"]
        return await self._take(name, request, None) or web.Response(text="ok")


@asynccontextmanager
async def endpoints(clock: FakeClock | None = None) -> AsyncIterator[Endpoints]:
    ep = Endpoints(clock)
    app = web.Application()
    app.router.add_post("/slack/{secret:.*}", ep.slack)
    app.router.add_post("/pagerduty/v2/enqueue", ep.pagerduty)
    app.router.add_post("/hook/{name}", ep.hook)
    app.router.add_post("/am/api/v2/alerts", ep.alertmanager)
    async with serve_app(app) as url:
        ep.url = url
        yield ep


def alert_batch(*alerts: dict[str, Any]) -> Any:
    """Log records that are alert events: each dict has ``labels`` and optionally
    ``state``, ``annotations``, ``startsAt``, ``endsAt``, ``value``, ``series``."""
    b = RequestBuilder(Signal.LOGS)
    scope = b.scope({"service.name": "alerting"})
    for a in alerts:
        rec = scope.log_records.add()
        attrs = Attributes(rec.attributes)
        attrs["event.name"] = "alert"
        for key in ("state", "annotations", "startsAt", "endsAt", "value", "series"):
            if key in a:
                attrs[key] = a[key]
        attrs["labels"] = a["labels"]
    return b.batch()


@dataclass
class Running:
    exporter: NotifyExporter
    clock: FakeClock
    api: str  # http://127.0.0.1:port/api
    session: aiohttp.ClientSession
    telemetry: Telemetry


@asynccontextmanager
async def running(doc: dict[str, Any], clock: FakeClock | None = None,
                  host: FakeHost | None = None) -> AsyncIterator[Running]:
    """The exporter built from ``doc`` on a FakeClock, started with a status extension
    serving /api on a free port."""
    clock = clock or FakeClock()
    cfg = NotifyConfig.model_validate(doc)
    problems = cfg.validate_config()
    assert problems == [], problems
    telemetry = Telemetry()
    host = host or FakeHost()
    port = free_port()
    status = status_factory.create(
        Settings(ComponentID("status"), Kind.EXTENSION, logging.getLogger("status"), telemetry),
        StatusConfig.model_validate({"endpoint": f"127.0.0.1:{port}"}))
    assert isinstance(status, StatusExtension)
    await status.start(host)
    exp = NotifyExporter(Settings(ComponentID("notify"), Kind.EXPORTER,
                                  logging.getLogger("notify"), telemetry, clock), cfg)
    await exp.start(host)
    try:
        async with aiohttp.ClientSession() as session:
            yield Running(exp, clock, f"http://127.0.0.1:{port}/api", session, telemetry)
    finally:
        await exp.shutdown()
        await status.shutdown()

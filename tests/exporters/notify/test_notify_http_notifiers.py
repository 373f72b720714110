"""Slack and PagerDuty notifications to local HTTP servers that check the documented payload
schemas and answer 429 with Retry-After once: the retry waits exactly that long on the
exporter's clock; then the resolved message."""

from __future__ import annotations

import asyncio
import hashlib

import pytest

from otelpy.testing.polling import until
from otelpy.testing.webapp import serve_app
from tests.exporters.notify.harness import ROUTING_KEY, alert_batch, endpoints, running

ROUTE = {"receiver": "oncall", "group_by": ["alertname"], "group_wait": "30s",
         "group_interval": "1m", "repeat_interval": "4h"}
CRITICAL = {"labels": {"alertname": "ApiDown", "severity": "critical", "service": "api"},
            "annotations": {"summary": "API is down", "runbook_url": "https://runbooks/api"},
            "value": 97.5}


async def test_slack_blocks_colour_mentions_retry_after_and_resolved() -> None:
    async with endpoints() as ep:
        doc = {"route": ROUTE, "receivers": [{"name": "oncall", "slack_configs": [{
            "api_url": f"{ep.url}/slack/T000/B000/XXXXSECRET", "send_resolved": True,
            "channel": "#alerts", "mentions": ["<!here>"]}]}],
            "rate_limits": {"slack": 0}}
        async with running(doc) as run:
            ep.clock = run.clock
            ep.throttle["slack"] = 7
            await run.exporter.consume_logs(alert_batch(CRITICAL))
            await run.clock.advance(30)
            await until(lambda: ep.attempts["slack"] == 1, within=30)
            await run.clock.advance(6)
            await asyncio.sleep(0.3)
            assert ep.attempts["slack"] == 1, "retried before Retry-After elapsed"
            await run.clock.advance(1.5)
            await until(lambda: len(ep.got["slack"]) == 1, within=30)
            assert ep.got["slack"][0].at >= 37.0
            body = ep.got["slack"][0].body
            att = body["attachments"][0]
            assert att["color"] == "#d63232"
            assert att["title"].startswith("[FIRING:1] ApiDown")
            assert body["text"] == "<!here>"  # Alertmanager's default text is empty
            assert body["channel"] == "#alerts"
            section = body["blocks"][0]["text"]["text"].split("\n")
            assert section[0].startswith("*[FIRING:1] ApiDown")
            assert section[1:] == ["<!here>", "• firing: API is down (value 97.5) "
                                   "<https://runbooks/api|runbook>"]

            resolved = {**CRITICAL, "state": "resolved"}
            await run.exporter.consume_logs(alert_batch(resolved))
            await run.clock.advance(60)
            await until(lambda: len(ep.got["slack"]) == 2, within=30)
            body = ep.got["slack"][1].body
            assert body["attachments"][0]["color"] == "#2eb67d"
            assert body["attachments"][0]["title"].startswith("[RESOLVED] ApiDown")
            assert "<!here>" not in body["text"]
            assert ep.invalid == []
            assert ep.attempts["slack"] == 3


async def test_pagerduty_trigger_then_resolve_with_dedup_key_and_retry_after() -> None:
    async with endpoints() as ep:
        doc = {"route": ROUTE, "receivers": [{"name": "oncall", "pagerduty_configs": [{
            "routing_key": ROUTING_KEY, "url": f"{ep.url}/pagerduty/v2/enqueue"}]}],
            "external_url": "http://otelpy.example:9093"}
        async with running(doc) as run:
            ep.throttle["pagerduty"] = 12
            warning = {"labels": {"alertname": "ApiDown", "severity": "warning",
                                  "service": "web"}}
            await run.exporter.consume_logs(alert_batch(CRITICAL, warning))
            await run.clock.advance(30)
            await until(lambda: ep.attempts["pagerduty"] == 1, within=30)
            await run.clock.advance(11)
            await asyncio.sleep(0.3)
            assert ep.attempts["pagerduty"] == 1
            await run.clock.advance(1.5)
            await until(lambda: len(ep.got["pagerduty"]) == 1, within=30)
            trigger = ep.bodies("pagerduty")[0]
            assert trigger["event_action"] == "trigger"
            assert trigger["routing_key"] == ROUTING_KEY
            group_key = '{}:{alertname="ApiDown"}'
            assert trigger["dedup_key"] == hashlib.sha256(group_key.encode()).hexdigest()
            assert trigger["payload"]["severity"] == "critical"  # the worst of the group
            assert trigger["payload"]["summary"].startswith("[FIRING:2] ApiDown")
            assert trigger["payload"]["custom_details"]["num_firing"] == "2"
            assert trigger["client_url"] == "http://otelpy.example:9093/#/alerts?receiver=oncall"

            await run.exporter.consume_logs(alert_batch(
                {**CRITICAL, "state": "resolved"}, {**warning, "state": "resolved"}))
            await run.clock.advance(60)
            await until(lambda: len(ep.got["pagerduty"]) == 2, within=30)
            resolve = ep.bodies("pagerduty")[1]
            assert resolve == {"routing_key": ROUTING_KEY, "event_action": "resolve",
                               "dedup_key": trigger["dedup_key"]}
            assert ep.invalid == []


async def test_pagerduty_acknowledge_once_every_firing_alert_of_the_group_is_acked() -> None:
    from otelpy.alertmanager.labels import fingerprint_hex

    api = CRITICAL["labels"]
    web = {"alertname": "ApiDown", "severity": "critical", "service": "web"}
    async with endpoints() as ep:
        doc = {"route": ROUTE, "receivers": [{"name": "oncall", "pagerduty_configs": [{
            "routing_key": ROUTING_KEY, "url": f"{ep.url}/pagerduty/v2/enqueue"}]}],
            "escalation": {"timeout_minutes": 60, "severities": {"critical": ["oncall"]}}}
        async with running(doc) as run:
            await run.exporter.consume_logs(alert_batch(CRITICAL, {"labels": web}))
            await run.clock.advance(30)
            await until(lambda: len(ep.got["pagerduty"]) == 1, within=30)
            trigger = ep.bodies("pagerduty")[0]

            async def ack(labels: dict[str, str]) -> int:
                url = f"{run.api}/alerts/{fingerprint_hex(labels)}/ack"
                async with run.session.post(url, json={"by": "bob"}) as resp:
                    assert resp.status == 200
                    told: int = (await resp.json())["integrationsTold"]
                    return told

            assert await ack(api) == 0  # web is still unacknowledged: the page stays open
            assert len(ep.got["pagerduty"]) == 1
            assert await ack(web) == 1
            await run.clock.advance(1)  # the per-integration rate limit waits on the clock
            await until(lambda: len(ep.got["pagerduty"]) == 2, within=30)
            assert ep.bodies("pagerduty")[1] == {
                "routing_key": ROUTING_KEY, "event_action": "acknowledge",
                "dedup_key": trigger["dedup_key"]}
            assert ep.invalid == []


async def test_slack_chat_post_message_with_a_bot_token_and_its_ok_false_answers(
        caplog: pytest.LogCaptureFixture) -> None:
    """The Web API answers HTTP 200 with {"ok": false, "error": ...} for a bad channel: that
    notification fails (permanently, logged and counted), the next one with a good channel
    is delivered; the bearer token reaches Slack and is never logged."""
    from aiohttp import web

    got: list[tuple[str, dict[str, object]]] = []

    async def post_message(request: web.Request) -> web.Response:
        body = await request.json()
        got.append((request.headers.get("Authorization", ""), body))
        if body.get("channel") != "#alerts":
            return web.json_response({"ok": False, "error": "channel_not_found"})
        return web.json_response({"ok": True, "channel": "C123", "ts": "1.2"})

    app = web.Application()
    app.router.add_post("/api/chat.postMessage", post_message)
    token = "xoxb-0000-SECRETTOKEN"
    async with serve_app(app) as url:
        await _post_messages(url, token, got, caplog)


async def _post_messages(url: str, token: str, got: list[tuple[str, dict[str, object]]],
                         caplog: pytest.LogCaptureFixture) -> None:
    slack = {"api_url": f"{url}/api/chat.postMessage",
             "http_config": {"authorization": {"credentials": token}}}
    doc = {"route": {**ROUTE, "routes": [
               {"matchers": ['service="api"'], "receiver": "wrong"}]},
           "receivers": [{"name": "oncall", "slack_configs": [{**slack, "channel": "#alerts"}]},
                         {"name": "wrong", "slack_configs": [{**slack, "channel": "#nope"}]}],
           "rate_limits": {"slack": 0}}
    async with running(doc) as run:
        web_alert = {"labels": {"alertname": "WebDown", "severity": "warning",
                                "service": "web"}}
        await run.exporter.consume_logs(alert_batch(CRITICAL, web_alert))
        await run.clock.advance(30)
        await until(lambda: len(got) == 2, within=30)
        stats = run.exporter.am.pipeline.stats
        await until(lambda: sum(stats.failed.values()) == 1 and
                    sum(stats.sent.values()) == 1, within=30)
        assert {auth for auth, _ in got} == {f"Bearer {token}"}
        assert sorted(str(body["channel"]) for _, body in got) == ["#alerts", "#nope"]
        assert "Slack API refused the message: channel_not_found" in caplog.text
        assert "SECRETTOKEN" not in caplog.text

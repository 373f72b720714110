"""otelpy's notify exporter and a real Alertmanager 0.25 side by side: the same route tree,
the same alerts, each delivering to a local webhook; the notification groups (group labels,
alerts with their status, group status, group key) must agree."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.exporters.notify.config import NotifyConfig
from otelpy.exporters.notify.exporter import NotifyExporter
from otelpy.pdata.build import RequestBuilder
from otelpy.pdata.values import Attributes
from otelpy.telemetry import Telemetry
from otelpy.testing.polling import until
from otelpy.testing.sink import FakeHost
from tests.integration.amserver import AlertmanagerServer

pytestmark = pytest.mark.asyncio


class Hook:
    """A webhook receiver recording each POST body by path."""

    def __init__(self) -> None:
        self.got: dict[str, list[dict[str, Any]]] = {"am": [], "otelpy": []}
        self.times: dict[str, list[float]] = {"am": [], "otelpy": []}
        self.t0 = 0.0  # when the first alerts were sent
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        who = request.match_info["who"]
        self.got[who].append(await request.json())
        self.times[who].append(time.monotonic())
        return web.Response(text="ok")


@pytest.fixture
async def hook() -> AsyncIterator[Hook]:
    h = Hook()
    app = web.Application()
    app.router.add_post("/{who}", h.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    h.url = f"http://127.0.0.1:{port}"
    yield h
    await runner.cleanup()


def _iso(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).isoformat().replace("+00:00", "Z")


def _batch(alerts: list[dict[str, Any]]) -> Any:
    b = RequestBuilder(Signal.LOGS)
    scope = b.scope({"service.name": "test"})
    for a in alerts:
        rec = scope.log_records.add()
        attrs = Attributes(rec.attributes)
        attrs["event.name"] = "alert"
        attrs["state"] = "resolved" if a.get("endsAt") else "firing"
        attrs["labels"] = a["labels"]
        attrs["annotations"] = a.get("annotations", {})
        attrs["startsAt"] = a["startsAt"]
        if a.get("endsAt"):
            attrs["endsAt"] = a["endsAt"]
    return b.batch()


def _groups(bodies: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    out = []
    for b in bodies:
        alerts = tuple((json.dumps(a["labels"], sort_keys=True), a["status"], a["fingerprint"])
                       for a in b["alerts"])
        out.append((b["receiver"], b["status"], json.dumps(b["groupLabels"], sort_keys=True),
                    b["groupKey"], alerts, json.dumps(b["commonLabels"], sort_keys=True)))
    return sorted(out)


async def _side_by_side(tmp_path: Path, hook: Hook, am_doc: dict[str, Any],
                        steps: list[tuple[float, list[dict[str, Any]]]], settle: float,
                        expect_count: int) -> None:
    def with_url(who: str) -> dict[str, Any]:
        doc = json.loads(json.dumps(am_doc))
        for rc in doc["receivers"]:
            for w in rc.get("webhook_configs", []):
                w["url"] = f"{hook.url}/{who}"
        return doc
    am = AlertmanagerServer(tmp_path / "am", yaml.safe_dump(with_url("am")))
    cfg = NotifyConfig.model_validate(with_url("otelpy"))
    assert cfg.validate_config() == []
    settings = Settings(ComponentID("notify"), Kind.EXPORTER, logging.getLogger("notify"),
                        Telemetry())
    exp = NotifyExporter(settings, cfg)
    await exp.start(FakeHost())
    try:
        hook.t0 = time.monotonic()
        for delay, alerts in steps:
            await asyncio.sleep(delay)
            await asyncio.to_thread(am.post_alerts, alerts)
            await exp.consume_logs(_batch(alerts))
        await until(lambda: len(hook.got["am"]) >= expect_count, within=60.0)
        await until(lambda: len(hook.got["otelpy"]) >= expect_count, within=60.0)
        await asyncio.sleep(settle)
    finally:
        await exp.shutdown()
        am.stop()
    assert _groups(hook.got["otelpy"]) == _groups(hook.got["am"])
    assert len(hook.got["am"]) == expect_count


def _alert(now: float, name: str, **labels: str) -> dict[str, Any]:
    return {"labels": {"alertname": name, **labels}, "annotations": {"summary": name},
            "startsAt": _iso(now)}


ROUTE_TREES = {
    "group_by_alertname": {
        "route": {"receiver": "a", "group_by": ["alertname"], "group_wait": "1s",
                  "group_interval": "2s", "repeat_interval": "1h"},
        "receivers": [{"name": "a", "webhook_configs": [{"url": "x"}]}]},
    "continue_and_children": {
        "route": {"receiver": "a", "group_by": ["alertname"], "group_wait": "1s",
                  "group_interval": "2s", "repeat_interval": "1h",
                  "routes": [
                      {"matchers": ['severity="critical"'], "receiver": "b",
                       "continue": True, "group_by": ["..."]},
                      {"match_re": {"team": "db|web"}, "receiver": "c",
                       "group_by": ["team"]}]},
        "receivers": [{"name": n, "webhook_configs": [{"url": "x"}]} for n in "abc"]},
    "inhibit": {
        "route": {"receiver": "a", "group_by": ["instance"], "group_wait": "1s",
                  "group_interval": "2s", "repeat_interval": "1h"},
        "receivers": [{"name": "a", "webhook_configs": [{"url": "x"}]}],
        "inhibit_rules": [{"source_matchers": ['severity="critical"'],
                           "target_matchers": ['severity="warning"'],
                           "equal": ["instance"]}]},
}


@pytest.mark.parametrize("tree", list(ROUTE_TREES), ids=list(ROUTE_TREES))
async def test_same_groups_as_alertmanager(tmp_path: Path, hook: Hook, tree: str) -> None:
    now = dt.datetime.now(dt.UTC).timestamp()
    alerts = [_alert(now, "Down", instance="h1", severity="critical", team="db"),
              _alert(now, "Down", instance="h2", severity="warning", team="web"),
              _alert(now, "Slow", instance="h1", severity="warning", team="db"),
              _alert(now, "Slow", instance="h3", severity="warning")]
    expected = {"group_by_alertname": 2, "continue_and_children": 4, "inhibit": 3}[tree]
    await _side_by_side(tmp_path, hook, ROUTE_TREES[tree], [(0, alerts)], 3.0, expected)


async def test_resolution_and_group_interval(tmp_path: Path, hook: Hook) -> None:
    now = dt.datetime.now(dt.UTC).timestamp()
    first = [_alert(now, "Down", instance="h1"), _alert(now, "Down", instance="h2")]
    resolved = [{**first[0], "endsAt": _iso(now + 1.5)}]
    doc = {"route": {"receiver": "a", "group_by": ["alertname"], "group_wait": "1s",
                     "group_interval": "2s", "repeat_interval": "1h"},
           "receivers": [{"name": "a", "webhook_configs": [{"url": "x",
                                                            "send_resolved": True}]}]}
    # first notification (2 firing), then one resolved at the next group interval
    await _side_by_side(tmp_path, hook, doc, [(0, first), (2.0, resolved)], 3.0, 2)
    assert [a["status"] for a in hook.got["otelpy"][1]["alerts"]] == ["resolved", "firing"]


async def test_group_wait_and_group_interval_timings_match_alertmanager(
        tmp_path: Path, hook: Hook) -> None:
    """Both notify group_wait after the first alert and group_interval after that when a
    second alert joins; lower bounds are exact, upper bounds and the difference between the
    two are loose enough for a slow machine."""
    now = dt.datetime.now(dt.UTC).timestamp()
    doc = {"route": {"receiver": "a", "group_by": ["alertname"], "group_wait": "2s",
                     "group_interval": "4s", "repeat_interval": "1h"},
           "receivers": [{"name": "a", "webhook_configs": [{"url": "x"}]}]}
    first = [_alert(now, "Down", instance="h1")]
    second = [_alert(now, "Down", instance="h1"), _alert(now, "Down", instance="h2")]
    await _side_by_side(tmp_path, hook, doc, [(0, first), (2.5, second)], 1.0, 2)
    t0 = hook.t0
    for who in ("am", "otelpy"):
        at_first, at_second = hook.times[who]
        assert 2.0 - 0.05 <= at_first - t0 <= 2.0 + 5.0, (who, at_first - t0)
        assert 4.0 - 0.1 <= at_second - at_first <= 4.0 + 5.0, (who, at_second - at_first)
        assert [len(b["alerts"]) for b in hook.got[who]] == [1, 2]
    for i in range(2):
        assert abs(hook.times["otelpy"][i] - hook.times["am"][i]) <= 1.5, hook.times

"""The notify exporter's API on a real status extension (HTTP on 127.0.0.1), with the
exporter on a FakeClock: silences created and expired through POST/DELETE /api/silences,
acknowledgements stopping escalation, escalation up to max_escalations, and incidents."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from otelpy.alertmanager.labels import fingerprint_hex
from otelpy.testing.polling import until
from tests.exporters.notify.harness import Endpoints, Running, alert_batch, endpoints, running


def _iso(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat().replace("+00:00", "Z")


def _hooks(ep: Endpoints, *names: str) -> list[dict[str, Any]]:
    return [{"name": n, "webhook_configs": [{"url": f"{ep.url}/hook/{n}"}]} for n in names]


async def _json(run: Running, method: str, path: str, body: Any = None) -> Any:
    async with run.session.request(method, run.api + path, json=body) as resp:
        assert resp.status == 200, (resp.status, await resp.text())
        return await resp.json()


async def test_silence_through_the_api_mutes_and_expiring_it_notifies() -> None:
    async with endpoints() as ep:
        doc = {"route": {"receiver": "team", "group_by": ["alertname"], "group_wait": "30s",
                         "group_interval": "1m"}, "receivers": _hooks(ep, "team")}
        async with running(doc) as run:
            now = run.clock.time_ns() / 1e9
            created = await _json(run, "POST", "/silences", {
                "matchers": [{"name": "alertname", "value": "Disk.*", "isRegex": True,
                              "isEqual": True}],
                "startsAt": _iso(now), "endsAt": _iso(now + 3600),
                "createdBy": "alice", "comment": "maintenance"})
            sid = created["silenceID"]
            listed = await _json(run, "GET", "/silences?filter=alertname%3D~%22Disk.*%22")
            assert [s["id"] for s in listed] == [sid]
            assert listed[0]["status"]["state"] == "active"

            await run.exporter.consume_logs(alert_batch(
                {"labels": {"alertname": "DiskFull", "host": "db1"}}))
            await run.clock.advance(30)
            alerts = await _json(run, "GET", "/alerts")
            assert alerts[0]["status"] == {"state": "suppressed", "silencedBy": [sid],
                                           "inhibitedBy": []}
            await asyncio.sleep(0.3)
            assert ep.got["hook/team"] == []

            assert await _json(run, "DELETE", f"/silences/{sid}") == {}
            listed = await _json(run, "GET", "/silences")
            assert listed[0]["status"]["state"] == "expired"
            await run.clock.advance(60)  # the next group interval
            await until(lambda: len(ep.got["hook/team"]) == 1, within=30)
            body = ep.bodies("hook/team")[0]
            assert body["alerts"][0]["labels"] == {"alertname": "DiskFull", "host": "db1"}


ESCALATION_DOC: dict[str, Any] = {
    "route": {"receiver": "team", "group_by": ["alertname"], "group_wait": "30s",
              "group_interval": "1m", "repeat_interval": "24h"},
    "escalation": {"severities": {"critical": ["pager"], "warning": ["lead"]},
                   "timeout_minutes": 5, "max_escalations": 2}}


async def test_unacknowledged_alert_escalates_up_to_max_acknowledged_does_not() -> None:
    acked = {"alertname": "ApiDown", "severity": "critical", "service": "api"}
    ignored = {"alertname": "ApiDown", "severity": "critical", "service": "web"}
    async with endpoints() as ep:
        doc = {**ESCALATION_DOC, "receivers": _hooks(ep, "team", "pager", "lead")}
        async with running(doc) as run:
            batch = alert_batch({"labels": acked}, {"labels": ignored})

            async def until_time(t: float) -> None:
                while run.clock.monotonic() < t:  # the alerting connector re-sends
                    await run.exporter.consume_logs(batch)
                    await run.clock.advance(30)

            await until_time(30)
            await until(lambda: len(ep.got["hook/team"]) == 1, within=30)
            got = await _json(run, "POST", f"/alerts/{fingerprint_hex(acked)}/ack",
                              {"by": "alice", "comment": "on it"})
            assert got["acknowledged"]["by"] == "alice"
            await until_time(300)  # first notified at 30 s: escalation due at 330 s
            await asyncio.sleep(0.3)
            assert ep.got["hook/pager"] == []
            await until_time(360)
            await until(lambda: len(ep.got["hook/pager"]) == 1, within=30)
            await until_time(600)
            await asyncio.sleep(0.3)
            assert len(ep.got["hook/pager"]) == 1
            await until_time(660)
            await until(lambda: len(ep.got["hook/pager"]) == 2, within=30)
            await until_time(1800)  # max_escalations reached: no third page
            await asyncio.sleep(0.3)
            pages = ep.bodies("hook/pager")
            assert [p["alerts"][0]["labels"]["escalation_level"] for p in pages] == ["1", "2"]
            assert all(p["alerts"][0]["labels"]["service"] == "web" for p in pages)
            assert ep.got["hook/lead"] == []
            assert run.exporter.am.escalator is not None
            assert run.exporter.am.escalator.escalations == 2
            view = await _json(run, "GET", "/alerts?filter=service%3D%22api%22")
            assert view[0]["acknowledged"]["comment"] == "on it"


async def test_ack_of_unknown_fingerprint_is_404() -> None:
    async with endpoints() as ep:
        doc = {**ESCALATION_DOC, "receivers": _hooks(ep, "team", "pager", "lead")}
        async with running(doc) as run:
            async with run.session.post(run.api + "/alerts/00000000deadbeef/ack") as resp:
                assert resp.status == 404
            async with run.session.post(run.api + "/alerts/zz/ack") as resp:
                assert resp.status == 400


async def test_related_alerts_become_one_incident_updated_on_join_and_resolve() -> None:
    api_a = {"alertname": "HighLatency", "service": "api", "team": "core", "host": "h1"}
    api_b = {"alertname": "ErrorRate", "service": "api", "team": "core", "host": "h2"}
    other = {"alertname": "DiskFull", "service": "db", "team": "storage", "host": "h9"}
    late = {"alertname": "Saturation", "service": "api", "team": "core", "host": "h3"}
    async with endpoints() as ep:
        doc = {"route": {"receiver": "team", "group_by": ["alertname"], "group_wait": "30s"},
               "receivers": _hooks(ep, "team", "incidents"),
               "correlation": {"time_window_minutes": 10, "correlation_threshold": 0.6,
                               "receivers": ["incidents"], "update_interval": "10s"}}
        async with running(doc) as run:
            now = run.clock.time_ns() / 1e9
            await run.exporter.consume_logs(alert_batch(
                {"labels": api_a, "startsAt": _iso(now - 120)}))
            await run.exporter.consume_logs(alert_batch({"labels": api_b}, {"labels": other}))
            await run.clock.advance(10)
            await until(lambda: len(ep.got["hook/incidents"]) == 1, within=30)
            opened = ep.bodies("hook/incidents")[0]
            inc = opened["incident"]
            assert inc["status"] == "firing" and inc["score"] == round(2 / 3, 4)
            assert inc["firstCause"]["labels"] == dict(sorted(api_a.items()))
            assert [m["labels"]["alertname"] for m in inc["members"]] == \
                ["HighLatency", "ErrorRate"]
            assert opened["groupLabels"] == {"service": "api", "team": "core"}
            assert opened["groupKey"] == f"incident:{inc['id']}"

            await run.clock.advance(10)
            await asyncio.sleep(0.2)
            assert len(ep.got["hook/incidents"]) == 1  # unchanged: not notified again
            await run.exporter.consume_logs(alert_batch({"labels": late}))
            await run.clock.advance(10)
            await until(lambda: len(ep.got["hook/incidents"]) == 2, within=30)
            joined = ep.bodies("hook/incidents")[1]["incident"]
            assert joined["id"] == inc["id"] and len(joined["members"]) == 3

            listed = await _json(run, "GET", "/incidents")
            assert [i["id"] for i in listed] == [inc["id"]]
            assert listed[0]["firstCause"]["fingerprint"] == fingerprint_hex(api_a)

            await run.exporter.consume_logs(alert_batch(
                *({"labels": lb, "state": "resolved"} for lb in (api_a, api_b, late))))
            await run.clock.advance(10)
            await until(lambda: len(ep.got["hook/incidents"]) == 3, within=30)
            final = ep.bodies("hook/incidents")[2]
            assert final["status"] == "resolved" and final["incident"]["status"] == "resolved"
            assert await _json(run, "GET", "/incidents?state=firing") == []
            assert len(await _json(run, "GET", "/incidents?state=resolved")) == 1

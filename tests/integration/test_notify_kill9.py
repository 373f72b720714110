"""A real otelpy process (OTLP/HTTP logs in -> notify -> webhook) with its state in
file_storage: killed with SIGKILL after a notification and before the group's next
interval, restarted on the same directory, fed the same alert again (as the alerting
connector re-sends it) -> no second page; a new alert in another group is still notified."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from pathlib import Path
from typing import Any

from otelpy.testing.polling import until
from otelpy.testing.process import OtelpyProcess, free_ports, metric_value
from tests.exporters.notify.harness import endpoints
from tests.integration import configs
from tests.integration.conftest import StartOtelpy


def _config(storage: Path, http: int, metrics: int, hook: str) -> dict[str, Any]:
    return {
        "receivers": {"otlp": configs.otlp_receiver(None, http)},
        "exporters": {"notify": {
            "storage": "file_storage/notify",
            "route": {"receiver": "team", "group_by": ["alertname"], "group_wait": "1s",
                      "group_interval": "2s", "repeat_interval": "1h"},
            "receivers": [{"name": "team", "webhook_configs": [{"url": hook}]}]}},
        "extensions": {"file_storage/notify": {"directory": str(storage),
                                               "create_directory": True}},
        "service": {"extensions": ["file_storage/notify"],
                    "telemetry": configs.telemetry(metrics),
                    "pipelines": {"logs": {"receivers": ["otlp"], "exporters": ["notify"]}}}}


def _post_alerts(http: int, *names: str) -> None:
    records = [{"attributes": [
        {"key": "event.name", "value": {"stringValue": "alert"}},
        {"key": "labels", "value": {"kvlistValue": {"values": [
            {"key": "alertname", "value": {"stringValue": n}},
            {"key": "instance", "value": {"stringValue": "h1"}}]}}}]} for n in names]
    body = {"resourceLogs": [{"resource": {}, "scopeLogs": [{"logRecords": records}]}]}
    req = urllib.request.Request(f"http://127.0.0.1:{http}/v1/logs",
                                 data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as reply:
        assert reply.status == 200


def _saves(proc: OtelpyProcess) -> float:
    return metric_value(proc.scrape(), "otelpy_exporter_notify_state_saves_total",
                        {"outcome": "ok"})


async def test_kill_9_between_notification_and_next_group_interval_does_not_repage(
        start_otelpy: StartOtelpy, tmp_path: Path) -> None:
    http, metrics = free_ports(2)
    async with endpoints() as ep:
        cfg = _config(tmp_path / "state", http, metrics, f"{ep.url}/hook/team")
        first = await asyncio.to_thread(start_otelpy, cfg, name="first")
        await asyncio.to_thread(_post_alerts, http, "Down")
        await until(lambda: len(ep.got["hook/team"]) == 1, within=60)
        # the notification log is saved right after the webhook answered
        await until(lambda: _saves(first) >= 1, within=30)
        await asyncio.to_thread(first.kill)  # well before the next group interval (2 s)

        second = await asyncio.to_thread(start_otelpy, cfg, name="second")
        await asyncio.to_thread(_post_alerts, http, "Down", "Slow")

        def groups(name: str) -> int:
            return sum(1 for b in ep.bodies("hook/team")
                       if b["groupLabels"] == {"alertname": name})

        await until(lambda: groups("Slow") == 1, within=60)
        # Down's group flushed at group_wait and again at group_interval meanwhile: deduped
        await until(lambda: _saves(second) >= 1, within=30)
        await asyncio.sleep(5)  # two more group intervals
        assert groups("Down") == 1, ep.bodies("hook/team")
        assert second.alive

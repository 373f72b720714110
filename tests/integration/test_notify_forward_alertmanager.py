"""The ``alertmanager`` notifier against a real Alertmanager 0.25 delivering to a local
webhook: labels and annotations arrive as sent, grouped by Alertmanager's own route;
a resolved alert arrives resolved; when otelpy stops sending, Alertmanager resolves the
remaining alert by itself at the endsAt otelpy set (4 x resend_delay)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import time
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from otelpy.component import ComponentID, Kind, Settings
from otelpy.exporters.notify.config import NotifyConfig
from otelpy.exporters.notify.exporter import NotifyExporter
from otelpy.telemetry import Telemetry
from otelpy.testing.polling import until
from otelpy.testing.sink import FakeHost
from tests.exporters.notify.harness import alert_batch, endpoints
from tests.integration.amserver import AlertmanagerServer


def _am_alerts(url: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{url}/api/v2/alerts", timeout=10) as reply:
        return list(json.load(reply))


def _t(text: str) -> float:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


async def test_alerts_reach_a_real_alertmanager_grouped_and_resolved(tmp_path: Path) -> None:
    async with endpoints() as ep:
        am_doc = {"route": {"receiver": "hook", "group_by": ["alertname"], "group_wait": "1s",
                            "group_interval": "1s", "repeat_interval": "1h"},
                  "receivers": [{"name": "hook", "webhook_configs": [
                      {"url": f"{ep.url}/hook/am", "send_resolved": True}]}]}
        am = AlertmanagerServer(tmp_path / "am", yaml.safe_dump(am_doc))
        cfg = NotifyConfig.model_validate({
            "route": {"receiver": "none"}, "receivers": [{"name": "none"}],
            "forward": [{"url": am.url, "resend_delay": "2s"}]})
        assert cfg.validate_config() == []
        exp = NotifyExporter(Settings(ComponentID("notify"), Kind.EXPORTER,
                                      logging.getLogger("notify"), Telemetry()), cfg)
        await exp.start(FakeHost())
        h1 = {"alertname": "Down", "instance": "h1", "severity": "critical"}
        h2 = {"alertname": "Down", "instance": "h2", "severity": "warning"}
        stopped = False
        try:
            await exp.consume_logs(alert_batch(
                {"labels": h1, "annotations": {"summary": "h1 down"}},
                {"labels": h2, "annotations": {"summary": "h2 down"}}))
            sent_at = time.time()
            await until(lambda: ep.got["hook/am"], within=60)
            first = ep.bodies("hook/am")[0]
            assert first["groupLabels"] == {"alertname": "Down"}
            assert [(a["labels"], a["annotations"], a["status"]) for a in first["alerts"]] == [
                (h1, {"summary": "h1 down"}, "firing"), (h2, {"summary": "h2 down"}, "firing")]
            stored = await asyncio.to_thread(_am_alerts, am.url)
            for a in stored:  # endsAt = send time + 4 x resend_delay
                assert sent_at + 8 - 5 <= _t(a["endsAt"]) <= time.time() + 8 + 1

            await exp.consume_logs(alert_batch({"labels": h1, "state": "resolved"}))

            def resolved(labels: dict[str, str]) -> bool:
                return any(a["labels"] == labels and a["status"] == "resolved"
                           for b in ep.bodies("hook/am") for a in b["alerts"])

            await until(lambda: resolved(h1), within=60)
            assert not resolved(h2)
            await exp.shutdown()  # nobody re-sends h2: Alertmanager resolves it at endsAt
            stopped = True
            await until(lambda: resolved(h2), within=60)
        finally:
            if not stopped:
                await exp.shutdown()
            am.stop()

"""The Python SDK sends a gauge over OTLP/gRPC to a real otelpy process whose alerting
connector writes alert records to a file: pending, firing after ``for``, resolved on
recovery, in real time; then a kill -9 while pending and a restart that keeps the ``for``
clock (through file_storage) instead of starting it again."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource

from otelpy.testing.process import free_ports, wait_until

from . import configs
from .conftest import StartOtelpy
from .otlpfile import from_any_value, read_requests

pytestmark = pytest.mark.integration


class Gauge:
    """A ``queue.depth`` gauge exported by the SDK every 200 ms; set ``value`` to move it."""

    def __init__(self, port: int) -> None:
        self.value = 10.0
        exporter = OTLPMetricExporter(endpoint=f"127.0.0.1:{port}", insecure=True)
        reader = PeriodicExportingMetricReader(exporter, export_interval_millis=200)
        self.provider = MeterProvider(metric_readers=[reader],
                                      resource=Resource({"service.name": "shop"}))
        meter = self.provider.get_meter("alerting-e2e")
        meter.create_observable_gauge("queue.depth", [self._observe])

    def _observe(self, _: CallbackOptions) -> Iterator[Observation]:
        yield Observation(self.value, {"queue": "orders"})


@contextmanager
def gauge(port: int) -> Iterator[Gauge]:
    g = Gauge(port)
    try:
        yield g
    finally:
        g.provider.shutdown(timeout_millis=2000)


def config(grpc_port: int, metrics_port: int, out: Path, for_: str,
           storage: Path | None = None) -> dict[str, Any]:
    alerting: dict[str, Any] = {
        "evaluation_interval": "250ms",
        "alert_rules": {"QueueBacklog": {
            "metric": "queue.depth", "threshold": 100, "severity": "critical",
            "duration": for_, "annotations": {"summary": "{{ $labels.queue }} at {{ $value }}"}}}}
    cfg: dict[str, Any] = {
        "receivers": {"otlp": configs.otlp_receiver(grpc_port, None)},
        "connectors": {"alerting": alerting},
        "exporters": {"file": configs.file_exporter(out, append=True)},
        "service": {"telemetry": configs.telemetry(metrics_port), "pipelines": {
            "metrics": {"receivers": ["otlp"], "exporters": ["alerting"]},
            "logs": {"receivers": ["alerting"], "exporters": ["file"]}}},
    }
    if storage is not None:
        cfg["extensions"] = {"file_storage": {"directory": str(storage),
                                              "create_directory": True}}
        cfg["service"]["extensions"] = ["file_storage"]
        alerting["storage"] = "file_storage"
    return cfg


def alerts(path: Path) -> list[dict[str, Any]]:
    out = []
    for signal, message in read_requests(path):
        if signal != "logs":
            continue
        for res in message.resource_logs:
            for scope in res.scope_logs:
                for record in scope.log_records:
                    out.append({kv.key: from_any_value(kv.value) for kv in record.attributes})
    return out


def seconds(rfc3339: str) -> float:
    return datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp()


def wait_state(path: Path, state: str, timeout: float = 30.0) -> dict[str, Any]:
    return wait_until(lambda: next((a for a in alerts(path) if a["state"] == state), None),
                      timeout, f"a {state} alert record in {path.name}")


def test_sdk_gauge_goes_pending_fires_and_resolves(start_otelpy: StartOtelpy,
                                                   tmp_path: Path) -> None:
    grpc_port, metrics_port = free_ports(2)
    out = tmp_path / "alerts.jsonl"
    start_otelpy(config(grpc_port, metrics_port, out, "2s"), name="alerting")
    with gauge(grpc_port) as g:
        time.sleep(1.0)  # a few exports below the threshold: nothing may fire
        assert alerts(out) == []
        g.value = 150.0
        pending = wait_state(out, "pending")
        firing = wait_state(out, "firing")
        g.value = 20.0
        resolved = wait_state(out, "resolved")
    assert [a["state"] for a in alerts(out)] == ["pending", "firing", "resolved"]
    assert seconds(firing["startsAt"]) - seconds(pending["startsAt"]) >= 2.0
    assert seconds(resolved["endsAt"]) > seconds(firing["startsAt"])
    assert firing["alertname"] == "QueueBacklog" and firing["severity"] == "critical"
    assert firing["labels"]["queue"] == "orders" and firing["labels"]["job"] == "shop"
    assert firing["annotations"] == {"summary": "orders at 150"}
    assert firing["fingerprint"] == pending["fingerprint"] == resolved["fingerprint"]


def test_kill_9_while_pending_keeps_the_for_clock(start_otelpy: StartOtelpy,
                                                  tmp_path: Path) -> None:
    grpc_port, metrics_port = free_ports(2)
    storage = tmp_path / "state"
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    for_, down = 15.0, 5.0
    with gauge(grpc_port) as g:
        g.value = 150.0
        proc = start_otelpy(config(grpc_port, metrics_port, first, "15s", storage),
                            name="alerting-1")
        pending = wait_state(first, "pending")
        time.sleep(down)  # a third of the way into `for`
        proc.kill()  # SIGKILL mid-`for`
        assert [a["state"] for a in alerts(first)] == ["pending"], "fired before the kill"
        again = start_otelpy(config(grpc_port, metrics_port, second, "15s", storage),
                             name="alerting-2")
        wait_until(lambda: again.metric("otelcol_receiver_accepted_metric_points_total") > 0, 60,
                   "the SDK's points to reach the restarted process")
        first_data = time.time()  # the SDK backs off while otelpy is down
        firing = wait_state(second, "firing", timeout=60)
    active_at, fired_at = seconds(pending["startsAt"]), seconds(firing["startsAt"])
    assert [a["state"] for a in alerts(second)] == ["firing"]  # no second pending record
    assert fired_at - active_at >= for_
    # kept clock: at activeAt + for, or as soon as data is back; a clock started again at
    # the restart would fire at least `for` after the data is back (and after activeAt +
    # down + for)
    assert fired_at < max(active_at + for_, first_data) + 3.0

"""Python SDK logs -> a real otelpy: logpattern -> logspike -> routing -> loginsights, with
the anomaly events also routed through a transform (made alert events) to a file.

The OpenTelemetry Python SDK sends each service's records in one OTLP/gRPC export (one batch,
so one arrival time: the spike window cannot be split by the clock). The status extension's
/api/logs/insights answer is checked value by value, the routed alert events are read back
from the file, and out-of-bounds queries are answered 400.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from otelpy.testing.process import free_ports

from . import configs
from .conftest import StartOtelpy
from .otlpfile import attrs, wait_for_items

pytestmark = pytest.mark.integration

TEMPLATE = "ML model inference timeout after <*> ms"


def send(endpoint: str, service: str, records: list[tuple[str, str, int]]) -> None:
    """(severity text, body, trace number or 0) records, in one export."""
    exporter = OTLPLogExporter(endpoint=endpoint, insecure=True)
    provider = LoggerProvider(resource=Resource.create({"service.name": service}))
    provider.add_log_record_processor(BatchLogRecordProcessor(
        exporter, schedule_delay_millis=60_000, max_export_batch_size=512))
    logger = provider.get_logger("otelpy-it-loginsights")
    for severity, body, trace_no in records:
        context = None
        if trace_no:
            span = NonRecordingSpan(SpanContext(trace_no, trace_no, False,
                                                TraceFlags(TraceFlags.SAMPLED)))
            context = trace.set_span_in_context(span)
        logger.emit(body=body, severity_text=severity, context=context,
                    severity_number=_NUMBERS[severity])
    assert provider.force_flush(30_000), "LoggerProvider.force_flush failed"
    provider.shutdown()


_NUMBERS = {"INFO": SeverityNumber.INFO, "WARN": SeverityNumber.WARN,
            "ERROR": SeverityNumber.ERROR}


def get(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, json.load(resp)
    except urllib.error.HTTPError as err:
        return err.code, json.load(err)


def config(grpc: int, api: int, telemetry: int, alerts: Path) -> dict[str, Any]:
    return {
        "extensions": {"status": {"endpoint": f"127.0.0.1:{api}"}},
        "receivers": {"otlp": configs.otlp_receiver(grpc, None)},
        "processors": {
            "logpattern": {},
            # one window per hour, no warm-up: 5 timeouts in one window are a spike
            "logspike": {"window": "1h", "warmup_windows": 0, "min_count": 5, "factor": 3},
            "transform/alert": {"log_statements": [{"context": "log", "statements": [
                'set(attributes["event.name"], "alert")']}]}},
        "connectors": {"routing/anomalies": {
            "default_pipelines": ["logs/store"],
            "table": [{"context": "log", "condition": 'attributes["event.name"] == "log.anomaly"',
                       "pipelines": ["logs/alerts", "logs/store"]}]}},
        "exporters": {"loginsights": {"window": "1h", "max_results": 50},
                      "file/alerts": configs.file_exporter(alerts)},
        "service": {
            "extensions": ["status"],
            "telemetry": configs.telemetry(telemetry),
            "pipelines": {
                "logs": {"receivers": ["otlp"], "processors": ["logpattern", "logspike"],
                         "exporters": ["routing/anomalies"]},
                "logs/store": {"receivers": ["routing/anomalies"], "exporters": ["loginsights"]},
                "logs/alerts": {"receivers": ["routing/anomalies"],
                                "processors": ["transform/alert"],
                                "exporters": ["file/alerts"]}}},
    }


def test_sdk_logs_to_insights_and_alert_events(start_otelpy: StartOtelpy,
                                               tmp_path: Path) -> None:
    grpc, api, tel = free_ports(3)
    alerts = tmp_path / "alerts.jsonl"
    proc = start_otelpy(config(grpc, api, tel, alerts), extra_ports=[api])
    endpoint, base = f"127.0.0.1:{grpc}", f"http://127.0.0.1:{api}/api/logs/insights"
    send(endpoint, "recommendation-api",
         [("INFO", f"request {n} served in {n * 3} ms", 0) for n in range(20)] +
         [("WARN", f"slow query took {900 + n} ms", 0) for n in range(3)] +
         [("ERROR", f"ML model inference timeout after {5000 + n} ms", n + 1)
          for n in range(8)])
    send(endpoint, "ml-inference",
         [("ERROR", f"ML model inference timeout after {7000 + n} ms", 100 + n)
          for n in range(2)])

    deadline = time.monotonic() + 60
    while True:
        status, got = get(base + "?range=1h")
        if got.get("summary", {}).get("total_logs") == 33 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert status == 200
    assert got["summary"] == {"total_logs": 33, "error_logs": 10, "warning_logs": 3,
                              "unique_error_patterns": 1}
    (pattern,) = got["error_patterns"]
    assert (pattern["pattern"], pattern["frequency"], pattern["services_affected"],
            pattern["severity"]) == (TEMPLATE, 10, ["ml-inference", "recommendation-api"],
                                     "ERROR")
    spike, new = got["anomalies_detected"]  # newest first
    assert (new["type"], new["count"], new["affected_traces"], new["pattern"]) == \
        ("new_pattern", 1, 1, TEMPLATE)
    assert (spike["type"], spike["count"], spike["baseline"], spike["severity"]) == \
        ("error_spike", 5, 0.0, "high")
    assert spike["trace_ids"] == [f"{n:032x}" for n in range(1, 6)]
    assert spike["services"] == ["recommendation-api"]
    assert spike["pattern_id"] == pattern["pattern_id"]

    status, warn = get(base + "?severity=WARN&service=recommendation-api")
    assert status == 200 and warn["summary"]["total_logs"] == 3
    assert [p["pattern"] for p in warn["error_patterns"]] == ["slow query took <*> ms"]
    status, ml = get(base + "?service=ml-inference&level=ERROR")
    assert ml["summary"]["error_logs"] == 2 and ml["anomalies_detected"] == []

    for query, reason in (("range=2h", "range"), ("limit=51", "limit"),
                          ("severity=LOUD", "severity")):
        status, answer = get(f"{base}?{query}")
        assert status == 400 and answer["error"].startswith(reason), (query, answer)

    events = wait_for_items(alerts, "logs", {}, 2, timeout=30)
    assert sorted(attrs(e.item.attributes)["alertname"] for e in events) == \
        ["LogErrorSpike", "LogNewErrorPattern"]
    assert {attrs(e.item.attributes)["event.name"] for e in events} == {"alert"}
    assert proc.metric("otelpy_processor_logspike_anomalies_total",
                       {"type": "error_spike"}) == 1

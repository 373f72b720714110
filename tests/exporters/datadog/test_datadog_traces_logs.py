"""datadog traces and logs: a local HTTP server decodes the trace agent's /v0.4/traces msgpack
payload (the `msgpack` package) and the logs intake's JSON, checked against the documented
format (span fields and types, uint64 IDs, meta/metrics; ddsource, ddtags, status, IDs)."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import msgpack
from aiohttp import web
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.exporters.datadog import factory
from otelpy.exporters.datadog.config import DatadogConfig
from otelpy.pdata import Batch
from otelpy.pdata.values import Attributes
from otelpy.telemetry import Telemetry
from otelpy.testing.sink import FakeHost

TRACE_ID = bytes.fromhex("0102030405060708a1a2a3a4a5a6a7a8")
SPAN_FIELDS = {"service": str, "name": str, "resource": str, "trace_id": int, "span_id": int,
               "parent_id": int, "start": int, "duration": int, "error": int, "meta": dict,
               "metrics": dict, "type": str}


async def _server(received: list[tuple[str, dict[str, str], bytes]]) -> tuple[web.AppRunner, int]:
    async def handle(request: web.Request) -> web.Response:
        received.append((request.path, dict(request.headers), await request.read()))
        return web.Response(status=202 if request.path == "/api/v2/logs" else 200)

    app = web.Application()
    app.router.add_post("/v0.4/traces", handle)
    app.router.add_post("/api/v2/logs", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]


async def _export(signal: Signal, request: Any) -> list[tuple[str, dict[str, str], bytes]]:
    received: list[tuple[str, dict[str, str], bytes]] = []
    runner, port = await _server(received)
    base = f"http://127.0.0.1:{port}"
    cfg = DatadogConfig.model_validate({"api": {"key": "k1"}, "hostname": "gw-1",
                                        "traces": {"endpoint": base},
                                        "logs": {"endpoint": base}})
    settings = Settings(ComponentID("datadog"), Kind.EXPORTER, logging.getLogger("t"),
                        Telemetry())
    exporter = factory.create(settings, cfg, [signal])
    await exporter.start(FakeHost())
    try:
        consume = (exporter.consume_traces if signal is Signal.TRACES
                   else exporter.consume_logs)
        await consume(Batch.from_message(signal, request))
        for _ in range(400):
            if received:
                break
            await asyncio.sleep(0.05)
    finally:
        await exporter.shutdown()
        await runner.cleanup()
    return received


def _traces() -> ExportTraceServiceRequest:
    req = ExportTraceServiceRequest()
    rs = req.resource_spans.add()
    Attributes(rs.resource.attributes).update({"service.name": "checkout",
                                               "deployment.environment": "prod",
                                               "service.version": "1.2"})
    ss = rs.scope_spans.add()
    ss.scope.name = "io.opentelemetry.http"
    root = ss.spans.add(trace_id=TRACE_ID, span_id=bytes.fromhex("00000000000000ff"),
                        name="POST /pay", kind=2, start_time_unix_nano=1_000,
                        end_time_unix_nano=51_000)
    Attributes(root.attributes).update({"http.request.method": "POST", "http.route": "/pay",
                                        "http.response.status_code": 500})
    root.status.code = 2
    root.status.message = "boom"
    db = ss.spans.add(trace_id=TRACE_ID, span_id=bytes.fromhex("0000000000000100"),
                      parent_span_id=root.span_id, name="SELECT", kind=3,
                      start_time_unix_nano=2_000, end_time_unix_nano=12_000)
    Attributes(db.attributes).update({"db.system": "postgresql", "sampling.priority": 2})
    return req


async def test_traces_are_the_agents_msgpack_payload() -> None:
    [(path, headers, body)] = await _export(Signal.TRACES, _traces())
    assert path == "/v0.4/traces"
    assert headers["Content-Type"] == "application/msgpack"
    assert headers["DD-API-KEY"] == "k1" and headers["X-Datadog-Trace-Count"] == "1"
    [trace] = msgpack.unpackb(body, raw=False)
    assert len(trace) == 2
    for span in trace:
        assert {k: type(v) for k, v in span.items()} == SPAN_FIELDS
        assert all(isinstance(v, str) for v in span["meta"].values())
        assert all(isinstance(v, float) for v in span["metrics"].values())
    root, db = trace
    assert root["trace_id"] == db["trace_id"] == 0xA1A2A3A4A5A6A7A8  # the low 64 bits
    assert (root["span_id"], root["parent_id"], db["parent_id"]) == (255, 0, 255)
    assert (root["service"], root["resource"], root["type"]) == ("checkout", "POST /pay", "web")
    assert root["name"] == "io.opentelemetry.http.server"
    assert (root["start"], root["duration"], root["error"]) == (1_000, 50_000, 1)
    assert root["meta"]["error.msg"] == "boom"
    assert root["meta"]["env"] == "prod" and root["meta"]["version"] == "1.2"
    assert root["meta"]["_dd.p.tid"] == "0102030405060708"
    assert root["meta"]["otel.trace_id"] == TRACE_ID.hex()
    assert root["metrics"]["http.response.status_code"] == 500.0
    assert root["metrics"]["_top_level"] == 1.0
    assert root["metrics"]["_sampling_priority_v1"] == 1.0
    assert (db["type"], db["resource"], db["error"]) == ("db", "SELECT", 0)
    assert db["metrics"]["_sampling_priority_v1"] == 2.0
    assert db["metrics"]["_dd.measured"] == 1.0 and "_top_level" not in db["metrics"]


async def test_logs_go_to_the_logs_intake() -> None:
    req = ExportLogsServiceRequest()
    rl = req.resource_logs.add()
    Attributes(rl.resource.attributes).update({"service.name": "checkout",
                                               "deployment.environment": "prod"})
    sl = rl.scope_logs.add()
    rec = sl.log_records.add(time_unix_nano=1_700_000_000_123_000_000, severity_number=17,
                             trace_id=TRACE_ID, span_id=bytes.fromhex("00000000000000ff"))
    rec.body.string_value = "payment failed"
    Attributes(rec.attributes)["order.id"] = 42
    sl.log_records.add(severity_number=10).body.string_value = "ok"
    [(path, headers, body)] = await _export(Signal.LOGS, req)
    assert path == "/api/v2/logs" and headers["DD-API-KEY"] == "k1"
    assert headers["Content-Encoding"] == "gzip"
    first, second = json.loads(body)  # aiohttp undoes the Content-Encoding
    assert first["message"] == "payment failed" and first["status"] == "error"
    assert (first["ddsource"], first["ddtags"]) == ("otlp_log_ingestion", "env:prod")
    assert (first["hostname"], first["service"]) == ("gw-1", "checkout")
    assert first["dd.trace_id"] == str(0xA1A2A3A4A5A6A7A8) and first["dd.span_id"] == "255"
    assert first["otel.trace_id"] == TRACE_ID.hex() and first["order.id"] == 42
    assert first["@timestamp"].startswith("2023-11-14T22:13:20.123")
    assert (second["message"], second["status"]) == ("ok", "info")

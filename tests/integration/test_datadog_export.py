"""The datadog exporter: the v1 series API into a real VictoriaMetrics (read back exactly),
and the v2 series payload checked by a local HTTP server against Datadog's documented
schema for POST /api/v2/series (docs.datadoghq.com/api/latest/metrics/#submit-metrics)."""

from __future__ import annotations

import gzip
import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from aiohttp import web
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.exporters.datadog import DatadogConfig, DatadogExporter, factory
from otelpy.pdata import Batch
from otelpy.pdata.values import Attributes
from otelpy.telemetry import Telemetry
from otelpy.testing.sink import FakeHost
from tests.integration.tsdbservers import VictoriaMetricsServer

NOW = int(time.time()) - 30
S = 1_000_000_000

# Datadog's MetricPayload (v2), from the API reference: `series` required; per series
# `metric` and `points` required; points carry an int64 `timestamp` (POSIX seconds) and a
# double `value`; `type` is 0 unspecified, 1 count, 2 rate, 3 gauge; `resources` are
# {name, type} pairs; `tags` are strings; `interval` int64; `unit` string.
V2_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["series"], "additionalProperties": False,
    "properties": {"series": {"type": "array", "items": {
        "type": "object", "required": ["metric", "points"], "additionalProperties": False,
        "properties": {
            "metric": {"type": "string", "minLength": 1},
            "type": {"type": "integer", "enum": [0, 1, 2, 3]},
            "points": {"type": "array", "minItems": 1, "items": {
                "type": "object", "required": ["timestamp", "value"],
                "additionalProperties": False,
                "properties": {"timestamp": {"type": "integer"},
                               "value": {"type": "number"}}}},
            "resources": {"type": "array", "items": {
                "type": "object", "required": ["name", "type"], "additionalProperties": False,
                "properties": {"name": {"type": "string"}, "type": {"type": "string"}}}},
            "tags": {"type": "array", "items": {"type": "string"}},
            "interval": {"type": "integer"}, "unit": {"type": "string"},
            "source_type_name": {"type": "string"},
            "metadata": {"type": "object"}}}}}}


@pytest.fixture(scope="module")
def vm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VictoriaMetricsServer]:
    server = VictoriaMetricsServer(tmp_path_factory.mktemp("vm-dd"))
    yield server
    server.stop()


def request(run: str, value: int, at: int) -> ExportMetricsServiceRequest:
    """A gauge, a delta sum and a cumulative monotonic sum (start before otelpy started)."""
    req = ExportMetricsServiceRequest()
    rm = req.resource_metrics.add()
    attrs = Attributes(rm.resource.attributes)
    attrs["service.name"], attrs["host.name"], attrs["deployment.environment"] = \
        "shop", "node-7", "prod"
    sm = rm.scope_metrics.add()
    for name, kind in (("app.temp", "gauge"), ("app.jobs", "sum"), ("app.requests", "sum")):
        m = sm.metrics.add()
        m.name = name
        p = getattr(m, kind).data_points.add()
        p.time_unix_nano, p.start_time_unix_nano = at * S, (NOW - 3600) * S
        Attributes(p.attributes)["run"] = run
        if name == "app.temp":
            p.as_double = 21.5
        elif name == "app.jobs":
            m.sum.aggregation_temporality, p.as_int = 1, 4
        else:
            m.sum.aggregation_temporality, m.sum.is_monotonic, p.as_int = 2, True, value
    return req


def make(telemetry: Telemetry, **config: Any) -> DatadogExporter:
    cfg = DatadogConfig.model_validate({"api": {"key": "k3y-s3cret"},
                                        "sending_queue": {"enabled": False},
                                        "retry_on_failure": {"enabled": False}, **config})
    assert cfg.validate_config() == []
    settings = Settings(ComponentID("datadog"), Kind.EXPORTER,
                        logging.getLogger("test.datadog"), telemetry)
    exporter: DatadogExporter = factory.create(settings, cfg, frozenset({Signal.METRICS}))
    return exporter


async def send(exporter: DatadogExporter, *reqs: ExportMetricsServiceRequest) -> None:
    await exporter.start(FakeHost())
    try:
        for req in reqs:
            await exporter.consume_metrics(Batch.from_bytes(Signal.METRICS,
                                                            req.SerializeToString()))
    finally:
        await exporter.shutdown()


async def test_v1_series_into_victoriametrics(vm: VictoriaMetricsServer) -> None:
    exporter = make(Telemetry(), metrics={"endpoint": vm.url + "/datadog",
                                          "series_api": "v1", "compression": "deflate"})
    await send(exporter, request("v1", 100, NOW - 10), request("v1", 130, NOW))
    got = vm.export_eventually('{run="v1"}', 3)
    by_name = {labels["__name__"]: (labels, vals, stamps)
               for labels, vals, stamps in got.values()}
    assert by_name["app.temp"][1] == [21.5, 21.5]
    assert by_name["app.jobs"][1] == [4, 4]
    # cumulative 100 then 130: the first point started before otelpy (auto: not sent),
    # then the difference 30 as a count
    assert by_name["app.requests"][1] == [30]
    assert by_name["app.requests"][2] == [NOW * 1000]
    labels = by_name["app.temp"][0]
    assert (labels["host"], labels["service"], labels["env"]) == ("node-7", "shop", "prod")


async def test_v2_payload_matches_datadogs_schema() -> None:
    received: list[tuple[dict[str, str], Any]] = []

    async def series(req: web.Request) -> web.Response:
        raw = await req.read()  # aiohttp's server undoes Content-Encoding itself
        body = raw if raw.startswith(b"{") else gzip.decompress(raw)
        received.append((dict(req.headers), json.loads(body)))
        return web.json_response({"errors": []}, status=202)

    app = web.Application()
    app.router.add_post("/api/v2/series", series)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        await send(make(Telemetry(), metrics={"endpoint": f"http://127.0.0.1:{port}"}),
                   request("v2", 5, NOW - 10), request("v2", 12, NOW))
    finally:
        await runner.cleanup()
    assert len(received) == 2
    for headers, doc in received:
        assert headers["DD-API-KEY"] == "k3y-s3cret"
        assert headers["Content-Type"] == "application/json"
        assert headers["Content-Encoding"] == "gzip"
        jsonschema.validate(doc, V2_SCHEMA)
    last = {s["metric"]: s for s in received[1][1]["series"]}
    assert last["app.requests"]["type"] == 1 and \
        last["app.requests"]["points"] == [{"timestamp": NOW, "value": 7.0}]
    assert last["app.temp"]["type"] == 3
    assert last["app.jobs"]["type"] == 1
    assert last["app.temp"]["resources"] == [{"name": "node-7", "type": "host"}]
    assert sorted(last["app.temp"]["tags"]) == ["env:prod", "run:v2", "service:shop"]


def test_api_key_redacted() -> None:
    cfg = DatadogConfig.model_validate({"api": {"key": "k3y-s3cret"}})
    assert "k3y-s3cret" not in repr(cfg) + json.dumps(cfg.model_dump(mode="json"))
    assert cfg.series_url() == "https://api.datadoghq.com/api/v2/series"
    eu = DatadogConfig.model_validate({"api": {"key": "k", "site": "datadoghq.eu"}})
    assert eu.series_url() == "https://api.datadoghq.eu/api/v2/series"

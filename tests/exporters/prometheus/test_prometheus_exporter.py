"""The prometheus exporter served over real HTTP: formats, gzip, counters, config rules."""

from __future__ import annotations

import gzip
import logging

import aiohttp
import pytest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.errors import ComponentStartError
from otelpy.exporters.prometheus import PrometheusConfig, PrometheusExporter
from otelpy.pdata import Batch
from otelpy.telemetry import Telemetry
from otelpy.testing.process import free_port
from otelpy.testing.sink import FakeHost

OM_ACCEPT = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"


def _request(points: int, name: str = "jobs", monotonic: bool = True,
             temporality: int = 2) -> Batch:
    req = ExportMetricsServiceRequest()
    rm = req.resource_metrics.add()
    kv = rm.resource.attributes.add()
    kv.key, kv.value.string_value = "service.name", "svc"
    metric = rm.scope_metrics.add().metrics.add()
    metric.name, metric.unit = name, "s"
    metric.sum.is_monotonic, metric.sum.aggregation_temporality = monotonic, temporality
    for i in range(points):
        p = metric.sum.data_points.add()
        p.as_double, p.time_unix_nano = float(i), 10**9
        a = p.attributes.add()
        a.key, a.value.int_value = "i", i
    return Batch.from_bytes(Signal.METRICS, req.SerializeToString())


def _exporter(tel: Telemetry, **cfg: object) -> PrometheusExporter:
    config = PrometheusConfig.model_validate({"endpoint": f"127.0.0.1:{free_port()}", **cfg})
    settings = Settings(ComponentID("prometheus"), Kind.EXPORTER,
                        logging.getLogger("test.prometheus"), tel)
    return PrometheusExporter(settings, config, frozenset({Signal.METRICS}))


async def _get(exp: PrometheusExporter, **headers: str) -> tuple[str, str, bytes]:
    async with aiohttp.ClientSession(auto_decompress=False) as s, \
            s.get(f"http://127.0.0.1:{exp.port}/metrics", headers=headers) as r:
        assert r.status == 200
        return r.headers["Content-Type"], r.headers.get("Content-Encoding", ""), await r.read()


async def test_serves_text_openmetrics_and_gzip() -> None:
    tel = Telemetry()
    exp = _exporter(tel, namespace="app", enable_open_metrics=True,
                    const_labels={"region": "eu"})
    await exp.start(FakeHost())
    try:
        await exp.consume(_request(200))
        ctype, enc, body = await _get(exp, **{"Accept-Encoding": "identity"})
        assert ctype.startswith("text/plain; version=0.0.4") and enc == ""
        text = body.decode()
        assert 'app_jobs_seconds_total{i="7",job="svc",otel_scope_name="",' \
               'otel_scope_schema_url="",otel_scope_version="",region="eu"} 7\n' in text
        ctype, enc, body = await _get(exp, Accept=OM_ACCEPT, **{"Accept-Encoding": "gzip"})
        assert ctype.startswith("application/openmetrics-text; version=1.0.0")
        assert enc == "gzip"
        om = gzip.decompress(body).decode()
        assert "# TYPE app_jobs_seconds counter\n" in om and om.endswith("# EOF\n")
        assert om.count("app_jobs_seconds_total{") == 200
    finally:
        await exp.shutdown()
        await exp.shutdown()
    sent = tel.value("otelcol_exporter_sent_metric_points_total", {"exporter": "prometheus"})
    assert sent == 200


async def test_refused_points_are_counted_and_bounded() -> None:
    tel = Telemetry()
    exp = _exporter(tel, max_series=5)
    await exp.start(FakeHost())
    try:
        await exp.consume(_request(8))
        await exp.consume(_request(2, name="gone", monotonic=False, temporality=1))
        _, _, body = await _get(exp)
        assert body.decode().count("jobs_seconds_total{") == 5
    finally:
        await exp.shutdown()
    refused = "otelcol_exporter_prometheus_refused_points_total"
    assert tel.value(refused, {"exporter": "prometheus", "reason": "series_limit"}) == 3
    assert tel.value(refused, {"exporter": "prometheus", "reason": "delta_non_monotonic"}) == 2
    assert tel.value("otelcol_exporter_prometheus_series", {"exporter": "prometheus"}) == 5


async def test_port_in_use_fails_start() -> None:
    first = _exporter(Telemetry())
    await first.start(FakeHost())
    try:
        second = PrometheusExporter(first.settings, first.cfg, frozenset({Signal.METRICS}))
        with pytest.raises(ComponentStartError, match="cannot listen"):
            await second.start(FakeHost())
        await second.shutdown()
    finally:
        await first.shutdown()


@pytest.mark.parametrize(("cfg", "problem"), [
    ({}, "endpoint: expecting a non-blank address"),
    ({"endpoint": "nohost"}, "endpoint: endpoint 'nohost' must be host:port"),
], ids=["missing", "malformed"])
def test_config_rules(cfg: dict[str, str], problem: str) -> None:
    problems = PrometheusConfig.model_validate(cfg).validate_config()
    assert any(p.startswith(problem) for p in problems), problems


def test_translation_strategy_wins_over_add_metric_suffixes() -> None:
    cfg = PrometheusConfig.model_validate({
        "endpoint": "localhost:9", "add_metric_suffixes": True,
        "translation_strategy": "UnderscoreEscapingWithoutSuffixes"})
    assert cfg.with_suffixes() is False
    assert PrometheusConfig.model_validate({"endpoint": "localhost:9",
                                            "add_metric_suffixes": False}).with_suffixes() is False

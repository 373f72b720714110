"""The influxdb exporter against real servers: VictoriaMetrics takes the v2 (/api/v2/write)
and v1 (/write) line protocol and is read back through its export API; Debian's InfluxDB
1.6 takes the v1 path and is read back with InfluxQL. Values are compared exactly."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.errors import PermanentError
from otelpy.exporters.influxdb import InfluxDBConfig, InfluxDBExporter, factory
from otelpy.pdata import Batch
from otelpy.pdata.values import Attributes
from otelpy.telemetry import Telemetry
from otelpy.testing.sink import FakeHost
from tests.integration.tsdbservers import InfluxDB1Server, VictoriaMetricsServer

CUMULATIVE = 2
NOW_NS = (int(time.time()) - 60) * 1_000_000_000  # a minute ago: inside any retention
START_NS = NOW_NS - 3_600_000_000_000


@pytest.fixture(scope="module")
def vm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VictoriaMetricsServer]:
    server = VictoriaMetricsServer(tmp_path_factory.mktemp("vm"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def influx1(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InfluxDB1Server]:
    server = InfluxDB1Server(tmp_path_factory.mktemp("influxd"))
    yield server
    server.stop()


def metrics_request(test: str) -> ExportMetricsServiceRequest:
    """A gauge, a monotonic sum, a non-monotonic sum, a histogram and a summary, all with
    the point attribute ``test`` and the resource attribute ``service.name=shop``."""
    req = ExportMetricsServiceRequest()
    rm = req.resource_metrics.add()
    Attributes(rm.resource.attributes)["service.name"] = "shop"
    sm = rm.scope_metrics.add()
    sm.scope.name = "lib"
    def metric(name: str, kind: str) -> Any:
        m = sm.metrics.add()
        m.name = name
        point = getattr(m, kind).data_points.add()
        point.time_unix_nano = NOW_NS
        point.start_time_unix_nano = START_NS
        Attributes(point.attributes)["test"] = test
        return m, point
    _, p = metric("cpu_temp", "gauge")
    p.as_double = 87.25
    m, p = metric("requests", "sum")
    m.sum.is_monotonic, m.sum.aggregation_temporality = True, CUMULATIVE
    p.as_int = 1027
    m, p = metric("queue_depth", "sum")
    m.sum.aggregation_temporality = CUMULATIVE
    p.as_int = -3
    m, p = metric("latency", "histogram")
    m.histogram.aggregation_temporality = CUMULATIVE
    p.count, p.sum, p.min, p.max = 6, 4.5, 0.05, 3.0
    p.explicit_bounds.extend([0.1, 0.5, 1.0])
    p.bucket_counts.extend([1, 2, 0, 3])
    _, p = metric("rpc", "summary")
    p.count, p.sum = 10, 17.5
    for q, v in ((0.5, 1.25), (0.99, 4.0)):
        qv = p.quantile_values.add()
        qv.quantile, qv.value = q, v
    return req


def make_exporter(telemetry: Telemetry, **config: Any) -> InfluxDBExporter:
    cfg = InfluxDBConfig.model_validate({"sending_queue": {"enabled": False},
                                         "retry_on_failure": {"enabled": False}, **config})
    assert cfg.validate_config() == []
    settings = Settings(ComponentID("influxdb"), Kind.EXPORTER,
                        logging.getLogger("test.influxdb"), telemetry)
    exporter: InfluxDBExporter = factory.create(settings, cfg, frozenset({Signal.METRICS}))
    return exporter


async def export(exporter: InfluxDBExporter, req: ExportMetricsServiceRequest) -> None:
    await exporter.start(FakeHost())
    try:
        await exporter.consume_metrics(Batch.from_bytes(Signal.METRICS,
                                                        req.SerializeToString()))
    finally:
        await exporter.shutdown()


def values(exported: dict[str, tuple[dict[str, str], list[float], list[int]]]
           ) -> dict[str, float]:
    out = {}
    for labels, vals, stamps in exported.values():
        assert stamps == [NOW_NS // 1_000_000], labels
        extra = ",".join(f"{k}={v}" for k, v in sorted(labels.items())
                         if k not in ("__name__", "test", "service.name", "otel.library.name",
                                      "db"))
        out[labels["__name__"] + (f"{{{extra}}}" if extra else "")] = vals[0]
    return out


async def test_v2_api_telegraf_prometheus_v1(vm: VictoriaMetricsServer) -> None:
    await export(make_exporter(Telemetry(), endpoint=vm.url, org="o", bucket="b",
                               token="secret-token", payload_max_lines=2),
                 metrics_request("v2v1"))
    got = vm.export_eventually('{test="v2v1"}', 17)
    labels = next(iter(got.values()))[0]
    assert labels["service.name"] == "shop" and labels["otel.library.name"] == "lib"
    assert "db" not in labels
    # every line also carries start_time_unix_nano (an integer field)
    assert values(got) == {
        "cpu_temp_gauge": 87.25, "cpu_temp_start_time_unix_nano": START_NS,
        "requests_counter": 1027, "requests_start_time_unix_nano": START_NS,
        "queue_depth_gauge": -3, "queue_depth_start_time_unix_nano": START_NS,
        "latency_count": 6, "latency_sum": 4.5, "latency_min": 0.05, "latency_max": 3.0,
        "latency_0.1": 1, "latency_0.5": 3, "latency_1": 3,
        "latency_start_time_unix_nano": START_NS,
        "rpc_count": 10, "rpc_sum": 17.5, "rpc_0.5": 1.25, "rpc_0.99": 4.0,
        "rpc_start_time_unix_nano": START_NS,
    }
    # with payload_max_lines 2 the 5 lines went as 3 requests (test_influxdb_payloads)


async def test_v2_api_telegraf_prometheus_v2(vm: VictoriaMetricsServer) -> None:
    await export(make_exporter(Telemetry(), endpoint=vm.url + "/", bucket="b",
                               metrics_schema="telegraf-prometheus-v2", compression="gzip"),
                 metrics_request("v2v2"))
    got = vm.export_eventually('{test="v2v2", __name__!~".*start_time.*"}', 13)
    assert values(got) == {
        "prometheus_cpu_temp": 87.25, "prometheus_requests": 1027,
        "prometheus_queue_depth": -3,
        "prometheus_latency_count": 6, "prometheus_latency_sum": 4.5,
        "prometheus_latency_min": 0.05, "prometheus_latency_max": 3.0,
        "prometheus_latency_bucket{le=0.1}": 1, "prometheus_latency_bucket{le=0.5}": 3,
        "prometheus_latency_bucket{le=1}": 3,
        "prometheus_rpc_count": 10, "prometheus_rpc_sum": 17.5,
        "prometheus_rpc{quantile=0.5}": 1.25, "prometheus_rpc{quantile=0.99}": 4.0,
    }


async def test_v1_api_to_victoriametrics_adds_db(vm: VictoriaMetricsServer) -> None:
    await export(make_exporter(Telemetry(), endpoint=vm.url,
                               v1_compatibility={"enabled": True, "db": "telemetry"}),
                 metrics_request("v1vm"))
    got = vm.export_eventually('{test="v1vm", __name__="cpu_temp_gauge"}', 1)
    ((labels, vals, _),) = got.values()
    assert labels["db"] == "telemetry" and vals == [87.25]


async def test_v1_api_to_influxdb_1(influx1: InfluxDB1Server) -> None:
    influx1.query("CREATE DATABASE telemetry")
    await export(make_exporter(Telemetry(), endpoint=influx1.url, v1_compatibility={
        "enabled": True, "db": "telemetry", "username": "u", "password": "p"}),
        metrics_request("influx1"))
    (result,) = influx1.query('SELECT * FROM "latency"', db="telemetry")
    (series,) = result["series"]
    row = dict(zip(series["columns"], series["values"][0], strict=True))
    assert row["time"] == NOW_NS
    assert {k: row[k] for k in ("count", "sum", "min", "max", "0.1", "0.5", "1",
                                "start_time_unix_nano", "service.name", "test")} == {
        "count": 6, "sum": 4.5, "min": 0.05, "max": 3, "0.1": 1, "0.5": 3, "1": 3,
        "start_time_unix_nano": START_NS, "service.name": "shop", "test": "influx1"}
    (result,) = influx1.query('SELECT "counter" FROM "requests"', db="telemetry")
    assert result["series"][0]["values"][0][1] == 1027


async def test_missing_database_is_a_permanent_error(influx1: InfluxDB1Server) -> None:
    exporter = make_exporter(Telemetry(), endpoint=influx1.url,
                             v1_compatibility={"enabled": True, "db": "absent"})
    with pytest.raises(PermanentError, match="404"):
        await export(exporter, metrics_request("nodb"))


def test_secrets_never_in_config_dump(tmp_path: Path) -> None:
    cfg = InfluxDBConfig.model_validate({"endpoint": "http://x", "bucket": "b",
                                         "token": "tok-123",
                                         "v1_compatibility": {"password": "pw-456"}})
    dumped = str(cfg.model_dump()) + repr(cfg)
    assert "tok-123" not in dumped and "pw-456" not in dumped

"""influxdb exporter without a server: write URLs, request splitting, line layouts of both
schemas byte for byte, and the import boundary of influxdb-client."""

from __future__ import annotations

import subprocess
import sys

import pytest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)

from otelpy.exporters.influxdb.config import InfluxDBConfig
from otelpy.exporters.influxdb.exporter import payloads, write_url
from otelpy.exporters.influxdb.lineproto import to_lines
from otelpy.pdata.values import Attributes

URL_CASES = {
    "v2_default_path": ({"endpoint": "http://h:8086", "org": "o", "bucket": "b"},
                        "http://h:8086/api/v2/write?precision=ns&org=o&bucket=b"),
    "v2_own_path": ({"endpoint": "http://h/x/write", "bucket": "b"},
                    "http://h/x/write?precision=ns&org=&bucket=b"),
    "v1_default_path": ({"endpoint": "https://h/", "v1_compatibility": {
        "enabled": True, "db": "d", "retention_policy": "week"}},
        "https://h/write?precision=ns&db=d&rp=week"),
}


@pytest.mark.parametrize("config,url", URL_CASES.values(), ids=URL_CASES.keys())
def test_write_url(config: dict[str, object], url: str) -> None:
    assert str(write_url(InfluxDBConfig.model_validate(config))) == url


@pytest.mark.parametrize("max_lines,max_bytes,bodies", [
    (2, 1000, [b"a\nbb", b"ccc\nd", b"e"]),
    (10, 7, [b"a\nbb", b"ccc\nd", b"e"]),
    (10, 2, [b"a", b"bb", b"ccc", b"d", b"e"]),  # a line bigger than the limit goes alone
], ids=["by_lines", "by_bytes", "oversized_line"])
def test_payload_splitting(max_lines: int, max_bytes: int, bodies: list[bytes]) -> None:
    assert list(payloads(["a", "bb", "ccc", "d", "e"], max_lines, max_bytes)) == bodies


def _request() -> ExportMetricsServiceRequest:
    req = ExportMetricsServiceRequest()
    rm = req.resource_metrics.add()
    Attributes(rm.resource.attributes)["host"] = "a b"
    Attributes(rm.resource.attributes)["ratio"] = 1e-7
    sm = rm.scope_metrics.add()
    m = sm.metrics.add()
    m.name = "http_duration"
    m.histogram.aggregation_temporality = 2
    p = m.histogram.data_points.add()
    p.time_unix_nano = 5
    p.count, p.sum = 4, 2.5
    p.explicit_bounds.extend([0.25, 1.0])
    p.bucket_counts.extend([1, 2, 1])
    Attributes(p.attributes)["code"] = 200
    Attributes(p.attributes)["host"] = "overridden"
    e = sm.metrics.add()
    e.name = "skipped"
    e.exponential_histogram.data_points.add().time_unix_nano = 5
    g = sm.metrics.add()
    g.name = "no_time"
    g.gauge.data_points.add().as_int = 1
    return req


def test_v1_lines() -> None:
    lines, skipped = to_lines(_request(), "telegraf-prometheus-v1")
    assert lines == [r"http_duration,code=200,host=a\ b,ratio=0.0000001 "
                     r"0.25=1,1=3,count=4,sum=2.5 5"]
    assert skipped == 2  # the exponential histogram and the point without a time


def test_v2_lines() -> None:
    lines, _ = to_lines(_request(), "telegraf-prometheus-v2")
    tags = r"code=200,host=a\ b"
    assert lines == [
        rf"prometheus,{tags},ratio=0.0000001 http_duration_count=4,http_duration_sum=2.5 5",
        rf"prometheus,{tags},le=0.25,ratio=0.0000001 http_duration_bucket=1 5",
        rf"prometheus,{tags},le=1,ratio=0.0000001 http_duration_bucket=3 5"]


def test_factory_import_does_not_load_influxdb_client() -> None:
    code = ("import sys, otelpy.registry as r; r.load_registry(False); "
            "print('influxdb_client' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"

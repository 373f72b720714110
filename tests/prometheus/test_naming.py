"""Metric and label name translation (the specification's and the Collector's tables)."""

from __future__ import annotations

import pytest

from otelpy.prometheus.naming import LabelNamer, MetricNamer, MetricType, NameError_, unit_suffix

C, G, H = MetricType.COUNTER, MetricType.GAUGE, MetricType.HISTOGRAM

CASES = [
    ("http.server.duration", "s", H, "http_server_duration_seconds"),
    ("system.memory.usage", "By", G, "system_memory_usage_bytes"),
    ("requests", "{request}", C, "requests_total"),
    ("requests.total", "1", C, "requests_total"),
    ("cpu.utilization", "1", G, "cpu_utilization_ratio"),
    ("disk.ratio", "1", G, "disk_ratio"),
    ("network.io", "By/s", G, "network_io_bytes_per_second"),
    ("speed", "m/h", G, "speed_meters_per_hour"),
    ("latency_seconds", "s", H, "latency_seconds"),
    ("temp", "Cel", G, "temp_celsius"),
    ("free", "%", G, "free_percent"),
    ("weird__name..x", "", G, "weird_name_x"),
    ("2xx.count", "", C, "_2xx_count_total"),
    ("load", "{thread}/s", G, "load_per_second"),
    ("mem", "MiBy", G, "mem_mebibytes"),
    ("rate", "1/s", G, "rate_per_second"),
]


@pytest.mark.parametrize(("name", "unit", "kind", "want"), CASES,
                         ids=[c[3] + "/" + c[1] for c in CASES])
def test_with_suffixes(name: str, unit: str, kind: MetricType, want: str) -> None:
    assert MetricNamer().build(name, unit, kind) == want


def test_namespace_and_without_suffixes() -> None:
    assert MetricNamer(namespace="shop").build("a.b", "s", C) == "shop_a_b_seconds_total"
    plain = MetricNamer(with_suffixes=False)
    assert plain.build("http.server__duration", "s", H) == "http_server__duration"
    assert plain.build("9lives", "", G) == "_9lives"
    assert MetricNamer(namespace="ns", with_suffixes=False).build("a.b", "s", C) == "ns_a_b"


def test_utf8_allowed_keeps_names() -> None:
    namer = MetricNamer(utf8_allowed=True)
    assert namer.build("http.server.duration", "s", H) == "http.server.duration_seconds"
    assert namer.build("jobs.total", "", C) == "jobs_total"


def test_unusable_names_raise() -> None:
    with pytest.raises(NameError_):
        MetricNamer().build("...", "", G)
    with pytest.raises(NameError_):
        LabelNamer().build("")
    with pytest.raises(NameError_):
        LabelNamer().build("...")


@pytest.mark.parametrize(("key", "want"), [
    ("http.method", "http_method"), ("123abc", "key_123abc"), ("__reserved__", "__reserved__"),
    ("a..b", "a__b"), ("ünï", "_n_"),
], ids=["dots", "digit", "reserved", "runs-kept", "unicode"])
def test_label_names(key: str, want: str) -> None:
    assert LabelNamer().build(key) == want


def test_unit_suffix() -> None:
    assert unit_suffix("By/s") == "bytes_per_second"
    assert unit_suffix("1") == ""
    assert unit_suffix("{packet}") == ""
    assert unit_suffix("ms") == "milliseconds"

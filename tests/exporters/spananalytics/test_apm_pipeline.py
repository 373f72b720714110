"""The APM pipeline in a real otelpy process: the OpenTelemetry SDK exports an instrumented
call tree (frontend -> backend -> postgres) over OTLP/HTTP; spanmetrics and servicegraph feed
the prometheus exporter, spananalytics answers on the status extension. Counts equal the
spans sent; percentiles agree with exact ones within the sketch's relative accuracy."""

from __future__ import annotations

import json
import math
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

from otelpy.testing.process import OtelpyProcess, free_ports, metric_samples
from otelpy.testing.spantree import call_tree

CALLS = 60
ACCURACY = 0.01


def get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return json.load(resp) if "/api/" in url else resp.read().decode()


def poll(check: Any, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.2)


def exact_quantile(values: list[float], q: float) -> tuple[float, float]:
    """The two order statistics around rank q*(n-1) (the sketch answers one of their
    neighbourhoods)."""
    s = sorted(values)
    r = q * (len(s) - 1)
    return s[math.floor(r)], s[math.ceil(r)]


@pytest.fixture(scope="module")
def apm(tmp_path_factory: pytest.TempPathFactory) -> Any:
    http, prom, api, tel = free_ports(4)
    config = {
        "extensions": {"status": {"endpoint": f"127.0.0.1:{api}"}},
        "receivers": {"otlp": {"protocols": {"http": {"endpoint": f"127.0.0.1:{http}"}}}},
        "connectors": {"spanmetrics": {"metrics_flush_interval": "1s",
                                       "exemplars": {"enabled": True}},
                       "servicegraph": {"metrics_flush_interval": "1s",
                                        "store": {"ttl": "1s"},
                                        "store_expiration_loop": "1s"}},
        "exporters": {"prometheus": {"endpoint": f"127.0.0.1:{prom}"},
                      "spananalytics": {"window": "1h", "store_ttl": "1s"}},
        "service": {
            "extensions": ["status"],
            "telemetry": {"metrics": {"address": f"127.0.0.1:{tel}"}},
            "pipelines": {
                "traces": {"receivers": ["otlp"],
                           "exporters": ["spanmetrics", "servicegraph", "spananalytics"]},
                "metrics": {"receivers": ["spanmetrics", "servicegraph"],
                            "exporters": ["prometheus"]}}},
    }
    workdir: Path = tmp_path_factory.mktemp("apm")
    proc = OtelpyProcess(workdir, config, extra_ports=[api, prom]).start()
    try:
        endpoint = f"http://127.0.0.1:{http}/v1/traces"
        tree = call_tree(CALLS, seed=7, exporters=(OTLPSpanExporter(endpoint=endpoint),
                                                   OTLPSpanExporter(endpoint=endpoint)))
        yield tree, f"http://127.0.0.1:{prom}/metrics", f"http://127.0.0.1:{api}/api"
    finally:
        proc.stop()


def test_spanmetrics_counts_equal_the_spans_sent(apm: Any) -> None:
    tree, metrics_url, _ = apm

    def calls() -> dict[tuple[str, str], float]:
        text = get(metrics_url)
        out: dict[tuple[str, str], float] = {}
        for labels, value in metric_samples(text, "traces_span_metrics_calls_total"):
            key = (labels["service_name"], labels["span_name"])
            out[key] = out.get(key, 0) + value
        return out

    expected = {(s.resource.attributes["service.name"], s.name): 0.0 for s in tree.spans}
    for s in tree.spans:
        expected[(s.resource.attributes["service.name"], s.name)] += 1
    assert poll(lambda: calls() == expected), (calls(), expected)
    text = get(metrics_url)
    # unit ms: the Prometheus name carries _milliseconds
    count = sum(v for _, v in metric_samples(
        text, "traces_span_metrics_duration_milliseconds_count"))
    assert count == len(tree.spans) == 4 * CALLS


def test_servicegraph_edges_match_the_calls(apm: Any) -> None:
    _, metrics_url, _ = apm

    def edges() -> dict[tuple[str, str, str], float]:
        out: dict[tuple[str, str, str], float] = {}
        for labels, value in metric_samples(get(metrics_url),
                                            "traces_service_graph_request_total"):
            key = (labels["client"], labels["server"], labels["connection_type"])
            out[key] = out.get(key, 0) + value
        return out

    expected = {("frontend", "backend", ""): CALLS, ("backend", "prices", "database"): CALLS,
                ("user", "frontend", "virtual_node"): CALLS}
    assert poll(lambda: edges() == expected), edges()
    failed = sum(v for _, v in metric_samples(get(metrics_url),
                                              "traces_service_graph_request_failed_total"))
    assert failed == CALLS // 7
    server = list(metric_samples(get(metrics_url),
                                 "traces_service_graph_request_server_seconds_count"))
    assert sum(v for _, v in server) == 3 * CALLS


def test_analytics_agree_with_exact_percentiles(apm: Any) -> None:
    tree, _, api = apm
    q = urllib.parse.urlencode({"service": "backend", "operation": "GET /price", "range": "1h"})
    answer = poll(lambda: (a := get(f"{api}/spans/analytics?{q}"))["total_spans"] == CALLS
                  and a)
    assert answer, get(f"{api}/spans/analytics?{q}")
    spans = tree.of("backend", "GET /price")
    durations = [(s.end_time - s.start_time) / 1e6 for s in spans]
    assert answer["average_duration_ms"] == pytest.approx(sum(durations) / CALLS, abs=1e-3)
    for key, quant in (("p50_duration_ms", 0.5), ("p95_duration_ms", 0.95),
                       ("p99_duration_ms", 0.99)):
        low, high = exact_quantile(durations, quant)
        assert low * (1 - ACCURACY) - 1e-9 <= answer[key] <= high * (1 + ACCURACY) + 1e-9, key
    errors = [s for s in spans if s.status.status_code.name == "ERROR"]
    assert answer["error_rate"] == pytest.approx(len(errors) / CALLS, abs=1e-6)  # 6 digits
    assert answer["throughput_per_minute"] == pytest.approx(CALLS / 60)
    slowest = sorted(spans, key=lambda s: s.end_time - s.start_time, reverse=True)[:10]
    assert [s["trace_id"] for s in answer["slowest_spans"]] == \
        [f"{s.context.trace_id:032x}" for s in slowest]
    by_trace = {f"{s.context.trace_id:032x}": s for s in spans}
    for row in answer["slowest_spans"]:
        failed = by_trace[row["trace_id"]].status.status_code.name == "ERROR"
        assert row["error"] == ("price_timeout" if failed else None)
    assert answer["dependency_map"]["prices"]["calls"] == CALLS
    db = tree.of("backend", "SELECT prices")
    assert answer["dependency_map"]["prices"]["avg_duration_ms"] == pytest.approx(
        sum((s.end_time - s.start_time) / 1e6 for s in db) / CALLS, abs=1e-3)


def test_dependencies_and_bounded_queries(apm: Any) -> None:
    _, _, api = apm

    def graph() -> Any:
        g = get(f"{api}/dependencies?range=30m")
        return g if len(g["edges"]) == 3 else None

    g = poll(graph)
    assert g, get(f"{api}/dependencies")
    assert g["nodes"] == ["backend", "frontend", "prices", "user"]
    assert {(e["client"], e["server"]): e["calls"] for e in g["edges"]} == {
        ("frontend", "backend"): CALLS, ("backend", "prices"): CALLS,
        ("user", "frontend"): CALLS}
    for bad in ("range=2h", "range=abc", "limit=1000"):
        with pytest.raises(urllib.error.HTTPError) as err:
            get(f"{api}/spans/analytics?{bad}")
        assert err.value.code == 400
        assert "error" in json.load(err.value)

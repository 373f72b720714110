"""The prometheus receiver scraping real targets: a real Prometheus's own /metrics, and a
prometheus_client application speaking OpenMetrics with exemplars that goes away and comes
back (up 0 and staleness markers, then up 1 with a new start time)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from otelpy.clock import SYSTEM_CLOCK
from otelpy.pdata import items
from otelpy.testing.polling import until
from otelpy.testing.process import free_ports, wait_until
from tests.integration.promserver import PrometheusServer
from tests.receivers.prometheus.harness import make_receiver

APP = Path(__file__).parent / "promclient_app.py"


def _start_app(port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, str(APP), str(port)])
    wait_until(lambda: _reachable(port), 30, "prometheus_client app")
    return proc


def _reachable(port: int) -> bool:
    import socket
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def ports() -> Iterator[tuple[int, int]]:
    yield tuple(free_ports(2))  # type: ignore[misc]


def _metrics(sink: Any) -> list[Any]:
    return [m for b in sink.batches for m in items.metrics(b.message)]


def _named(sink: Any, name: str) -> list[Any]:
    return [(m.resource, m.metric) for m in _metrics(sink) if m.metric.name == name]


async def test_scrapes_prometheus_own_metrics(tmp_path: Path, ports: tuple[int, int]) -> None:
    prom = PrometheusServer(tmp_path / "prom", ports[0], {})
    receiver, sink, _ = make_receiver({"scrape_configs": [{
        "job_name": "prometheus", "scrape_interval": "1s",
        "static_configs": [{"targets": [f"127.0.0.1:{ports[0]}"]}]}]}, clock=SYSTEM_CLOCK)
    await receiver.start()
    try:
        await until(lambda: _named(sink, "prometheus_build_info"), 30)
    finally:
        await receiver.shutdown()
        prom.stop()
    resource, info = _named(sink, "prometheus_build_info")[0]
    attrs = {kv.key: kv.value.string_value for kv in resource.resource.attributes}
    assert attrs["service.name"] == "prometheus"
    assert attrs["service.instance.id"] == f"127.0.0.1:{ports[0]}"
    point = info.gauge.data_points[0]
    labels = {kv.key: kv.value.string_value for kv in point.attributes}
    assert labels["version"] == "2.42.0+ds" and point.as_double == 1.0
    _, counter = _named(sink, "prometheus_http_requests_total")[0]
    assert counter.sum.is_monotonic
    _, hist = _named(sink, "prometheus_http_request_duration_seconds")[0]
    hp = hist.histogram.data_points[0]
    assert sum(hp.bucket_counts) == hp.count and len(hp.explicit_bounds) > 3
    _, up = _named(sink, "up")[0]
    assert up.gauge.data_points[0].as_double == 1.0


async def test_prometheus_client_openmetrics_exemplars_and_flapping(
        ports: tuple[int, int]) -> None:
    port = ports[1]
    app = _start_app(port)
    receiver, sink, _ = make_receiver({"scrape_configs": [{
        "job_name": "shop", "scrape_interval": "1s", "scrape_timeout": "1s",
        "static_configs": [{"targets": [f"127.0.0.1:{port}"]}]}]}, clock=SYSTEM_CLOCK)
    await receiver.start()
    try:
        await until(lambda: len(_named(sink, "shop_requests_total")) >= 2, 30)
        _, counter = _named(sink, "shop_requests_total")[-1]
        point = counter.sum.data_points[0]
        assert counter.sum.is_monotonic and point.as_double >= 2
        assert point.start_time_unix_nano < point.time_unix_nano  # from shop_requests_created
        ex = point.exemplars[0]
        assert ex.trace_id.hex() == "4bf92f3577b34da6a3ce929d0e0e4736"
        assert ex.span_id.hex() == "00f067aa0ba902b7" and ex.as_double == 1.0
        _, hist = _named(sink, "shop_latency_seconds")[-1]
        hp = hist.histogram.data_points[0]
        assert list(hp.explicit_bounds) == [0.1, 0.5, 1.0]
        assert hp.bucket_counts[1] == hp.count and hp.exemplars[0].as_double == 0.3
        _, summary = _named(sink, "shop_payload_bytes")[-1]
        sp = summary.summary.data_points[0]
        assert sp.sum == 512.0 * sp.count
        app.terminate()
        app.wait(timeout=30)
        seen = len(sink.batches)
        await until(lambda: any(p.metric.name == "up" and p.point.as_double == 0.0
                                for b in sink.batches[seen:]
                                for p in items.data_points(b.message)), 30)
        stale = [p for b in sink.batches[seen:] for p in items.data_points(b.message)
                 if p.metric.name == "shop_requests_total"]
        assert stale and stale[0].point.flags == 1
        app = _start_app(port)
        seen = len(sink.batches)
        await until(lambda: any(p.metric.name == "shop_requests_total" and not p.point.flags
                                for b in sink.batches[seen:]
                                for p in items.data_points(b.message)), 30)
    finally:
        await receiver.shutdown()
        app.terminate()
        app.wait(timeout=30)

"""Incidents by series values and by the service graph: alerts of different services whose
recent values move together join one incident (Pearson's r as the score), unrelated ones do
not, and the probable first cause is the service the others depend on when the servicegraph
metrics say so, even when its alert fired later. Deterministic series."""

from __future__ import annotations

import math
from typing import Any

import pytest

from otelpy.alertmanager.dependencies import EDGE_METRIC, DependencyGraph
from otelpy.alertmanager.events import alert_from_attributes
from otelpy.alertmanager.seriescorr import series_correlation
from otelpy.component import Signal
from otelpy.pdata.build import RequestBuilder
from otelpy.pdata.values import Attributes
from otelpy.testing.polling import until
from tests.exporters.notify.harness import Running, alert_batch, running

T0 = 1_767_225_600.0  # the FakeClock's start


def wave(n: int, phase: float = 0.0, scale: float = 1.0, offset: float = 0.0,
         step: float = 15.0, start: float = T0 - 600) -> list[tuple[float, float]]:
    """``n`` evaluations ``step`` seconds apart of a slow wave in time (deterministic)."""
    return [(start + i * step,
             offset + scale * math.sin((start + i * step - T0) / 90 + phase))
            for i in range(n)]


def zigzag(n: int, step: float = 15.0, start: float = T0 - 600) -> list[tuple[float, float]]:
    """Unrelated to :func:`wave` at the 60 s buckets: alternating steps."""
    return [(start + i * step, 10.0 + (3.0 if (i // 4) % 2 else 0.0) + (i % 3))
            for i in range(n)]


def test_correlation_aligns_rules_with_different_intervals_and_offsets() -> None:
    a = wave(40)
    b = wave(20, scale=5.0, offset=100.0, step=30.0, start=T0 - 593)  # same shape, 30 s
    r = series_correlation(a, b, 60.0, 4)
    assert r is not None and r > 0.95
    assert series_correlation(a, [(t, -v) for t, v in b], 60.0, 4) < -0.95  # type: ignore[operator]
    unrelated = series_correlation(a, zigzag(40), 60.0, 4)
    assert unrelated is not None and abs(unrelated) < 0.5
    assert series_correlation(a[:3], b, 60.0, 4) is None  # too few points
    assert series_correlation(a, [(t, 1.0) for t, _ in a], 60.0, 4) is None  # constant
    assert series_correlation(a, wave(40, start=T0 + 3600), 60.0, 4) is None  # no overlap


def test_root_service_is_the_deepest_dependency_of_the_members() -> None:
    graph = DependencyGraph(ttl=600)
    for client, server in [("frontend", "checkout"), ("checkout", "payments"),
                           ("checkout", "cart"), ("frontend", "ads")]:
        graph.add(client, server, T0)
    assert graph.root_service(["frontend", "payments"], T0) == "payments"
    assert graph.root_service(["frontend", "checkout", "payments"], T0) == "payments"
    assert graph.root_service(["frontend", "checkout"], T0) == "checkout"
    assert graph.root_service(["payments", "cart"], T0) is None  # siblings: nobody's cause
    assert graph.root_service(["frontend", "mystery"], T0) is None  # unknown to the graph
    assert graph.root_service(["payments"], T0) is None
    assert graph.root_service(["frontend", "payments"], T0 + 601) is None  # edges expired
    assert len(graph) == 0


def test_series_attribute_is_read_and_malformed_ones_ignored() -> None:
    base = {"event.name": "alert", "labels": {"alertname": "X"}, "state": "firing"}
    ok = alert_from_attributes({**base, "series": {"t": [1000, 61000], "v": [1.0, 2]}}, T0, 300)
    assert ok is not None and ok.series == ((1.0, 1.0), (61.0, 2.0))
    for bad in ({"t": [1], "v": []}, {"t": ["x"], "v": [1.0]}, [1, 2], {"t": [1], "v": [True]}):
        got = alert_from_attributes({**base, "series": bad}, T0, 300)
        assert got is not None and got.series == ()


def edges(*pairs: tuple[str, str]) -> Any:
    b = RequestBuilder(Signal.METRICS)
    scope = b.scope({"service.name": "otelpy"})
    metric = scope.metrics.add(name=EDGE_METRIC)
    for client, server in pairs:
        point = metric.sum.data_points.add(as_double=1.0)
        Attributes(point.attributes).update({"client": client, "server": server})
    scope.metrics.add(name="unrelated").gauge.data_points.add(as_double=1.0)
    return b.batch()


def event(labels: dict[str, str], series: list[tuple[float, float]],
          starts: float) -> dict[str, Any]:
    from datetime import UTC, datetime
    return {"labels": labels, "startsAt": datetime.fromtimestamp(starts, UTC).isoformat(),
            "series": {"t": [round(t * 1000) for t, _ in series], "v": [v for _, v in series]}}


async def incidents(run: Running) -> list[dict[str, Any]]:
    async with run.session.get(run.api + "/incidents") as resp:
        assert resp.status == 200
        body: list[dict[str, Any]] = await resp.json()
        return body


CONFIG = {"route": {"receiver": "team", "group_wait": "30s"},
          "receivers": [{"name": "team"}],
          "correlation": {"time_window_minutes": 10, "correlation_threshold": 0.8,
                          "update_interval": "10s"}}


async def test_correlated_series_join_and_the_upstream_dependency_is_first_cause() -> None:
    frontend = {"alertname": "HighLatency", "service": "frontend", "team": "web"}
    payments = {"alertname": "DBErrors", "service": "payments", "team": "billing"}
    ads = {"alertname": "CPUHigh", "service": "ads", "team": "growth"}
    async with running(CONFIG) as run:
        await run.exporter.consume_metrics(edges(("frontend", "checkout"),
                                                 ("checkout", "payments")))
        # the caller's alert fires first; the payments database's alert 2 minutes later
        await run.exporter.consume_logs(alert_batch(
            event(frontend, wave(40), T0 - 300),
            event(ads, zigzag(40), T0 - 200)))
        await run.exporter.consume_logs(alert_batch(
            event(payments, wave(40, scale=30.0, offset=500.0), T0 - 180)))
        await run.clock.advance(10)
        await until(lambda: incidents(run), within=30)
        listed = await incidents(run)
        assert len(listed) == 1
        inc = listed[0]
        assert sorted(m["labels"]["service"] for m in inc["members"]) == ["frontend", "payments"]
        assert inc["score"] > 0.95  # Pearson's r; their labels share nothing
        cause = inc["firstCause"]
        assert cause["labels"]["service"] == "payments" and cause["reason"] == "service graph"


async def test_without_the_graph_the_earliest_alert_is_first_cause() -> None:
    frontend = {"alertname": "HighLatency", "service": "frontend"}
    payments = {"alertname": "DBErrors", "service": "payments"}
    async with running(CONFIG) as run:
        await run.exporter.consume_logs(alert_batch(
            event(frontend, wave(40), T0 - 300),
            event(payments, wave(40, phase=0.1), T0 - 180)))
        await run.clock.advance(10)
        await until(lambda: incidents(run), within=30)
        cause = (await incidents(run))[0]["firstCause"]
        assert cause["labels"]["service"] == "frontend" and cause["reason"] == "earliest"


@pytest.mark.parametrize("series", [False, True])
async def test_series_correlation_can_be_turned_off(series: bool) -> None:
    doc = {**CONFIG, "correlation": {**CONFIG["correlation"], "series": series}}  # type: ignore[dict-item]
    async with running(doc) as run:
        await run.exporter.consume_logs(alert_batch(
            event({"alertname": "A", "service": "x"}, wave(40), T0 - 300),
            event({"alertname": "B", "service": "y"}, wave(40), T0 - 200)))
        await run.clock.advance(10)
        await run.clock.advance(10)
        assert len(await incidents(run)) == (1 if series else 0)

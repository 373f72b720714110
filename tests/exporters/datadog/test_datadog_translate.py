"""Datadog's OTLP mapping, table-tested: cumulative monotonic sums to count differences
(resets, out-of-order, initial value), histogram counters, summaries, hostname order."""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)

from otelpy.exporters.datadog.config import MetricsSettings
from otelpy.exporters.datadog.translate import Translator
from otelpy.pdata.values import Attributes

S = 1_000_000_000
STARTED = 1000 * S


def _sum(points: list[tuple[int, int, float]], resource: dict[str, str] | None = None
         ) -> ExportMetricsServiceRequest:
    req = ExportMetricsServiceRequest()
    rm = req.resource_metrics.add()
    for k, v in (resource or {}).items():
        Attributes(rm.resource.attributes)[k] = v
    m = rm.scope_metrics.add().metrics.add()
    m.name, m.sum.aggregation_temporality, m.sum.is_monotonic = "c", 2, True
    for start, t, value in points:
        p = m.sum.data_points.add()
        p.start_time_unix_nano, p.time_unix_nano, p.as_double = start * S, t * S, value
    return req


CASES = {
    # initial mode, [(start s, time s, value)] one per request, expected values sent
    "auto_old_start_dropped": ("auto", [(10, 1100, 5), (10, 1110, 8)], [3.0]),
    "auto_new_start_kept": ("auto", [(1050, 1100, 5), (1050, 1110, 8)], [5.0, 3.0]),
    "keep": ("keep", [(10, 1100, 5)], [5.0]),
    "drop": ("drop", [(1050, 1100, 5), (1050, 1110, 6)], [1.0]),
    "decrease_is_reset": ("drop", [(10, 1100, 5), (10, 1110, 2), (10, 1120, 4)], [2.0]),
    "new_start_is_reset": ("drop", [(10, 1100, 5), (1105, 1110, 7), (1105, 1120, 9)], [2.0]),
    "out_of_order_dropped": ("drop", [(10, 1100, 5), (10, 1090, 6), (10, 1110, 9)], [4.0]),
}


@pytest.mark.parametrize("mode,points,sent", CASES.values(), ids=CASES.keys())
def test_cumulative_monotonic_to_counts(mode: str, points: list[tuple[int, int, float]],
                                        sent: list[float]) -> None:
    cfg = MetricsSettings.model_validate({"sums": {"initial_cumulative_monotonic_value": mode}})
    tr = Translator(cfg, "fallback", STARTED)
    out = [s for p in points for s in tr.series(_sum([p]), 0.0)]
    assert [s.value for s in out] == sent
    assert all(s.type == "count" for s in out)


def test_raw_value_mode_sends_gauges() -> None:
    cfg = MetricsSettings.model_validate({"sums": {"cumulative_monotonic_mode": "raw_value"}})
    (s,) = Translator(cfg, "h", STARTED).series(_sum([(10, 1100, 5)]), 0.0)
    assert (s.type, s.value) == ("gauge", 5.0)


@pytest.mark.parametrize("resource,host", [
    ({"datadog.host.name": "dd", "host.name": "otel"}, "dd"),
    ({"host.name": "otel"}, "otel"),
    ({}, "fallback"),
], ids=["datadog_namespace", "host_name", "config_or_os"])
def test_hostname_order(resource: dict[str, str], host: str) -> None:
    cfg = MetricsSettings.model_validate({"sums": {"cumulative_monotonic_mode": "raw_value"}})
    (s,) = Translator(cfg, "fallback", STARTED).series(_sum([(10, 1100, 5)], resource), 0.0)
    assert s.host == host


def _histogram(t: int, counts: list[int], temporality: int) -> Any:
    req = ExportMetricsServiceRequest()
    m = req.resource_metrics.add().scope_metrics.add().metrics.add()
    m.name, m.histogram.aggregation_temporality = "h", temporality
    p = m.histogram.data_points.add()
    p.start_time_unix_nano, p.time_unix_nano = 10 * S, t * S
    p.count, p.sum, p.min, p.max = sum(counts), 2.0 * t, 0.5, 9.0
    p.explicit_bounds.extend([1.0, 5.0])
    p.bucket_counts.extend(counts)
    return req


def test_histogram_counters_delta() -> None:
    cfg = MetricsSettings.model_validate({"histograms": {"send_aggregation_metrics": True}})
    out = list(Translator(cfg, "h", STARTED).series(_histogram(1100, [1, 2, 3], 1), 0.0))
    assert [(s.name, s.type, s.value, s.tags) for s in out] == [
        ("h.count", "count", 6.0, ()), ("h.sum", "count", 2200.0, ()),
        ("h.min", "gauge", 0.5, ()), ("h.max", "gauge", 9.0, ()),
        ("h.bucket", "count", 1.0, ("lower_bound:-inf", "upper_bound:1.0")),
        ("h.bucket", "count", 2.0, ("lower_bound:1.0", "upper_bound:5.0")),
        ("h.bucket", "count", 3.0, ("lower_bound:5.0", "upper_bound:inf"))]


def test_histogram_counters_cumulative_differences() -> None:
    tr = Translator(MetricsSettings(), "h", STARTED)
    assert list(tr.series(_histogram(1100, [1, 2, 3], 2), 0.0)) == []
    out = list(tr.series(_histogram(1110, [2, 2, 5], 2), 0.0))
    assert [s.value for s in out] == [1.0, 0.0, 2.0]


def test_series_limit_counts_skips() -> None:
    cfg = MetricsSettings.model_validate({"max_series": 1,
                                          "sums": {"initial_cumulative_monotonic_value":
                                                   "keep"}})
    tr = Translator(cfg, "h", STARTED)
    out = list(tr.series(_sum([(10, 1100, 5)]), 0.0))
    req = _sum([(10, 1100, 5)])
    Attributes(req.resource_metrics[0].scope_metrics[0].metrics[0].sum.data_points[0]
               .attributes)["k"] = "other"
    out += list(tr.series(req, 0.0))
    assert len(out) == 1 and tr.skipped == 1

"""Metrics of one scrape as OTLP: one metric per enabled definition, data points added as the
scraper records them (the Collector's generated MetricsBuilder)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry.proto.metrics.v1.metrics_pb2 import AggregationTemporality, Metric

from otelpy.receivers.hostmetrics.metadata import MetricDef

__all__ = ["MetricsBuilder"]

_CUMULATIVE = AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE


class MetricsBuilder:
    """Collects data points of the enabled metrics of one scraper for one resource.

    ``record`` of a disabled metric does nothing, so scrapers need not check toggles (they
    may ask :meth:`enabled` to skip expensive reads). Every point gets ``start_ns`` and the
    builder's timestamp, as the Collector's builders set both on sums and gauges.
    """

    def __init__(self, defs: tuple[MetricDef, ...], enabled: Mapping[str, bool],
                 start_ns: int, now_ns: int) -> None:
        self._defs = {d.name: d for d in defs if enabled.get(d.name, d.enabled)}
        self._metrics: dict[str, Metric] = {}
        self.start_ns = start_ns
        self.now_ns = now_ns
        self.points = 0

    def enabled(self, name: str) -> bool:
        return name in self._defs

    def record(self, name: str, value: float, attributes: Mapping[str, str] | None = None,
               start_ns: int | None = None) -> None:
        """Add one data point to ``name`` (int metrics take int(value))."""
        spec = self._defs.get(name)
        if spec is None:
            return
        metric = self._metrics.get(name)
        if metric is None:
            metric = self._metrics[name] = self._new(spec)
        data: Any = metric.sum if spec.kind == "sum" else metric.gauge
        point = data.data_points.add(start_time_unix_nano=start_ns or self.start_ns,
                                     time_unix_nano=self.now_ns)
        if spec.value == "int":
            point.as_int = int(value)
        else:
            point.as_double = float(value)
        for key, text in (attributes or {}).items():
            point.attributes.add(key=key).value.string_value = text
        self.points += 1

    @staticmethod
    def _new(spec: MetricDef) -> Metric:
        metric = Metric(name=spec.name, description=spec.description, unit=spec.unit)
        if spec.kind == "sum":
            metric.sum.aggregation_temporality = _CUMULATIVE
            metric.sum.is_monotonic = spec.monotonic
        else:
            metric.gauge.SetInParent()
        return metric

    def metrics(self) -> list[Metric]:
        """The metrics with points, sorted by name (the Collector's emit order)."""
        return [self._metrics[name] for name in sorted(self._metrics)]

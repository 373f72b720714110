"""The anomaly processor: one online detector per selected series; scores ride along as gauges."""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from otelpy.anomaly import Detector, create_detector
from otelpy.component import ComponentBase, Settings
from otelpy.consumer import Capabilities, Consumer
from otelpy.pdata import Batch, items
from otelpy.pdata.asstring import as_string
from otelpy.pdata.values import Attributes
from otelpy.processors.anomaly.config import AnomalyConfig, SeriesMatch

Matcher = Callable[[str, Attributes, Attributes], bool]
SeriesKey = tuple[str, tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]


def compile_match(block: SeriesMatch) -> Matcher:
    names = [re.compile(p) for p in block.metric_names]
    attrs = [(k, re.compile(p)) for k, p in block.attributes.items()]

    def match(name: str, point: Attributes, resource: Attributes) -> bool:
        if names and not any(p.fullmatch(name) for p in names):
            return False
        for key, pattern in attrs:
            value = point.get(key, resource.get(key))
            if value is None or not pattern.fullmatch(as_string(value)):
                return False
        return True

    return match


def _key(name: str, point: Attributes, resource: Attributes) -> SeriesKey:
    return (name, tuple(sorted((k, as_string(v)) for k, v in resource.items())),
            tuple(sorted((k, as_string(v)) for k, v in point.items())))


class AnomalyProcessor(Consumer, ComponentBase):
    """Scores gauge and sum data points; adds one ``<name><suffix>`` gauge per scored metric."""

    capabilities = Capabilities(mutates_data=True)

    def __init__(self, settings: Settings, cfg: AnomalyConfig, next_consumer: Consumer) -> None:
        self._cfg = cfg
        self._next = next_consumer
        self._include = compile_match(cfg.include) if cfg.include else None
        self._exclude = compile_match(cfg.exclude) if cfg.exclude else None
        self._groups = [(compile_match(g.match), g.method,
                         {"season": g.season} if g.method == "robust" else {})
                        for g in cfg.groups]
        self._series: OrderedDict[SeriesKey, Detector] = OrderedDict()
        labels = {"processor": str(settings.id)}
        self._evicted = settings.telemetry.counter(
            "otelpy_processor_anomaly_series_evicted",
            "Series forgotten to stay within max_series", ["processor"]).labels(**labels)
        self._scored = settings.telemetry.counter(
            "otelpy_processor_anomaly_points_scored",
            "Data points given an anomaly score", ["processor"]).labels(**labels)

    @property
    def series(self) -> int:
        return len(self._series)

    def _selected(self, name: str, point: Attributes, resource: Attributes) -> bool:
        if name.endswith(self._cfg.suffix):
            return False  # never score the scores
        if self._include is not None and not self._include(name, point, resource):
            return False
        return self._exclude is None or not self._exclude(name, point, resource)

    def _detector(self, name: str, point: Attributes, resource: Attributes) -> Detector:
        key = _key(name, point, resource)
        detector = self._series.get(key)
        if detector is not None:
            self._series.move_to_end(key)
            return detector
        method, params = self._cfg.method, {}
        for match, group_method, group_params in self._groups:
            if match(name, point, resource):
                method, params = group_method, group_params
                break
        detector = create_detector(method, **params)
        self._series[key] = detector
        if len(self._series) > self._cfg.max_series:
            self._series.popitem(last=False)
            self._evicted.inc()
        return detector

    def process(self, request: Any) -> int:
        """Score every selected number point of a decoded request in place; returns the count."""
        added: list[tuple[Any, Any, list[tuple[Any, float]]]] = []
        for item in items.metrics(request):
            kind = item.kind
            if kind not in ("gauge", "sum"):
                continue
            name = item.metric.name
            resource = Attributes(item.resource.resource.attributes)
            scores = []
            for point in getattr(item.metric, kind).data_points:
                attrs = Attributes(point.attributes)
                which = point.WhichOneof("value")
                if which is None or not self._selected(name, attrs, resource):
                    continue
                value = float(getattr(point, which))
                detector = self._detector(name, attrs, resource)
                scores.append((point, detector.score(value, point.time_unix_nano / 1e9)))
            if scores:
                added.append((item.scope, item.metric, scores))
        for scope, metric, scores in added:
            _append_scores(scope, metric, self._cfg.suffix, scores)
        count = sum(len(s) for _, _, s in added)
        self._scored.inc(count)
        return count

    async def consume_metrics(self, batch: Batch) -> None:
        self.process(batch.mutable_message())
        await self._next.consume_metrics(batch)


def _append_scores(scope: Any, metric: Any, suffix: str, scores: list[tuple[Any, float]]) -> None:
    out = scope.metrics.add()
    out.name = metric.name + suffix
    out.description = f"Anomaly score of {metric.name} in [0, 1] (otelpy anomaly processor)"
    out.unit = "1"
    for point, score in scores:
        target = out.gauge.data_points.add()
        target.attributes.extend(point.attributes)
        target.start_time_unix_nano = point.start_time_unix_nano
        target.time_unix_nano = point.time_unix_nano
        target.as_double = score

"""The metricstransform processor: renames, copies, combines, regroups and reshapes metrics.

Transforms run in order on the metrics of each scope (processMetrics in the Collector's
metrics_transform_processor_otlp.go):

* ``update``: each metric whose name matches (and some point matches the labels) is changed
  in place, and dropped when the operations leave it without points;
* ``insert``: each such metric (only its matching points) is copied, changed and appended;
* ``combine``: all such metrics (only their matching points) are removed and merged into one
  new metric named ``new_name``, regexp submatches becoming labels, points aggregated; metrics
  that cannot be combined (different types, units, label keys, temporality or monotonicity;
  summaries) are left as they are, with a warning;
* ``group``: such metrics (only their matching points) move under a copy of the resource with
  ``group_resource_labels`` added, appended as a new resource.

Scopes and resources left without metrics are removed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from opentelemetry.proto.resource.v1.resource_pb2 import Resource

from otelpy.component import ComponentBase, Settings, Signal
from otelpy.consumer import Capabilities, Consumer
from otelpy.pdata import Batch, items
from otelpy.pdata.build import RequestBuilder
from otelpy.pdata.items import point_kind
from otelpy.pdata.values import Attributes
from otelpy.processors.metricstransform.aggregate import (
    Groups,
    copy_details,
    group_points,
    merge_groups,
)
from otelpy.processors.metricstransform.config import MetricsTransformConfig
from otelpy.processors.metricstransform.operations import CompiledTransform, transform_metric
from otelpy.processors.metricstransform.selection import Selection, points_of


class MetricsTransformProcessor(Consumer, ComponentBase):
    """One instance per metrics pipeline it appears in."""

    capabilities = Capabilities(mutates_data=True)

    def __init__(self, settings: Settings, cfg: MetricsTransformConfig, signal: Signal,
                 next_consumer: Consumer) -> None:
        if signal is not Signal.METRICS:
            raise ValueError(f"metricstransform does not support {signal.value}")
        self._log = settings.logger
        self._transforms = [CompiledTransform.of(t) for t in cfg.transforms]
        self._forward: Callable[[Batch], Awaitable[None]] = next_consumer.consume_metrics

    def process(self, request: Any) -> None:
        """Apply every transform to a decoded ExportMetricsServiceRequest, in place."""
        grouped = RequestBuilder(Signal.METRICS)
        for scope_item in list(items.scopes(request)):
            metrics = scope_item.scope.metrics
            for t in self._transforms:
                action = t.config.action
                if action == "group":
                    _group(scope_item, t, grouped)
                elif action == "combine":
                    self._combine(metrics, t)
                elif action == "insert":
                    self._insert(metrics, t)
                else:
                    self._update(metrics, t)
        items.prune_empty(request)  # RemoveIf in the Collector
        if grouped:
            request.resource_metrics.extend(grouped.request.resource_metrics)

    def _update(self, metrics: Any, t: CompiledTransform) -> None:
        doomed = [i for i, metric in enumerate(metrics)
                  if t.selection.match_metric(metric) and
                  not transform_metric(metric, t, self._log)]
        for index in reversed(doomed):
            del metrics[index]

    def _insert(self, metrics: Any, t: CompiledTransform) -> None:
        for index in range(len(metrics)):
            extracted = t.selection.extract(metrics[index])
            if extracted is None:
                continue
            copy = type(extracted)()
            copy.CopyFrom(extracted)
            if transform_metric(copy, t, self._log):
                metrics.append(copy)

    def _combine(self, metrics: Any, t: CompiledTransform) -> None:
        matched = [m for m in metrics if t.selection.match_metric(m)]
        if not matched:
            return
        problem = combine_problem(matched)
        if problem:
            self._log.warning("%s", problem)
            return
        extracted = _extract_and_remove(metrics, t.selection)
        combined = _combined(t, extracted)
        if transform_metric(combined, t, self._log):
            metrics.append(combined)

    async def consume_metrics(self, batch: Batch) -> None:
        if self._transforms:
            self.process(batch.mutable_message())
        await self._forward(batch)


def _extract_and_remove(metrics: Any, selection: Selection) -> list[Any]:
    """The matching part of each matching metric; the matching metrics leave ``metrics``."""
    out: list[Any] = []
    doomed: list[int] = []
    for index, metric in enumerate(metrics):
        extracted = selection.extract(metric)
        if extracted is not None:
            copy = type(extracted)()
            copy.CopyFrom(extracted)
            out.append(copy)
            doomed.append(index)
    for index in reversed(doomed):
        del metrics[index]
    return out


def _group(scope_item: Any, t: CompiledTransform, grouped: RequestBuilder) -> None:
    """The scope's matching metrics move under a copy of its resource with the group labels
    (and a copy of its scope) in ``grouped``."""
    extracted = _extract_and_remove(scope_item.scope.metrics, t.selection)
    if not extracted:
        return
    resource = Resource()
    resource.CopyFrom(scope_item.resource.resource)
    attributes = Attributes(resource.attributes)
    for key, value in (t.config.group_resource_labels or {}).items():
        attributes[key] = value
    scope = grouped.scope(resource, scope_item.scope.scope,
                          schema_url=scope_item.scope.schema_url,
                          resource_schema_url=scope_item.resource.schema_url)
    scope.metrics.extend(extracted)


def _put_str(attributes: Any, key: str, text: str) -> None:
    Attributes(attributes)[key] = text


def _combined(t: CompiledTransform, metrics: list[Any]) -> Any:
    combined = copy_details(metrics[0])
    combined.name = t.config.new_name
    case = t.config.submatch_case
    for metric in metrics:
        labels = [(key, value.lower() if case == "lower" else
                   value.upper() if case == "upper" else value)
                  for key, value in t.selection.submatch_labels(metric.name)]
        labels = [(key, value) for key, value in labels if value]
        for point in points_of(metric):
            for key, value in labels:
                _put_str(point.attributes, key, value)
    groups: dict[str, Groups] = {}
    for metric in metrics:
        group_points(metric, groups)
    merge_groups(combined, t.config.aggregation_type, groups)
    return combined


def _label_keys(metric: Any) -> set[str]:
    return {kv.key for point in points_of(metric) for kv in point.attributes}


def combine_problem(metrics: list[Any]) -> str:
    """Why these metrics cannot be combined ("" when they can): canBeCombined's checks."""
    if len(metrics) <= 1:
        return ""
    first = metrics[0]
    for metric in metrics:
        if point_kind(metric) == "summary":
            return f"Summary metrics cannot be combined: {metric.name} "
    for metric in metrics[1:]:
        problem = _pair_problem(first, metric)
        if problem:
            return f"metrics cannot be combined as they {problem}"
    return ""


def _pair_problem(first: Any, metric: Any) -> str:
    kind, other = point_kind(first), point_kind(metric)
    pairs = [("are of different types", kind, other), ("have different units", first.unit,
                                                       metric.unit),
             ("have different attributes", sorted(_label_keys(first)),
              sorted(_label_keys(metric)))]
    if kind == other and kind in ("sum", "histogram", "exponential_histogram"):
        pairs.append(("have different aggregation temporalities",
                      getattr(first, kind).aggregation_temporality,
                      getattr(metric, kind).aggregation_temporality))
    if kind == other == "sum":
        pairs.append(("have different monotonicity", first.sum.is_monotonic,
                      metric.sum.is_monotonic))
    for what, a, b in pairs:
        if a != b:
            return f"{what}: {first.name} ({a}) and {metric.name} ({b})"
    return ""


__all__ = ["MetricsTransformProcessor", "combine_problem"]

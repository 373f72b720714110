"""The operations of a transform, applied to one metric (the Collector's operation_*.go).

With ``action: update``, add_label, delete_label_value, aggregate_labels,
aggregate_label_values and the rename apply only when every point of the metric matches
``experimental_match_labels``; update_label, toggle_scalar_data_type and
experimental_scale_value apply to the matching points.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.proto.common.v1.common_pb2 import KeyValue

from otelpy import __version__
from otelpy.pdata.items import point_kind
from otelpy.processors.metricstransform.aggregate import (
    Groups,
    copy_details,
    filter_labels,
    go_int,
    group_points,
    merge_groups,
)
from otelpy.processors.metricstransform.config import Operation, Transform
from otelpy.processors.metricstransform.selection import Selection, label_str, points_of

__all__ = ["CompiledTransform", "transform_metric"]

_VERSION = f"v{__version__}"


@dataclass(frozen=True)
class CompiledOperation:
    op: Operation
    new_value: str
    value_map: dict[str, str] = field(default_factory=dict)


@dataclass
class CompiledTransform:
    """A transform with its filter compiled and ``{{version}}`` substituted."""

    config: Transform
    selection: Selection
    operations: list[CompiledOperation]

    @classmethod
    def of(cls, transform: Transform) -> CompiledTransform:
        ops = [CompiledOperation(
            op, op.new_value.replace("{{version}}", _VERSION),
            {va.value: va.new_value.replace("{{version}}", _VERSION)
             for va in op.value_actions}) for op in transform.operations]
        return cls(transform, Selection(transform), ops)


def transform_metric(metric: Any, t: CompiledTransform, log: logging.Logger) -> bool:
    """Rename ``metric`` and apply the operations in place; False when it lost every point."""
    was_empty = not points_of(metric)
    can_change = t.config.action != "update" or t.selection.match_all_points(metric)
    if t.config.new_name and can_change:
        metric.name = t.selection.expand(t.config.new_name, metric.name) or t.config.new_name
    for compiled in t.operations:
        action = compiled.op.action
        if action in _ANY_POINTS:
            _ANY_POINTS[action](metric, compiled, t.selection)
        elif can_change:
            _WHOLE_METRIC[action](metric, compiled, log)
    return was_empty or bool(points_of(metric))


def _update_label(metric: Any, c: CompiledOperation, sel: Selection) -> None:
    op = c.op
    for point in points_of(metric):
        if not sel.match_attrs(point.attributes):
            continue
        old = next((kv for kv in point.attributes if kv.key == op.label), None)
        if old is None:
            continue
        key, text = op.label, str(old.value.string_value)
        if op.new_label:
            value = type(old.value)()
            value.CopyFrom(old.value)
            _put(point.attributes, op.new_label, value)
            _remove(point.attributes, op.label)
            key = op.new_label
        if text in c.value_map:
            _put_str(point.attributes, key, c.value_map[text])


def _toggle_type(metric: Any, _c: CompiledOperation, sel: Selection) -> None:
    if point_kind(metric) not in ("gauge", "sum"):
        return
    for point in points_of(metric):
        if not sel.match_attrs(point.attributes):
            continue
        if point.WhichOneof("value") == "as_int":
            point.as_double = float(point.as_int)
        elif point.WhichOneof("value") == "as_double":
            point.as_int = go_int(point.as_double)


def _scale(metric: Any, c: CompiledOperation, sel: Selection) -> None:
    kind, factor = point_kind(metric), c.op.experimental_scale
    if kind not in ("gauge", "sum", "histogram"):
        return
    for point in points_of(metric):
        if not sel.match_attrs(point.attributes):
            continue
        if kind == "histogram":
            _scale_histogram(point, factor)
        elif point.WhichOneof("value") == "as_int":
            point.as_int = go_int(point.as_int * factor)
        elif point.WhichOneof("value") == "as_double":
            point.as_double = point.as_double * factor


def _scale_histogram(point: Any, factor: float) -> None:
    for name in ("sum", "min", "max"):
        if point.HasField(name):
            setattr(point, name, getattr(point, name) * factor)
    point.explicit_bounds[:] = [bound * factor for bound in point.explicit_bounds]
    for exemplar in point.exemplars:
        if exemplar.WhichOneof("value") == "as_int":
            exemplar.as_int = go_int(exemplar.as_int * factor)
        elif exemplar.WhichOneof("value") == "as_double":
            exemplar.as_double = exemplar.as_double * factor


def _add_label(metric: Any, c: CompiledOperation, _log: logging.Logger) -> None:
    for point in points_of(metric):
        if label_str(point.attributes, c.op.new_label) is None:
            point.attributes.add(key=c.op.new_label).value.string_value = c.new_value


def _delete_label_value(metric: Any, c: CompiledOperation, _log: logging.Logger) -> None:
    points = points_of(metric)
    doomed = [i for i, p in enumerate(points)
              if label_str(p.attributes, c.op.label) == c.op.label_value]
    for index in reversed(doomed):
        del points[index]


def _reaggregate(metric: Any, aggregation: str) -> None:
    groups: dict[str, Groups] = {}
    group_points(metric, groups)
    merged = copy_details(metric)
    merge_groups(merged, aggregation, groups)
    metric.CopyFrom(merged)


def _aggregate_labels(metric: Any, c: CompiledOperation, log: logging.Logger) -> None:
    if point_kind(metric) == "summary":
        log.warning("aggregate_labels is not supported for Summary metrics: %s", metric.name)
        return
    filter_labels(metric, c.op.label_set)
    _reaggregate(metric, c.op.aggregation_type)


def _aggregate_label_values(metric: Any, c: CompiledOperation, log: logging.Logger) -> None:
    if point_kind(metric) == "summary":
        log.warning("aggregate_label_values is not supported for Summary metrics: %s",
                    metric.name)
        return
    wanted = set(c.op.aggregated_values)
    for point in points_of(metric):
        for kv in point.attributes:
            if kv.key == c.op.label:
                if kv.value.string_value in wanted:
                    kv.value.string_value = c.new_value
                break
    _reaggregate(metric, c.op.aggregation_type)


def _put(attributes: Any, key: str, value: Any) -> None:
    for kv in attributes:
        if kv.key == key:
            kv.value.CopyFrom(value)
            return
    attributes.append(KeyValue(key=key, value=value))


def _put_str(attributes: Any, key: str, text: str) -> None:
    for kv in attributes:
        if kv.key == key:
            kv.value.string_value = text
            return
    attributes.add(key=key).value.string_value = text


def _remove(attributes: Any, key: str) -> None:
    for index, kv in enumerate(attributes):
        if kv.key == key:
            del attributes[index]
            return


_ANY_POINTS = {"update_label": _update_label, "toggle_scalar_data_type": _toggle_type,
               "experimental_scale_value": _scale}
_WHOLE_METRIC = {"add_label": _add_label, "delete_label_value": _delete_label_value,
                 "aggregate_labels": _aggregate_labels,
                 "aggregate_label_values": _aggregate_label_values}

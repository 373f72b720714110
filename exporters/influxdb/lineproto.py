"""OTLP metrics -> InfluxDB line protocol in the layouts of the Collector's otel2influx
(influxdata/influxdb-observability): ``telegraf-prometheus-v1`` and ``-v2``. Lines are
encoded by influxdb-client's ``Point`` (its escaping, field types and sorted keys).

Tags of a point: its attributes (as text), then the resource attributes (which win on a
clash), then ``otel.library.name`` / ``otel.library.version`` from the scope; empty keys and
values are left out. Every line carries ``start_time_unix_nano`` (integer) when the point
has a start time. A point without a timestamp, a histogram whose bucket counts do not fit
its bounds and exponential histograms are not written: :func:`to_lines` returns how many
points were skipped so the caller counts them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from influxdb_client import Point
from influxdb_client.domain.write_precision import WritePrecision

from otelpy.pdata import items
from otelpy.pdata.asstring import as_string, format_float_fixed
from otelpy.pdata.values import Attributes, Value

__all__ = ["SCHEMAS", "to_lines"]

Fields = dict[str, Any]
Line = tuple[str, dict[str, str], Fields]
_NS = WritePrecision.NS


def _resource_tag(value: Value) -> str:
    """otel2influx's AttributeValueToInfluxTagValue: doubles in fixed notation."""
    if isinstance(value, float):
        return format_float_fixed(value)
    return as_string(value)


def _tags(item: items.PointItem, resource_tags: dict[str, str]) -> dict[str, str]:
    tags = {k: as_string(v) for k, v in item.attributes.items() if k}
    tags.update(resource_tags)
    scope = item.scope.scope
    if scope.name:
        tags["otel.library.name"] = scope.name
    if scope.version:
        tags["otel.library.version"] = scope.version
    return tags


def _number(point: Any) -> float | int | None:
    which = point.WhichOneof("value")
    return None if which is None else getattr(point, which)


def _bucket_fields(point: Any) -> Iterator[tuple[str, float]] | None:
    """(bound as text, cumulative count) per explicit bound; None when counts do not fit."""
    bounds, counts = list(point.explicit_bounds), list(point.bucket_counts)
    if counts and len(counts) not in (len(bounds), len(bounds) + 1):
        return None
    def cumulative() -> Iterator[tuple[str, float]]:
        running = 0
        for i, bound in enumerate(bounds):
            running += counts[i] if i < len(counts) else 0
            yield format_float_fixed(bound), float(running)
    return cumulative()


def _v1(item: items.PointItem, base: Fields) -> list[Line] | None:
    name, point, kind = item.metric.name, item.point, item.kind
    if kind in ("gauge", "sum"):
        value = _number(point)
        if value is None:
            return []
        key = "counter" if kind == "sum" and item.metric.sum.is_monotonic else "gauge"
        return [(name, {}, {**base, key: value})]
    fields = {**base, "count": float(point.count), "sum": point.sum}
    if kind == "histogram":
        buckets = _bucket_fields(point)
        if buckets is None:
            return None
        for extreme in ("min", "max"):
            if point.HasField(extreme):
                fields[extreme] = getattr(point, extreme)
        fields.update(buckets)
    elif kind == "summary":
        fields.update((format_float_fixed(q.quantile), q.value) for q in point.quantile_values)
    else:
        return None
    return [(name, {}, fields)]


def _v2(item: items.PointItem, base: Fields) -> list[Line] | None:
    name, point, kind = item.metric.name, item.point, item.kind
    if kind in ("gauge", "sum"):
        value = _number(point)
        return [] if value is None else [("prometheus", {}, {**base, name: value})]
    head = {**base, f"{name}_count": float(point.count), f"{name}_sum": point.sum}
    if kind == "histogram":
        buckets = _bucket_fields(point)
        if buckets is None:
            return None
        for extreme in ("min", "max"):
            if point.HasField(extreme):
                head[f"{name}_{extreme}"] = getattr(point, extreme)
        return [("prometheus", {}, head)] + [
            ("prometheus", {"le": bound}, {**base, f"{name}_bucket": count})
            for bound, count in buckets]
    if kind == "summary":
        return [("prometheus", {}, head)] + [
            ("prometheus", {"quantile": format_float_fixed(q.quantile)},
             {**base, name: q.value}) for q in point.quantile_values]
    return None


SCHEMAS: dict[str, Callable[[items.PointItem, Fields], list[Line] | None]] = {
    "telegraf-prometheus-v1": _v1, "telegraf-prometheus-v2": _v2}


def to_lines(request: Any, schema: str) -> tuple[list[str], int]:
    """The line protocol lines of every data point of ``request``, and how many points were
    skipped (no timestamp, unsupported type, bad buckets)."""
    convert = SCHEMAS[schema]
    lines: list[str] = []
    skipped = 0
    resource_tags: dict[int, dict[str, str]] = {}
    for item in items.data_points(request):
        point = item.point
        if not point.time_unix_nano:
            skipped += 1
            continue
        base: Fields = {}
        if point.start_time_unix_nano:
            base["start_time_unix_nano"] = point.start_time_unix_nano
        converted = convert(item, base)
        if converted is None:
            skipped += 1
            continue
        rkey = id(item.resource)
        if rkey not in resource_tags:
            resource_tags[rkey] = {k: _resource_tag(v) for k, v in
                                   Attributes(item.resource.resource.attributes).items() if k}
        tags = _tags(item, resource_tags[rkey])
        for measurement, extra, fields in converted:
            p = Point.from_dict({"measurement": measurement, "tags": {**tags, **extra},
                                 "fields": fields, "time": point.time_unix_nano}, _NS)
            text = p.to_line_protocol()
            if text:
                lines.append(text)
    return lines, skipped

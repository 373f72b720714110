"""Scrape plans: the OTLP points of a scrape whose lines were those of the previous one
but for their values, written in C (``otelpy.native._promtext.write``).

A plan is built once per layout (see :class:`~otelpy.prometheus.scrape.Steady`) from the
Python grouping of the layout's samples, each given its own position as value: a point's
value is then the position of the sample it comes from, a histogram's buckets, count and
sum the positions of theirs. What a plan holds per point is what the Python path computes
per point from the labels alone (encoded attributes, bounds, the start-time entry); the
values, time, start time and counts are written per scrape. Families a plan does not cover
(summaries, ``_created`` samples, exemplars, duplicate or NaN bounds, a scraped family
named as a report series) leave the layout on the Python path.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Protocol

from opentelemetry.proto.metrics.v1.metrics_pb2 import HistogramDataPoint

from otelpy.receivers.prometheus import wire
from otelpy.receivers.prometheus.adjust import StartTimes
from otelpy.receivers.prometheus.families import (
    DROPPED,
    DROPPED_OTHER,
    INTERNAL_META,
    Family,
    Group,
)

__all__ = ["Plan", "build"]

_GAUGE, _SUM, _HISTOGRAM = 0, 1, 2
_FIELDS = {_GAUGE: wire.GAUGE, _SUM: wire.SUM, _HISTOGRAM: wire.HISTOGRAM}
_NEW = None  # a start-time entry no point has reached yet: its first point starts it


class _Resource(Protocol):
    families: dict[str, Family]
    order: list[Family]
    info: dict[str, str]


@dataclass
class Plan:
    """The families of a layout's scrape, ready for ``_promtext.write``, their metrics
    around the points (resource, head, data field, tail, points: see
    :func:`wire.metric_parts`), and per resource the labels of its ``target_info`` (the
    converter adds the resource attributes)."""

    layout: object
    families: list[tuple[int, list[tuple[Any, ...]]]] = field(default_factory=list)
    metrics: list[tuple[tuple[str, str], bytes, bytes, bytes, int]] = \
        field(default_factory=list)
    resources: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)


def build(layout: object, resources: dict[tuple[str, str], _Resource], ts_ns: int,
          start_times: StartTimes, name_of: Callable[[Family], str],
          encoded: dict[int, Any]) -> Plan | None:
    """The plan of grouped samples whose values are their positions plus one (None when
    a family is not covered). ``encoded`` holds the encoded attributes of label sets
    met before (by id, as the converter keeps them; the Python path fills it)."""
    plan = Plan(layout)
    for key, res in resources.items():
        plan.resources[key] = dict(res.info)
        for family in res.order:
            if family.name in INTERNAL_META:
                return None
            name = name_of(family)
            if family.kind == "histogram":
                kind = _HISTOGRAM
                table = start_times.table(key)
                points = [_histogram(g, ts_ns, table, (name, k), start_times.generation)
                          for k, g in family.groups.items()]
            elif family.kind in ("gauge", "sum"):
                kind = _SUM if family.kind == "sum" else _GAUGE
                table = start_times.table((key, name))
                points = [_number(g, kind, ts_ns, table, k, start_times.generation,
                                  encoded) for k, g in family.groups.items()]
            else:
                return None
            if any(p is None for p in points):
                return None
            kept = [p for p in points if p]
            if kept:
                plan.families.append((kind, kept))
                meta = family.meta
                head, tail = wire.metric_parts(name, meta.help, meta.unit, _FIELDS[kind],
                                               kind == _SUM and family.monotonic)
                plan.metrics.append((key, head, _FIELDS[kind], tail, len(kept)))
    return plan


def _entry(table: dict[Hashable, list[float]], key: Hashable, ts_ns: int,
           generation: int) -> list[float]:
    info = table.get(key)
    if info is None:
        info = table[key] = [ts_ns, _NEW, _NEW, generation]
    return info


def _number(group: Group, kind: int, ts_ns: int, table: dict[Hashable, list[float]],
            key: str, generation: int, encoded: dict[int, Any]) -> tuple[Any, ...] | None:
    if group.created or group.exemplars:
        return None
    labels = group.labels
    found = encoded.get(id(labels))
    if found is not None and found[0] is labels:
        attrs = found[1]
    else:
        attrs = wire.attributes((k, labels[k]) for k in sorted(labels)
                                if k not in DROPPED_OTHER and labels[k])
    info = _entry(table, key, ts_ns, generation) if kind == _SUM else None
    return attrs, int(group.value) - 1, info


def _histogram(group: Group, ts_ns: int, table: dict[Hashable, list[float]],
               key: Hashable, generation: int) -> tuple[Any, ...] | None:
    """A histogram point's plan, () when the Python path writes no point for it."""
    if group.created or group.exemplars:
        return None
    if not group.has_count or not group.points:
        return ()
    points = sorted(group.points)
    bounds = [b for b, _ in points]
    if any(b != b for b in bounds) or len(set(bounds)) != len(bounds):
        return None
    if bounds[-1] != float("inf"):
        return ()
    holder = HistogramDataPoint()
    for k in sorted(group.labels):
        if k not in DROPPED["histogram"] and group.labels[k]:
            holder.attributes.add(key=k).value.string_value = group.labels[k]
    packed = struct.pack(f"<{len(bounds) - 1}d", *bounds[:-1])
    return (holder.SerializeToString(), packed, tuple(int(v) - 1 for _, v in points),
            int(group.count) - 1, int(group.sum) - 1 if group.has_sum else -1,
            _entry(table, key, ts_ns, generation))

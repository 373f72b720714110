"""OTLP metrics written straight as protobuf bytes (``ExportMetricsServiceRequest``).

A scrape makes thousands of number points whose attributes repeat from one scrape to the
next; building each as a protobuf message costs several microseconds, writing it costs one
``struct`` pack after the (cached) bytes of its attributes. Points that carry more
(histograms, summaries, exemplars) are built as messages and their bytes spliced in.

Field numbers (opentelemetry/proto/metrics/v1/metrics.proto): request ``resource_metrics =
1``; ResourceMetrics ``resource = 1``, ``scope_metrics = 2``; ScopeMetrics ``scope = 1``,
``metrics = 2``; Metric ``name = 1``, ``description = 2``, ``unit = 3``, ``gauge = 5``,
``sum = 7``, ``histogram = 9``, ``summary = 11``; Gauge/Sum/Histogram/Summary ``data_points
= 1``, Sum/Histogram ``aggregation_temporality = 2``, Sum ``is_monotonic = 3``;
NumberDataPoint ``start_time_unix_nano = 2`` (fixed64), ``time_unix_nano = 3`` (fixed64),
``as_double = 4``, ``attributes = 7``, ``flags = 8``; KeyValue ``key = 1``, ``value = 2``;
AnyValue ``string_value = 1``. A test decodes what is written here with the protobuf
runtime.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Iterable, Mapping

from otelpy.pdata.build import resource_of, scope_of
from otelpy.prometheus.prompb import varint

__all__ = ["GAUGE", "HISTOGRAM", "START_TIME_VALUE", "SUM", "SUMMARY", "TIME_VALUE",
           "attributes", "ld", "metric", "metric_parts", "number_point", "point_prefix",
           "resource_metrics"]

GAUGE, SUM, HISTOGRAM, SUMMARY = b"\x2a", b"\x3a", b"\x4a", b"\x5a"  # Metric data fields
_CUMULATIVE = b"\x10\x02"
_MONOTONIC = b"\x18\x01"
TIME_VALUE = struct.Struct("<BQBd")           # time, as_double
START_TIME_VALUE = struct.Struct("<BQBQBd")   # start, time, as_double
_TIME = struct.Struct("<BQ")
_START_TIME = struct.Struct("<BQBQ")
_STALE_FLAGS = b"\x40\x01"


def ld(tag: bytes, payload: bytes) -> bytes:
    """A length-delimited field: ``tag`` (one byte), length, ``payload``."""
    return tag + varint(len(payload)) + payload


def attributes(pairs: Iterable[tuple[str, str]], tag: bytes = b"\x3a") -> bytes:
    """String attributes as repeated ``KeyValue`` entries of field ``tag``."""
    return b"".join(ld(tag, ld(b"\x0a", k.encode()) + ld(b"\x12", ld(b"\x0a", v.encode())))
                    for k, v in pairs)


def number_point(attrs: bytes, start: int, ts: int, value: float, stale: bool) -> bytes:
    """A ``data_points`` entry: a NumberDataPoint with ``attrs`` (encoded attributes),
    ``start`` (0: none), ``ts`` and ``value`` or, when ``stale``, the no-recorded-value
    flag."""
    if stale:
        body = attrs + (_START_TIME.pack(0x11, start, 0x19, ts) if start
                        else _TIME.pack(0x19, ts)) + _STALE_FLAGS
    elif start:
        body = attrs + START_TIME_VALUE.pack(0x11, start, 0x19, ts, 0x21, value)
    else:
        body = attrs + TIME_VALUE.pack(0x19, ts, 0x21, value)
    return b"\x0a" + varint(len(body)) + body


def point_prefix(attrs: bytes, with_start: bool) -> bytes:
    """The bytes of a ``data_points`` entry before its numbers, when those are
    ``START_TIME_VALUE`` (``with_start``) or ``TIME_VALUE``: add the pack to complete it."""
    size = len(attrs) + (START_TIME_VALUE.size if with_start else TIME_VALUE.size)
    return b"\x0a" + varint(size) + attrs


def metric(name: str, description: str, unit: str, field: bytes, points: list[bytes],
           monotonic: bool = False) -> bytes:
    """A Metric with ``points`` (encoded ``data_points`` entries) in data ``field``;
    sums and histograms are cumulative."""
    head, tail = metric_parts(name, description, unit, field, monotonic)
    return head + ld(field, b"".join(points) + tail)


def metric_parts(name: str, description: str, unit: str, field: bytes,
                 monotonic: bool = False) -> tuple[bytes, bytes]:
    """What :func:`metric` writes before its data field and after its points."""
    head = b""
    if name:
        head += ld(b"\x0a", name.encode())
    if description:
        head += ld(b"\x12", description.encode())
    if unit:
        head += ld(b"\x1a", unit.encode())
    tail = b""
    if field in (SUM, HISTOGRAM):
        tail = _CUMULATIVE + (_MONOTONIC if monotonic else b"")
    return head, tail


def resource_metrics(resource: Mapping[str, str], scope: str, version: str,
                     metrics: list[bytes]) -> bytes:
    """A ``resource_metrics`` entry: one resource, one scope, ``metrics`` (encoded)."""
    resource_field, scope_field = _envelope(tuple(resource.items()), scope, version)
    scope_bytes = scope_field + b"".join(ld(b"\x12", m) for m in metrics)
    return ld(b"\x0a", resource_field + ld(b"\x12", scope_bytes))


@functools.lru_cache(maxsize=4096)
def _envelope(resource: tuple[tuple[str, str], ...], scope: str,
              version: str) -> tuple[bytes, bytes]:
    """The ``resource`` field of a ResourceMetrics and the ``scope`` field of its
    ScopeMetrics (the same for every scrape of a target)."""
    return (ld(b"\x0a", resource_of(dict(resource)).SerializeToString()),
            ld(b"\x0a", scope_of(scope, version).SerializeToString()))

"""Span fields as the Collector names them in span-derived metrics (``traceutil``)."""

from __future__ import annotations

from typing import Any

from otelpy.pdata.values import Value, to_value

__all__ = ["KIND_NAMES", "STATUS_NAMES", "attributes_of", "duration_ns", "service_name"]

#: Span.kind -> the Collector's ``traceutil.SpanKindStr``
KIND_NAMES = ("SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER",
              "SPAN_KIND_CLIENT", "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER")
#: Status.code -> the Collector's ``traceutil.StatusCodeStr``
STATUS_NAMES = ("STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR")

KIND_SERVER, KIND_CLIENT, KIND_PRODUCER, KIND_CONSUMER = 2, 3, 4, 5
STATUS_ERROR = 2


def duration_ns(span: Any) -> int:
    """End minus start; 0 when the end is not after the start (as the Collector)."""
    d: int = span.end_time_unix_nano - span.start_time_unix_nano
    return d if d > 0 else 0


def attributes_of(key_values: Any, wanted: frozenset[str]) -> dict[str, Value]:
    """The values of the ``wanted`` keys of a repeated KeyValue field (first one wins)."""
    out: dict[str, Value] = {}
    if not wanted:
        return out
    for kv in key_values:
        key = kv.key
        if key in wanted and key not in out:
            out[key] = to_value(kv.value)
    return out


def service_name(resource: Any) -> str | None:
    """The resource's ``service.name`` as a string, or None when it has none."""
    for kv in resource.attributes:
        if kv.key == "service.name":
            value = to_value(kv.value)
            return value if isinstance(value, str) else ""  # pcommon.Value.Str()
    return None

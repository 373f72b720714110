"""Attributes and exemplars of the data points the prometheus receiver builds as messages
(histograms, summaries, points with exemplars)."""

from __future__ import annotations

from typing import Any

from otelpy.prometheus.textparse import Exemplar

__all__ = ["attributes", "exemplars"]


def attributes(point: Any, labels: dict[str, str], dropped: frozenset[str]) -> None:
    add = point.attributes.add
    for key in sorted(labels):
        if key not in dropped and labels[key]:
            add(key=key).value.string_value = labels[key]


def exemplars(point: Any, exemplars: list[Exemplar], ts_ns: int) -> None:
    for ex in exemplars:
        when = ex.timestamp_ms * 1_000_000 if ex.timestamp_ms is not None else ts_ns
        out = point.exemplars.add(as_double=ex.value, time_unix_nano=when)
        for key, value in ex.labels.items():
            lowered = key.lower()
            raw = _hex_id(value, 16 if lowered == "trace_id" else 8) \
                if lowered in ("trace_id", "span_id") else None
            if raw is None:
                out.filtered_attributes.add(key=key).value.string_value = value
            elif lowered == "trace_id":
                out.trace_id = raw
            else:
                out.span_id = raw


def _hex_id(text: str, size: int) -> bytes | None:
    """The Collector's decodeAndCopyToLowerBytes: longer ids keep their first bytes,
    shorter ones are left-padded with zeros."""
    try:
        if len(text) >= size * 2:
            return bytes.fromhex(text[:size * 2])
        return bytes(size - (len(text) + 1) // 2) + bytes.fromhex(text)
    except ValueError:
        return None

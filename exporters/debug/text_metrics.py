"""Human-readable text of OTLP metrics requests, in the Collector debug exporter's layouts."""

from __future__ import annotations

from typing import Any

from otelpy.component import Signal
from otelpy.exporters.debug.text import attrs_text, detailed, kv_inline, normal, timestamp

__all__ = ["detailed_metrics", "normal_metrics"]

_DATA_TYPES = {"gauge": "Gauge", "sum": "Sum", "histogram": "Histogram",
               "exponential_histogram": "ExponentialHistogram", "summary": "Summary"}
_TEMPORALITY = ["Unspecified", "Delta", "Cumulative"]


def _number(p: Any) -> str:
    return str(p.as_int) if p.WhichOneof("value") == "as_int" else f"{p.as_double:f}"


def _point_head(label: str, i: int, p: Any) -> list[str]:
    lines = [f"{label} #{i}"]
    if len(p.attributes):
        lines += ["Data point attributes:", *attrs_text(p.attributes)]
    lines += [f"StartTimestamp: {timestamp(p.start_time_unix_nano)}",
              f"Timestamp: {timestamp(p.time_unix_nano)}"]
    return lines


def _histogram_point(p: Any) -> list[str]:
    lines = [f"Count: {p.count}", f"Sum: {p.sum:f}"]
    if p.HasField("min"):
        lines.append(f"Min: {p.min:f}")
    if p.HasField("max"):
        lines.append(f"Max: {p.max:f}")
    lines += [f"ExplicitBounds #{k}: {b:f}" for k, b in enumerate(p.explicit_bounds)]
    lines += [f"Buckets #{k}, Count: {c}" for k, c in enumerate(p.bucket_counts)]
    return lines


def _exponential_point(p: Any) -> list[str]:
    lines = [f"Count: {p.count}", f"Sum: {p.sum:f}", f"Scale: {p.scale}",
             f"ZeroCount: {p.zero_count}"]
    base = 2 ** (2 ** -p.scale)
    for k, c in enumerate(p.positive.bucket_counts):
        idx = p.positive.offset + k
        lines.append(f"Bucket ({base ** idx:f}, {base ** (idx + 1):f}], Count: {c}")
    for k, c in enumerate(p.negative.bucket_counts):
        idx = p.negative.offset + k
        lines.append(f"Bucket [{-base ** (idx + 1):f}, {-base ** idx:f}), Count: {c}")
    return lines


def _summary_point(p: Any) -> list[str]:
    lines = [f"Count: {p.count}", f"Sum: {p.sum:f}"]
    lines += [f"QuantileValue #{k}: Quantile {q.quantile:f}, Value {q.value:f}"
              for k, q in enumerate(p.quantile_values)]
    return lines


def _metric_lines(i: int, m: Any) -> list[str]:
    kind = m.WhichOneof("data")
    lines = [f"Metric #{i}", "Descriptor:", f"     -> Name: {m.name}",
             f"     -> Description: {m.description}", f"     -> Unit: {m.unit}",
             f"     -> DataType: {_DATA_TYPES.get(kind or '', 'Empty')}"]
    if kind is None:
        return lines
    data = getattr(m, kind)
    if kind == "sum":
        lines.append(f"     -> IsMonotonic: {str(data.is_monotonic).lower()}")
    if kind in ("sum", "histogram", "exponential_histogram"):
        t = data.aggregation_temporality
        lines.append(f"     -> AggregationTemporality: "
                     f"{_TEMPORALITY[t] if t < 3 else t}")
    for k, p in enumerate(data.data_points):
        if kind in ("gauge", "sum"):
            lines += _point_head("NumberDataPoints", k, p) + [f"Value: {_number(p)}"]
        elif kind == "histogram":
            lines += _point_head("HistogramDataPoints", k, p) + _histogram_point(p)
        elif kind == "exponential_histogram":
            lines += _point_head("ExponentialHistogramDataPoints", k, p)
            lines += _exponential_point(p)
        else:
            lines += _point_head("SummaryDataPoints", k, p) + _summary_point(p)
    return lines


def detailed_metrics(req: Any) -> str:
    return detailed(Signal.METRICS, req, _metric_lines)


def _normal_point(name: str, kind: str, p: Any) -> str:
    head = f"{name}{{{kv_inline(p.attributes, ',')}}}"
    if kind in ("gauge", "sum"):
        return f"{head} {_number(p)}"
    if kind == "summary":
        qs = " ".join(f"q{q.quantile:g}={q.value:g}" for q in p.quantile_values)
        return f"{head} count={p.count} sum={p.sum:g}" + (f" {qs}" if qs else "")
    text = f"{head} count={p.count} sum={p.sum:g}"
    if p.HasField("min"):
        text += f" min={p.min:g}"
    if p.HasField("max"):
        text += f" max={p.max:g}"
    if kind == "histogram":
        bounds = [f"{b:g}" for b in p.explicit_bounds] + ["+Inf"]
        buckets = [f"le{b}={c}" for b, c in zip(bounds, p.bucket_counts, strict=False)]
        text += (" " + " ".join(buckets)) if buckets else ""
    return text


def _normal_points(_: int, m: Any) -> list[str]:
    kind = m.WhichOneof("data")
    if kind is None:
        return []
    return [_normal_point(m.name, kind, p) for p in getattr(m, kind).data_points]


def normal_metrics(req: Any) -> str:
    return normal(Signal.METRICS, req, _normal_points)

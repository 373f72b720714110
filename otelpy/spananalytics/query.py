"""Answers over a :class:`~otelpy.spananalytics.window.SpanWindow`: the spec's
``analyze_spans`` and the service graph.

A query covers the buckets that started within ``range`` seconds before ``now`` (the current
bucket included), so its resolution is the window's bucket size.
"""

from __future__ import annotations

import heapq
from typing import Any

from ddsketch import DDSketch

from otelpy.spananalytics.window import Bucket, EdgeStats, SlowSpan, SpanWindow

__all__ = ["analyze_spans", "dependencies"]


def _buckets(window: SpanWindow, range_s: float, now_ns: int) -> list[Bucket]:
    since = now_ns - int(range_s * 1e9)
    step = int(window.limits.resolution * 1e9)
    return [b for b in window.buckets.values() if b.start_ns + step > since]


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def analyze_spans(window: SpanWindow, range_s: float, now_ns: int, service: str | None = None,
                  operation: str | None = None, slowest: int = 10) -> dict[str, Any]:
    """Total spans, average and p50/p95/p99 duration (ms), error rate, throughput per minute,
    the ``slowest`` spans and the dependency map of the spans matching ``service`` and
    ``operation`` (None: any) in the last ``range_s`` seconds."""
    sketch = DDSketch(window.limits.relative_accuracy)
    total = errors = 0
    sum_ms = 0.0
    slow: list[SlowSpan] = []
    buckets = _buckets(window, range_s, now_ns)
    for bucket in buckets:
        for (svc, op), stats in bucket.operations.items():
            if (service is not None and svc != service) or \
                    (operation is not None and op != operation):
                continue
            sketch.merge(stats.sketch)
            total += stats.count
            errors += stats.errors
            sum_ms += stats.sum_ms
            slow.extend(stats.slowest)

    def quantile(q: float) -> float | None:
        return _round(sketch.get_quantile_value(q)) if total else None

    return {
        "service": service,
        "operation": operation,
        "time_range": range_s,
        "total_spans": total,
        "average_duration_ms": _round(sum_ms / total) if total else None,
        "p50_duration_ms": quantile(0.50),
        "p95_duration_ms": quantile(0.95),
        "p99_duration_ms": quantile(0.99),
        "error_rate": round(errors / total, 6) if total else 0.0,
        "throughput_per_minute": round(total / (range_s / 60.0), 3),
        "slowest_spans": [
            {"trace_id": s.trace_id, "span_id": s.span_id, "duration_ms": _round(s.duration_ms),
             "error": s.error, "service": s.service, "operation": s.operation}
            for s in heapq.nlargest(slowest, slow)],
        "dependency_map": _dependency_map(buckets, service),
        "relative_accuracy": window.limits.relative_accuracy,
    }


def _merged_edges(buckets: list[Bucket]) -> dict[tuple[str, str], EdgeStats]:
    out: dict[tuple[str, str], EdgeStats] = {}
    for bucket in buckets:
        for key, e in bucket.edges.items():
            acc = out.get(key)
            if acc is None:
                acc = out[key] = EdgeStats(connection_type=e.connection_type)
            acc.calls += e.calls
            acc.failed += e.failed
            acc.sum_ms += e.sum_ms
    return out


def _dependency_map(buckets: list[Bucket], service: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for (client, server), e in sorted(_merged_edges(buckets).items()):
        if service is not None and client != service:
            continue
        acc = out.setdefault(server, {"calls": 0, "failed": 0, "sum": 0.0})
        acc["calls"] += e.calls
        acc["failed"] += e.failed
        acc["sum"] += e.sum_ms
    return {server: {"calls": v["calls"], "failed": v["failed"],
                     "avg_duration_ms": _round(v["sum"] / v["calls"])}
            for server, v in out.items()}


def dependencies(window: SpanWindow, range_s: float, now_ns: int) -> dict[str, Any]:
    """Every edge (client -> server) seen in the last ``range_s`` seconds, and the nodes."""
    edges = _merged_edges(_buckets(window, range_s, now_ns))
    nodes = sorted({n for pair in edges for n in pair})
    return {
        "time_range": range_s,
        "nodes": nodes,
        "edges": [{"client": c, "server": s, "connection_type": e.connection_type,
                   "calls": e.calls, "failed": e.failed,
                   "avg_duration_ms": _round(e.sum_ms / e.calls)}
                  for (c, s), e in sorted(edges.items())],
    }

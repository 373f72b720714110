"""The spec's ``analyze_logs(time_range, filters)`` over a :class:`LogWindow`.

A query covers the buckets that started within ``range`` seconds before ``now`` (the current
bucket included), so its resolution is the window's bucket size. Correlations use only the
complete buckets of the range (the current one is still filling).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from otelpy.loginsights.window import Bucket, LogWindow, MetricSpec, MetricValue, SeenAnomaly
from otelpy.logspike.events import rfc3339
from otelpy.pdata.severity import ERROR_LEVELS, RANK

__all__ = ["Filters", "analyze_logs", "pearson", "suggested_action"]

PATTERN_LEVELS = frozenset({"WARN", "ERROR", "FATAL"})
_ANOMALY_SEVERITY = {"error_spike": "high", "new_pattern": "medium"}
_ACTIONS = (
    (("timeout", "timed out", "deadline exceeded"),
     "Check the latency and capacity of the service being called"),
    (("connection refused", "connection reset", "unreachable", "no route to host"),
     "Check that the downstream service is up and reachable"),
    (("out of memory", "oom", "memoryerror", "cannot allocate"),
     "Raise the memory limit or look for a leak"),
    (("no space left", "disk full", "quota exceeded"), "Free disk space or grow the volume"),
    (("permission denied", "unauthorized", "forbidden", "access denied"),
     "Check credentials and permissions"),
    (("deadlock", "lock wait"), "Look for transactions holding the same locks"),
)


@dataclass(frozen=True)
class Filters:
    """``levels``: the levels counted (None: all); ``service``: one ``service.name``
    (None: all)."""

    levels: frozenset[str] | None = None
    service: str | None = None

    def counts(self, service: str, level: str) -> bool:
        return (self.service is None or service == self.service) and \
            (self.levels is None or level in self.levels)


def suggested_action(template: str) -> str | None:
    """A first thing to look at for a pattern, from words in its template (a heuristic
    table of common failures); None when no word is known."""
    text = template.lower()
    for words, action in _ACTIONS:
        if any(w in text for w in words):
            return action
    return None


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson's correlation coefficient of two equally long series; None with fewer than
    two points or when either series is constant."""
    n = len(xs)
    if n < 2 or n != len(ys):
        return None
    mx, my = math.fsum(xs) / n, math.fsum(ys) / n
    sxy = math.fsum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = math.fsum((x - mx) ** 2 for x in xs)
    syy = math.fsum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))


def _in_range(window: LogWindow, range_s: float, now_ns: int) -> list[Bucket]:
    since = now_ns - round(range_s * 1e9)
    return [b for b in window.buckets.values() if b.start_ns + window.step_ns > since]


def analyze_logs(window: LogWindow, range_s: float, now_ns: int, filters: Filters,
                 limit: int, min_buckets: int = 5) -> dict[str, Any]:
    """summary, anomalies_detected, error_patterns (at most ``limit`` of each list) and
    correlations of the records matching ``filters`` in the last ``range_s`` seconds."""
    buckets = _in_range(window, range_s, now_ns)
    total = errors = warnings = 0
    for b in buckets:
        for (service, level), n in b.counts.items():
            if filters.counts(service, level):
                total += n
                errors += n if level in ERROR_LEVELS else 0
                warnings += n if level == "WARN" else 0
    patterns = _patterns(window, buckets, filters)
    return {
        "time_range": range_s,
        "filters": {"severity": sorted(filters.levels, key=RANK.__getitem__)
                    if filters.levels is not None else None, "service": filters.service},
        "summary": {"total_logs": total, "error_logs": errors, "warning_logs": warnings,
                    "unique_error_patterns": len(patterns)},
        "anomalies_detected": _anomalies(window, range_s, now_ns, filters, limit),
        "error_patterns": patterns[:limit],
        "correlations": [_correlation(window, buckets, now_ns, spec, filters.service,
                                      min_buckets) for spec in window.limits.metrics],
    }


def _patterns(window: LogWindow, buckets: list[Bucket], filters: Filters) -> list[Any]:
    levels = PATTERN_LEVELS & filters.levels if filters.levels is not None else ERROR_LEVELS
    merged: dict[str, dict[str, Any]] = {}
    for b in buckets:
        for (service, pattern, level), pc in b.patterns.items():
            if level not in levels or (filters.service is not None and
                                       service != filters.service):
                continue
            acc = merged.get(pattern)
            if acc is None:
                acc = merged[pattern] = {"frequency": 0, "first_ns": pc.first_ns,
                                         "services": set(), "level": level}
            acc["frequency"] += pc.count
            acc["first_ns"] = min(acc["first_ns"], pc.first_ns)
            acc["services"].add(service)
            if RANK[level] > RANK[acc["level"]]:
                acc["level"] = level
    ordered = sorted(merged.items(), key=lambda kv: (-kv[1]["frequency"], kv[1]["first_ns"],
                                                     kv[0]))
    out = []
    for pattern, acc in ordered:
        template = window.templates.get(pattern, "")
        out.append({"pattern": template, "pattern_id": pattern, "frequency": acc["frequency"],
                    "first_seen": rfc3339(acc["first_ns"]),
                    "services_affected": sorted(acc["services"]), "severity": acc["level"],
                    "suggested_action": suggested_action(template)})
    return out


def _anomalies(window: LogWindow, range_s: float, now_ns: int, filters: Filters,
               limit: int) -> list[Any]:
    since = now_ns - round(range_s * 1e9)
    seen: list[SeenAnomaly] = [a for a in window.anomalies if a.at_ns > since and (
        filters.service is None or filters.service in a.event.services)]
    out = []
    for a in reversed(seen[-limit:]):
        e = a.event
        out.append({
            "type": e.type, "message": e.message,
            "time_window": f"{e.window_start[11:16]}-{e.window_end[11:16]}",
            "affected_traces": len(e.trace_ids),
            "severity": _ANOMALY_SEVERITY.get(e.type, "medium"),
            "pattern": e.template, "pattern_id": e.pattern_id,
            "window_start": e.window_start, "window_end": e.window_end,
            "detected_at": rfc3339(a.at_ns), "count": e.count, "baseline": e.baseline,
            "factor": e.factor, "trace_ids": list(e.trace_ids), "services": list(e.services)})
    return out


def _metric_value(bucket: Bucket, spec: MetricSpec, service: str | None) -> float | None:
    acc = MetricValue()
    for (name, svc), v in bucket.metrics.items():
        if name == spec.name and (service is None or svc == service):
            acc.total += v.total
            acc.n += v.n
            acc.max = max(acc.max, v.max)
    return acc.value(spec.aggregation) if acc.n else None


def _correlation(window: LogWindow, buckets: list[Bucket], now_ns: int, spec: MetricSpec,
                 service: str | None, min_buckets: int) -> dict[str, Any]:
    complete = [b for b in buckets if b.start_ns + window.step_ns <= now_ns]
    # the service's own points when it has any in range, else the metric as a whole
    scope = service if service is not None and any(
        _metric_value(b, spec, service) is not None for b in complete) else None
    errors: list[float] = []
    values: list[float] = []
    for b in complete:
        value = _metric_value(b, spec, scope)
        if value is None:
            continue
        values.append(value)
        errors.append(float(sum(n for (svc, level), n in b.counts.items()
                                if level in ERROR_LEVELS and (service is None or svc == service))))
    r = pearson(errors, values) if len(values) >= min_buckets else None
    step = f"{window.limits.resolution:g}s"
    if r is None:
        description = (f"not enough data: {len(values)} complete {step} buckets with a value "
                       f"of {spec.name} (at least {min_buckets}, and both series must vary)")
    else:
        direction = "" if abs(r) < 0.2 else " positive" if r > 0 else " negative"
        description = (f"{_strength(r)}{direction} correlation between error counts and "
                       f"{spec.name} over {len(values)} {step} buckets")
    return {"metric": spec.name, "aggregation": spec.aggregation,
            "metric_service": scope, "buckets": len(values),
            "correlation_score": None if r is None else round(r, 4),
            "description": description}


def _strength(r: float) -> str:
    a = abs(r)
    return "strong" if a >= 0.7 else "moderate" if a >= 0.4 else "weak" if a >= 0.2 else \
        "no notable"

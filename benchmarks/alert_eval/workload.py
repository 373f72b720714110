"""The alert_eval workload: 100,000 series and 1,000 rules, shared by every system in a run.

Series (100 jobs): ``http_requests_total{job,instance,code}`` 100 x 100 x 4 = 40,000
counters; ``node_temp_celsius{job,instance,sensor}`` 100 x 90 x 4 = 36,000 gauges;
``request_duration_seconds{job,instance}`` 100 x 20 classic histograms of 10 buckets plus
``_sum`` and ``_count`` = 24,000 series. Values are a function of the labels and the round (no
random numbers). Rules: 20 groups of 50, each rule reading one job's series, in five kinds
(threshold, rate, histogram_quantile, sum-by aggregation, avg aggregation), 200 of each.
"""

from __future__ import annotations

import math

JOBS, INSTANCES, GAUGE_INSTANCES, HIST_INSTANCES = 100, 100, 90, 20
CODES = ("200", "404", "500", "503")
BOUNDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
LES = ("0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "+Inf")
GROUPS, PER_GROUP = 20, 50

Key = tuple[tuple[str, str], ...]


def series_keys() -> list[Key]:
    keys: list[Key] = []
    for j in range(JOBS):
        job = ("job", f"svc-{j}")
        for i in range(INSTANCES):
            inst = ("instance", f"i-{i}")
            keys += [(("__name__", "http_requests_total"), ("code", c), inst, job)
                     for c in CODES]
            if i < GAUGE_INSTANCES:
                keys += [(("__name__", "node_temp_celsius"), inst, job, ("sensor", str(s)))
                         for s in range(4)]
            if i < HIST_INSTANCES:
                keys += [(("__name__", "request_duration_seconds_bucket"), inst, job,
                          ("le", le)) for le in LES]
                keys += [(("__name__", f"request_duration_seconds_{s}"), inst, job)
                         for s in ("count", "sum")]
    return keys


def counter(j: int, i: int, c: int, round_no: int) -> float:
    return float(round_no * (1 + (j + i + c) % 7))


def gauge(j: int, i: int, s: int, round_no: int) -> float:
    return round(50 + 40 * math.sin(j * 7 + i * 3 + s + round_no / 10), 2)


def per_bucket(j: int, i: int, round_no: int) -> int:
    """Observations in each of the 10 buckets so far (cumulative bucket k: (k+1) times it)."""
    return round_no * (1 + (j + i) % 3)


def hist_sum(j: int, i: int, round_no: int) -> float:
    return round_no * 0.25 * (1 + (j + i) % 3)


def value(key: Key, round_no: int) -> float:
    """The series' value at ``round_no``: counters grow, gauges swing."""
    labels = dict(key)
    j, i = int(labels["job"][4:]), int(labels["instance"][2:])
    name = labels["__name__"]
    if name == "http_requests_total":
        return counter(j, i, CODES.index(labels["code"]), round_no)
    if name == "node_temp_celsius":
        return gauge(j, i, int(labels["sensor"]), round_no)
    if name == "request_duration_seconds_bucket":
        return float((LES.index(labels["le"]) + 1) * per_bucket(j, i, round_no))
    if name == "request_duration_seconds_count":
        return float(len(LES) * per_bucket(j, i, round_no))
    return hist_sum(j, i, round_no)


def _expr(kind: int, j: int) -> str:
    job = f'job="svc-{j}"'
    return [
        f'node_temp_celsius{{{job}}} > 85',
        f'rate(http_requests_total{{{job},code="500"}}[5m]) > 0.3',
        f'histogram_quantile(0.99, sum by (le) (rate(request_duration_seconds_bucket'
        f'{{{job}}}[5m]))) > 0.5',
        f'sum by (instance) (rate(http_requests_total{{{job}}}[5m])) > 1',
        f'avg(node_temp_celsius{{{job}}}) > 60',
    ][kind]


def rules_yaml(interval: str = "15s") -> str:
    """A Prometheus rule file with the 1,000 alert rules."""
    lines = ["groups:"]
    for g in range(GROUPS):
        lines += [f"- name: g{g}", f"  interval: {interval}", "  rules:"]
        for r in range(PER_GROUP):
            n = g * PER_GROUP + r
            lines += [f"  - alert: A{n}", f"    expr: '{_expr(n % 5, n % JOBS)}'",
                      "    for: 1m", "    labels: {severity: warning}"]
    return "\n".join(lines) + "\n"

"""The alert_eval workload: 100,000 series and 1,000 rules, shared by every system in a run.

Series (100 jobs): ``http_requests_total{job,instance,code}`` 100 x 100 x 4 = 40,000
counters; ``node_temp_celsius{job,instance,sensor}`` 100 x 100 x 4 = 40,000 gauges;
``request_duration_seconds_bucket{job,instance,le}`` 100 x 20 x 10 = 20,000 classic
histogram buckets. Values are a function of the series and the round (no random numbers).
Rules: 20 groups of 50, each rule reading one job's series, in five kinds (threshold, rate,
histogram_quantile, sum-by aggregation, avg aggregation), 200 of each.
"""

from __future__ import annotations

import math

JOBS, INSTANCES, HIST_INSTANCES = 100, 100, 20
CODES = ("200", "404", "500", "503")
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
            keys += [(("__name__", "node_temp_celsius"), inst, job, ("sensor", str(s)))
                     for s in range(4)]
        for i in range(HIST_INSTANCES):
            inst = ("instance", f"i-{i}")
            keys += [(("__name__", "request_duration_seconds_bucket"), inst, job, ("le", le))
                     for le in LES]
    return keys


def value(key: Key, n: int, round_no: int) -> float:
    """Series ``n``'s value at ``round_no``: counters grow, gauges swing."""
    name = key[0][1]
    if name == "http_requests_total":
        return float(round_no * (1 + n % 7))
    if name == "node_temp_celsius":
        return round(50 + 40 * math.sin(n + round_no / 10), 2)
    le_index = LES.index(key[3][1])
    return float(round_no * (le_index + 1) * (1 + n % 3))


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

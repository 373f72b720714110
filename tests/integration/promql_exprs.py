"""The expressions the PromQL agreement test asks both Prometheus and otelpy.

``{at}`` is replaced by an absolute evaluation time (seconds) inside the series' span.
Every function, aggregation and operator of otelpy/promql/README.md "Supported" appears.
"""

from __future__ import annotations

SELECTORS = [
    'http_requests_total',
    'http_requests_total{job="api"}',
    'http_requests_total{code!="200"}',
    'http_requests_total{instance=~"a|c"}',
    'http_requests_total{code!~"5.."}',
    '{__name__=~"node_.*"}',
    'http_requests_total offset 5m',
    'http_requests_total offset -2m',
    'http_requests_total @ {at}',
    'node_load @ start()',
    'batch_items',
    'odd_values',
]

RANGE_FUNCTIONS = [
    'rate(http_requests_total[5m])',
    'rate(http_requests_total[1m])',
    'rate(http_requests_total[10m] offset 3m)',
    'irate(http_requests_total[5m])',
    'increase(http_requests_total[7m])',
    'delta(node_temp_celsius[5m])',
    'idelta(node_temp_celsius[5m])',
    'deriv(node_temp_celsius[10m])',
    'predict_linear(node_temp_celsius[10m], 600)',
    'resets(http_requests_total[30m])',
    'changes(node_load[10m])',
    'holt_winters(node_temp_celsius[10m], 0.5, 0.3)',
    'avg_over_time(node_temp_celsius[5m])',
    'sum_over_time(node_temp_celsius[5m])',
    'min_over_time(node_temp_celsius[5m])',
    'max_over_time(node_temp_celsius[5m])',
    'count_over_time(batch_items[10m])',
    'quantile_over_time(0.9, node_temp_celsius[10m])',
    'stddev_over_time(node_temp_celsius[10m])',
    'stdvar_over_time(node_temp_celsius[10m])',
    'last_over_time(batch_items[10m])',
    'present_over_time(batch_items[2m])',
    'absent_over_time(nonexistent[5m])',
    'absent_over_time(batch_items{state="ended"}[1m])',
    'absent(nonexistent{job="x"})',
    'absent(batch_items{state="ended"})',
    'rate(batch_items[5m])',
    'avg_over_time(odd_values[2m])',
    'sum_over_time(odd_values[5m])',
]

HISTOGRAMS = [
    'histogram_quantile(0.9, rate(request_duration_seconds_bucket[5m]))',
    'histogram_quantile(0.5, sum by (le) (rate(request_duration_seconds_bucket[5m])))',
    'histogram_quantile(0.99, request_duration_seconds_bucket)',
    'histogram_quantile(1.5, request_duration_seconds_bucket)',
    'histogram_quantile(-1, request_duration_seconds_bucket)',
    'histogram_quantile(0.3, sum without (job) (request_duration_seconds_bucket))',
    'rate(request_duration_seconds_sum[5m]) / rate(request_duration_seconds_count[5m])',
]

AGGREGATIONS = [
    'sum(http_requests_total)',
    'sum by (job) (rate(http_requests_total[5m]))',
    'avg without (instance) (http_requests_total)',
    'min by (dc) (node_temp_celsius)',
    'max by (dc) (node_temp_celsius)',
    'count by (job) (http_requests_total)',
    'group by (job) (http_requests_total)',
    'stddev(node_temp_celsius)',
    'stdvar by (dc) (node_temp_celsius)',
    'topk(2, node_temp_celsius)',
    'bottomk(2, node_temp_celsius)',
    'topk by (job) (1, http_requests_total)',
    'quantile(0.75, node_temp_celsius)',
    'quantile by (dc) (0.5, node_temp_celsius)',
    'count_values("value", node_load)',
    'count_values by (host) ("v", node_load)',
    'sum(odd_values)',
    'avg(odd_values)',
    'max(odd_values)',
    'min(odd_values)',
    'stddev(odd_values)',
    'avg(node_temp_celsius)',
    'sum without (code) (rate(http_requests_total[5m]))',
]

OPERATORS = [
    'node_temp_celsius + 1',
    '2 * node_temp_celsius',
    'node_temp_celsius / 0',
    'node_temp_celsius % 7',
    'node_temp_celsius ^ 2',
    'node_temp_celsius ^ 0.5',
    '2 ^ 0.5',
    'node_load atan2 node_load',
    'node_load atan2 2',
    'node_temp_celsius > 20',
    'node_temp_celsius > bool 20',
    '1 < bool 2',
    'node_temp_celsius == node_temp_celsius',
    'node_temp_celsius != bool 0',
    '-node_temp_celsius',
    'http_requests_total{code="500"} / ignoring(code) http_requests_total{code="200"}',
    'sum by (job, instance) (rate(http_requests_total[5m])) / on(job) group_left '
    'sum by (job) (rate(http_requests_total[5m]))',
    'sum by (job) (http_requests_total) * on(job) group_right http_requests_total',
    'http_requests_total and http_requests_total{code="200"}',
    'http_requests_total{job="api"} or node_load',
    'http_requests_total unless on(code) http_requests_total{instance="b"}',
    'http_requests_total / http_requests_total',
    'http_requests_total - http_requests_total offset 10m',
    'odd_values * 2',
    'odd_values > 0',
    '(1 + 2) * 3 - 4 / 5 % 3 ^ 2',
    'http_requests_total / on(code) node_load',  # many-to-many: an error on both sides
]

FUNCTIONS = [
    'scalar(sum(node_load))',
    'scalar(node_load)',
    'vector(1)',
    'time()',
    'timestamp(http_requests_total)',
    'timestamp(batch_items)',
    'clamp(node_temp_celsius, 10, 20)',
    'clamp_min(node_temp_celsius, 15)',
    'clamp_max(node_temp_celsius, 15)',
    'abs(node_load)',
    'ceil(node_temp_celsius)',
    'floor(node_temp_celsius)',
    'round(node_temp_celsius, 0.5)',
    'round(node_temp_celsius)',
    'exp(node_load)',
    'ln(node_temp_celsius)',
    'log2(node_temp_celsius)',
    'log10(node_temp_celsius)',
    'sqrt(node_temp_celsius)',
    'sgn(node_load)',
    'sort(node_temp_celsius)',
    'sort_desc(node_temp_celsius)',
    'label_replace(node_load, "instance", "$1", "host", "h(.*)")',
    'label_join(node_temp_celsius, "id", "-", "dc", "host")',
    'day_of_week()', 'day_of_month()', 'day_of_year()', 'days_in_month()',
    'hour()', 'minute()', 'month()', 'year()',
    'hour(timestamp(node_load))',
    'pi()',
    'sin(node_load)', 'cos(node_load)', 'tan(node_load)',
    'sin(node_temp_celsius)', 'cos(node_temp_celsius * 3.7)', 'sin(-node_load * 1.3)',
    'asin(node_load / 10)', 'acos(node_load / 10)', 'atan(node_load)',
    'sinh(node_load)', 'cosh(node_load)', 'tanh(node_load)',
    'asinh(node_load)', 'acosh(node_temp_celsius)', 'atanh(node_load / 10)',
    'deg(node_load)', 'rad(node_temp_celsius)',
]

SUBQUERIES = [
    'max_over_time(rate(http_requests_total[5m])[10m:1m])',
    'avg_over_time(node_temp_celsius[5m:30s])',
    'rate(http_requests_total[5m:])',
    'sum_over_time(node_load[5m:1m] offset 1m)',
    'min_over_time(sum by (job) (http_requests_total)[6m:45s])',
]

EXPRESSIONS = SELECTORS + RANGE_FUNCTIONS + HISTOGRAMS + AGGREGATIONS + OPERATORS + \
    FUNCTIONS + SUBQUERIES

# Expressions whose result order is part of the answer (the rest compare as sets).
ORDERED = {'sort(node_temp_celsius)', 'sort_desc(node_temp_celsius)'}

# ruff: noqa: E501, E731, E741
"""Generates the promtool comparison suite: expected values from otelpy's engine; every third
expression file perturbed to fail. Verdict agreement with promtool is what the suite checks."""
import os
import sys

import yaml

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))
from otelpy.promql.engine import Engine
from otelpy.promql.parser import parse
from otelpy.promql.rules.seriesdesc import parse_metric, parse_values
from otelpy.promql.storage import SeriesStore
from otelpy.promql.values import Scalar, format_labels

OUT = os.path.join(os.path.dirname(__file__), "promtool_suite")
SERIES = [
    ('http_requests_total{job="api",instance="a"}', '0+10x30'),
    ('http_requests_total{job="api",instance="b"}', '0+20x10 5+20x20'),
    ('http_requests_total{job="web",instance="a"}', '0+3x30'),
    ('gauge{job="api",instance="a"}', '1 5 3 8 2 9 4 7 6 10 1x20'),
    ('gauge{job="web",instance="a"}', '2.5+0.3x30'),
    ('gauge{job="db",instance="z"}', '-4+0.7x30'),
    ('req_duration_seconds_bucket{job="api",le="0.1"}', '0+1x30'),
    ('req_duration_seconds_bucket{job="api",le="0.5"}', '0+4x30'),
    ('req_duration_seconds_bucket{job="api",le="1"}', '0+6x30'),
    ('req_duration_seconds_bucket{job="api",le="+Inf"}', '0+7x30'),
    ('req_duration_seconds_bucket{job="web",le="0.1"}', '0+2x30'),
    ('req_duration_seconds_bucket{job="web",le="1"}', '0+1x30'),
    ('req_duration_seconds_bucket{job="web",le="+Inf"}', '0+5x30'),
    ('temp{room="x"}', '20 _ _ 22 stale 25x5 _x3 26'),
    ('temp{room="y"}', '18 19 stale _ 21 22 23'),
    ('up{job="api",instance="a"}', '1x10 0x20'),
    ('up{job="web",instance="a"}', '1x30'),
    ('info{job="api",version="1.2"}', '1x30'),
    ('info{job="web",version="2.0"}', '1x30'),
]
TIMES = ["5m", "10m", "17m"]

def ms(d):
    from otelpy.promql.lexer import parse_duration
    return parse_duration(d)

def engine():
    st = SeriesStore()
    for s, v in SERIES:
        m = parse_metric(s)
        for i, x in enumerate(parse_values(v)):
            if x is not None:
                st.append(m, i * 60000, x)
    return Engine(st)

E = engine()

def samples(expr, t):
    v = E.instant(parse(expr), ms(t))
    if isinstance(v, Scalar):
        return [("{}", v.v)]
    return [(format_labels(s.metric).replace(", ", ","), s.v) for s in v]

CASES = {
 "rate": ["rate(http_requests_total[5m])", "rate(http_requests_total{instance='b'}[3m])"],
 "irate": ["irate(http_requests_total[5m])"],
 "increase": ["increase(http_requests_total[5m])", "increase(http_requests_total[2m])"],
 "delta": ["delta(gauge[5m])"],
 "idelta": ["idelta(gauge[5m])"],
 "deriv": ["deriv(gauge[10m])"],
 "predict_linear": ["predict_linear(gauge{job='web'}[10m], 3600)"],
 "resets": ["resets(http_requests_total[30m])"],
 "changes": ["changes(gauge[10m])"],
 "avg_over_time": ["avg_over_time(gauge[10m])"],
 "sum_over_time": ["sum_over_time(gauge[7m])"],
 "min_max_over_time": ["min_over_time(gauge[10m])", "max_over_time(gauge[10m])"],
 "count_over_time": ["count_over_time(temp[10m])"],
 "quantile_over_time": ["quantile_over_time(0.75, gauge[10m])"],
 "stddev_over_time": ["stddev_over_time(gauge[10m])", "stdvar_over_time(gauge[10m])"],
 "last_over_time": ["last_over_time(temp[10m])"],
 "present_over_time": ["present_over_time(temp[3m])"],
 "absent": ["absent(nonexistent{job='x'})", "absent(up)"],
 "absent_over_time": ["absent_over_time(nonexistent{job='x'}[5m])"],
 "histogram_quantile": ["histogram_quantile(0.9, rate(req_duration_seconds_bucket[5m]))"],
 "histogram_quantile_by": ["histogram_quantile(0.5, sum by (le) (rate(req_duration_seconds_bucket[5m])))"],
 "sum": ["sum(http_requests_total)", "sum by (job) (http_requests_total)"],
 "avg": ["avg(up)", "avg without (instance) (gauge)"],
 "min_max": ["min(gauge)", "max by (job) (gauge)"],
 "count_group": ["count(up)", "group by (job) (up)"],
 "stddev_stdvar": ["stddev(up)", "stdvar by (job) (http_requests_total)"],  # exact whatever the series order (promtool's varies)
 "topk_bottomk": ["topk(2, gauge)", "bottomk(1, http_requests_total)"],
 "quantile": ["quantile(0.3, gauge)"],
 "count_values": ["count_values('value', up)"],
 "arithmetic": ["http_requests_total * 2 + 1", "gauge / 3 - gauge % 2", "gauge ^ 2"],
 "comparison": ["gauge > 3", "gauge <= 3", "gauge != 1"],
 "comparison_bool": ["gauge > bool 3", "2 < bool 3"],
 "and_or_unless": ["gauge and up", "gauge unless on(job) up == 0", "up or gauge"],
 "on_ignoring": ["gauge * on(job, instance) up", "gauge - ignoring(instance) group_left sum by (job) (gauge)"],
 "group_left": ["up * on(job) group_left(version) info"],
 "group_right": ["info * on(job) group_right(version) up"],
 "scalar_vector": ["scalar(sum(up))", "vector(3)"],
 "time_timestamp": ["time()", "timestamp(temp)"],
 "clamp": ["clamp(gauge, 2, 6)", "clamp_min(gauge, 3)", "clamp_max(gauge, 3)"],
 "math1": ["abs(gauge)", "ceil(gauge)", "floor(gauge)", "round(gauge, 0.5)"],
 "math2": ["exp(gauge{job='api'})", "ln(up{job='web'} * 10)", "log2(http_requests_total{job='api',instance='a'})"],
 "math3": ["log10(gauge{job='web'})", "sqrt(gauge{job='web'})", "sgn(gauge)"],
 "sort": ["sort(gauge)", "sort_desc(gauge)"],
 "label_replace": ["label_replace(up, 'svc', '$1-svc', 'job', '(.*)')"],
 "label_join": ["label_join(up, 'id', '/', 'job', 'instance')"],
 "date": ["day_of_week()", "day_of_month()", "days_in_month()", "hour()", "minute(vector(3720))", "month()", "year()"],
 "offset": ["gauge offset 3m", "rate(http_requests_total[5m] offset 2m)"],
 "at": ["gauge @ 300", "gauge @ start()", "sum_over_time(gauge[3m] @ end())"],
 "subquery": ["max_over_time(rate(http_requests_total[2m])[5m:1m])", "avg_over_time(gauge[10m:2m])"],
 "staleness": ["temp", "count_over_time(temp[20m])"],
 "matchers": ["gauge{job=~'a.*|w.*'}", "gauge{job!~'api'}", "gauge{job!='web'}"],
 "unary": ["-gauge", "-(1 + 2)"],
 "precedence": ["2 * 3 ^ 2 ^ 2 - 1", "-2 ^ 2"],
 "holt_winters": ["holt_winters(gauge[10m], 0.5, 0.5)"],
 "trig": ["sin(gauge{job='web'})", "atan2(gauge, gauge)" if False else "deg(gauge{job='web'})"],
}

def write(name, doc):
    with open(os.path.join(OUT, name + ".yml"), "w") as fh:
        fh.write(f"# promtool comparison suite: {name}\n")
        yaml.safe_dump(doc, fh, sort_keys=False, width=200)

def series_block():
    return [{"series": s, "values": v} for s, v in SERIES]

n = 0
for i, (name, exprs) in enumerate(CASES.items()):
    fail = i % 3 == 2
    tests = []
    for j, expr in enumerate(exprs):
        t = TIMES[j % len(TIMES)]
        got = samples(expr, t)
        exp = [{"labels": l, "value": v} for l, v in got]
        if fail and j == 0:
            if exp:
                exp[0]["value"] = exp[0]["value"] + 1
            else:
                exp = [{"labels": "{}", "value": 1}]
        tests.append({"expr": expr, "eval_time": t, "exp_samples": exp})
    write(f"expr_{name}" + ("_fails" if fail else ""),
          {"rule_files": [], "evaluation_interval": "1m",
           "tests": [{"interval": "1m", "input_series": series_block(), "promql_expr_test": tests}]})

# alerting and recording rule tests
RULES = {
 "groups": [{"name": "alerts", "rules": [
    {"alert": "HighRate", "expr": "rate(http_requests_total[5m]) > 15", "for": "2m",
     "labels": {"severity": "page"},
     "annotations": {"summary": "{{ $labels.instance }} of {{ $labels.job }} at {{ $value | humanize }}/s",
                     "pct": "{{ humanizePercentage 0.256 }} {{ humanizeDuration 3725 }}",
                     "fmt": "{{ printf \"%.2f\" $value }} {{ $labels.job | toUpper }} {{ title \"hi there\" }} {{ reReplaceAll \"(.)pi\" \"$1PI\" $labels.job }} {{ $externalLabels.cluster }}"}},
    {"alert": "InstanceDown", "expr": "up == 0", "for": "5m", "labels": {"severity": "warn"},
     "annotations": {"description": "{{ $labels.job }} down ({{ $value }})"}},
    {"alert": "KeepFiring", "expr": "up == 0", "keep_firing_for": "10m"},
 ]}, {"name": "records", "rules": [
    {"record": "job:http_requests:rate5m", "expr": "sum by (job) (rate(http_requests_total[5m]))"},
    {"record": "job:gauge:max", "expr": "max by (job) (gauge)", "labels": {"source": "rec"}},
 ]}]}
with open(os.path.join(OUT, "rules_main.rules.yml"), "w") as fh:
    fh.write("# rules used by the alert_* and record_* suite files\n")
    yaml.safe_dump(RULES, fh, sort_keys=False, width=200)

def alert_file(name, cases, exprs=(), ext=None):
    tg = {"interval": "1m", "input_series": series_block(), "alert_rule_test": cases}
    if exprs:
        tg["promql_expr_test"] = list(exprs)
    if ext:
        tg["external_labels"] = ext
    write(name, {"rule_files": ["rules_main.rules.yml"], "evaluation_interval": "1m", "tests": [tg]})

hr = lambda inst, v, job="api": {"exp_labels": {"severity": "page", "job": job, "instance": inst},
    "exp_annotations": {"summary": f"{inst} of {job} at {v}/s", "pct": "25.6% 1h 2m 5s",
                        "fmt": f"{float(v):.2f} {job.upper()} Hi There {job.replace('api','aPI')} prod"}}
alert_file("alert_pending_not_firing", [{"eval_time": "4m", "alertname": "HighRate", "exp_alerts": []}], ext={"cluster": "prod"})
alert_file("alert_firing_after_for", [{"eval_time": "8m", "alertname": "HighRate", "exp_alerts": [hr("b", "20")]}], ext={"cluster": "prod"})
alert_file("alert_firing_wrong_annotation_fails", [{"eval_time": "8m", "alertname": "HighRate", "exp_alerts": [hr("b", "21")]}], ext={"cluster": "prod"})
alert_file("alert_instance_down", [{"eval_time": "16m", "alertname": "InstanceDown", "exp_alerts": [
    {"exp_labels": {"severity": "warn", "job": "api", "instance": "a"}, "exp_annotations": {"description": "api down (0)"}}]}])
alert_file("alert_instance_down_too_early_fails", [{"eval_time": "13m", "alertname": "InstanceDown", "exp_alerts": [
    {"exp_labels": {"severity": "warn", "job": "api", "instance": "a"}, "exp_annotations": {"description": "api down (0)"}}]}])
alert_file("alert_keep_firing_for", [{"eval_time": "12m", "alertname": "KeepFiring", "exp_alerts": [
    {"exp_labels": {"job": "api", "instance": "a"}}]}])
alert_file("alert_missing_label_fails", [{"eval_time": "12m", "alertname": "KeepFiring", "exp_alerts": [
    {"exp_labels": {"job": "api"}}]}])
alert_file("alert_ALERTS_series", [], [{"expr": "ALERTS{alertname='InstanceDown'}", "eval_time": "12m", "exp_samples": [
    {"labels": 'ALERTS{alertname="InstanceDown",alertstate="pending",instance="a",job="api",severity="warn"}', "value": 1}]},
    {"expr": "ALERTS_FOR_STATE{alertname='InstanceDown'}", "eval_time": "12m", "exp_samples": [
    {"labels": 'ALERTS_FOR_STATE{alertname="InstanceDown",instance="a",job="api",severity="warn"}', "value": 660}]}])
alert_file("record_rate", [], [{"expr": "job:http_requests:rate5m", "eval_time": "10m",
    "exp_samples": [{"labels": l, "value": v} for l, v in [('job:http_requests:rate5m{job="api"}', 30), ('job:http_requests:rate5m{job="web"}', 3)]]}])
alert_file("record_labels_fails", [], [{"expr": "job:gauge:max", "eval_time": "10m",
    "exp_samples": [{"labels": 'job:gauge:max{job="api"}', "value": 1}]}])
# rules files for check
for name, rules in {
  "check_ok": {"groups": [{"name": "g", "rules": [{"record": "a:b", "expr": "sum(rate(x[5m]))"}]}]},
  "check_bad_expr_fails": {"groups": [{"name": "g", "rules": [{"alert": "A", "expr": "sum(rate(x[5m]) by (a)"}]}]},
  "check_bad_name_fails": {"groups": [{"name": "g", "rules": [{"record": "bad name", "expr": "up"}]}]},
}.items():
    with open(os.path.join(OUT, name + ".rules.yml"), "w") as fh:
        yaml.safe_dump(rules, fh, sort_keys=False)
    write("unit_" + name, {"rule_files": [name + ".rules.yml"], "tests": [
        {"interval": "1m", "input_series": [{"series": "x", "values": "0+1x10"}],
         "promql_expr_test": [{"expr": "x", "eval_time": "5m", "exp_samples": [{"labels": "x", "value": 5}]}]}]})

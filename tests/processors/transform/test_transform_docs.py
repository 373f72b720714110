"""Every example of the Collector's transform processor README, as a table: the config
from the docs, an input built from the OTLP classes, the output the docs describe.

Source: open-telemetry/opentelemetry-collector-contrib, processor/transformprocessor/
README.md (commit 000485d98c4595d8b73ec2016ea9ab7088721aa0), sections "Basic Config",
"Advanced Config", "Context inference" and "Examples". Examples that use functions otelpy
does not implement (convert_sum_to_gauge, profiles) are in test_transform_refusals.
"""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord
from opentelemetry.proto.metrics.v1.metrics_pb2 import Metric
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from otelpy.component import Signal
from otelpy.pdata import items
from otelpy.pdata.values import Attributes, set_value


def traces(resource: dict[str, Any], spans: list[dict[str, Any]]) -> ExportTraceServiceRequest:
    req = ExportTraceServiceRequest()
    rs = req.resource_spans.add()
    Attributes(rs.resource.attributes).update(resource)
    scope = rs.scope_spans.add()
    for attrs in spans:
        span = scope.spans.add(name="op", kind=Span.SPAN_KIND_SERVER)
        Attributes(span.attributes).update(attrs)
    return req


def logs(records: list[tuple[Any, dict[str, Any]]]) -> ExportLogsServiceRequest:
    req = ExportLogsServiceRequest()
    scope = req.resource_logs.add().scope_logs.add()
    for body, attrs in records:
        record: LogRecord = scope.log_records.add()
        set_value(record.body, body)
        Attributes(record.attributes).update(attrs)
    return req


def span_attrs(req: Any) -> list[dict[str, Any]]:
    return [i.attributes.as_dict() for i in items.spans(req)]


def log_attrs(req: Any) -> list[dict[str, Any]]:
    return [i.attributes.as_dict() for i in items.log_records(req)]


async def test_basic_config_trace_statements(run_processor: Any) -> None:
    """README "Basic Config": keep_keys, replace_pattern, limit, truncate_all on spans."""
    config = {"error_mode": "ignore", "trace_statements": [
        'keep_keys(span.attributes, ["service.name", "service.namespace", "cloud.region", '
        '"process.command_line"])',
        'replace_pattern(span.attributes["process.command_line"], "password\\\\=[^\\\\s]*'
        '(\\\\s?)", "password=***")',
        "limit(span.attributes, 100, [])",
        "truncate_all(span.attributes, 4096)"]}
    req = traces({}, [{"service.name": "a", "http.method": "GET", "cloud.region": "x" * 5000,
                       "process.command_line": "app --password=hunter2 --v"}])
    out = await run_processor("transform", config, Signal.TRACES, req)
    assert span_attrs(out) == [{"service.name": "a", "cloud.region": "x" * 4096,
                                # the match takes the space too: (\\s?) is not in the replacement
                                "process.command_line": "app --password=***--v"}]


async def test_basic_config_log_statements(run_processor: Any) -> None:
    """README "Basic Config": the log_statements (set where, replace_all_matches,
    replace_all_patterns, set from an attribute)."""
    config = {"log_statements": [
        'set(log.severity_text, "FAIL") where log.body == "request failed"',
        'replace_all_matches(log.attributes, "/user/*/list/*", "/user/{userId}/list/{listId}")',
        'replace_all_patterns(log.attributes, "value", "/account/\\\\d{4}", '
        '"/account/{accountId}")',
        'set(log.body, log.attributes["http.route"])']}
    req = logs([("request failed", {"path": "/user/7/list/9", "acct": "/account/1234/x",
                                    "http.route": "/r"})])
    out = await run_processor("transform", config, Signal.LOGS, req)
    record = out.resource_logs[0].scope_logs[0].log_records[0]
    assert record.severity_text == "FAIL"
    assert record.body.string_value == "/r"
    assert log_attrs(out) == [{"path": "/user/{userId}/list/{listId}",
                               "acct": "/account/{accountId}/x", "http.route": "/r"}]


async def test_basic_config_metric_keep_keys_and_truncate(run_processor: Any) -> None:
    """README "Basic Config": metric_statements keep_keys / truncate_all on the resource."""
    req = ExportMetricsServiceRequest()
    rm = req.resource_metrics.add()
    Attributes(rm.resource.attributes).update({"host.name": "h" * 5000, "os": "linux"})
    metric: Metric = rm.scope_metrics.add().metrics.add(name="m")
    metric.gauge.data_points.add(as_int=1)
    config = {"metric_statements": ['keep_keys(resource.attributes, ["host.name"])',
                                    "truncate_all(resource.attributes, 4096)"]}
    out = await run_processor("transform", config, Signal.METRICS, req)
    assert Attributes(out.resource_metrics[0].resource.attributes).as_dict() == {
        "host.name": "h" * 4096}


async def test_advanced_config_conditions(run_processor: Any) -> None:
    """README "Advanced Config": a group's conditions gate its statements."""
    config = {"error_mode": "ignore", "log_statements": [{
        "conditions": ['IsMap(log.body) and log.body["object"] != nil'],
        "statements": ['set(log.body, log.attributes["http.route"])']}]}
    req = logs([({"object": 1}, {"http.route": "/a"}), ({"other": 1}, {"http.route": "/b"}),
                ("text", {"http.route": "/c"})])
    out = await run_processor("transform", config, Signal.LOGS, req)
    bodies = [i.record.body for i in items.log_records(out)]
    assert bodies[0].string_value == "/a"
    assert bodies[1].WhichOneof("value") == "kvlist_value"
    assert bodies[2].string_value == "text"


async def test_context_inference_datapoint(run_processor: Any) -> None:
    """README "Context inference": a metric path set where a datapoint attribute holds."""
    req = ExportMetricsServiceRequest()
    scope = req.resource_metrics.add().scope_metrics.add()
    for name, test in (("a", "pass"), ("b", "fail")):
        metric = scope.metrics.add(name=name)
        point = metric.sum.data_points.add(as_double=1.0)
        Attributes(point.attributes)["test"] = test
    config = {"metric_statements": [
        'set(metric.description, "test passed") where datapoint.attributes["test"] == "pass"']}
    out = await run_processor("transform", config, Signal.METRICS, req)
    assert [m.description for m in out.resource_metrics[0].scope_metrics[0].metrics] == [
        "test passed", ""]


@pytest.mark.parametrize(("statements", "resource", "span", "want_resource", "want_span"), [
    # "Perform transformation if field does not exist"
    (['set(span.attributes["test"], "pass") where span.attributes["test"] == nil'],
     {}, {"test": "keep"}, {}, {"test": "keep"}),
    (['set(span.attributes["test"], "pass") where span.attributes["test"] == nil'],
     {}, {}, {}, {"test": "pass"}),
    # "Rename attribute" (set + delete_key)
    (['set(resource.attributes["namespace"], resource.attributes["k8s.namespace.name"])',
      'delete_key(resource.attributes, "k8s.namespace.name")'],
     {"k8s.namespace.name": "ns1"}, {}, {"namespace": "ns1"}, {}),
    # "Rename attribute" (replace_all_patterns on keys)
    (['replace_all_patterns(resource.attributes, "key", "k8s\\\\.namespace\\\\.name", '
      '"namespace")'], {"k8s.namespace.name": "ns1"}, {}, {"namespace": "ns1"}, {}),
    # "Combine two attributes"
    (['set(resource.attributes["test"], Concat([resource.attributes["foo"], '
      'resource.attributes["bar"]], " "))'],
     {"foo": "a", "bar": "b"}, {}, {"foo": "a", "bar": "b", "test": "a b"}, {}),
], ids=["missing-field-kept", "missing-field-set", "rename-set-delete", "rename-regex",
        "combine"])
async def test_trace_examples(run_processor: Any, statements: list[str],
                              resource: dict[str, Any], span: dict[str, Any],
                              want_resource: dict[str, Any], want_span: dict[str, Any]) -> None:
    """README "Examples" for traces."""
    out = await run_processor("transform", {"error_mode": "ignore",
                                            "trace_statements": statements},
                              Signal.TRACES, traces(resource, [span]))
    assert Attributes(out.resource_spans[0].resource.attributes).as_dict() == want_resource
    assert span_attrs(out) == [want_span]


async def test_move_field_to_attribute(run_processor: Any) -> None:
    """README "Move field to attribute"."""
    out = await run_processor("transform", {"log_statements": [
        'set(log.attributes["body"], log.body)']}, Signal.LOGS, logs([("hello", {})]))
    assert log_attrs(out) == [{"body": "hello"}]


PARSE_JSON = ['merge_maps(log.cache, ParseJSON(log.body), "upsert") where IsMatch(log.body, '
              '"^\\\\{")',
              'set(log.attributes["attr1"], log.cache["attr1"])',
              'set(log.attributes["attr2"], log.cache["attr2"])',
              'set(log.attributes["nested.attr3"], log.cache["nested"]["attr3"])']


async def test_parsing_json_logs(run_processor: Any) -> None:
    """README "Parsing JSON logs": cache, merge_maps, ParseJSON, nested index; a non-JSON
    body changes nothing."""
    body = '{"name": "log", "attr1": "foo", "attr2": "bar", "nested": {"attr3": "example"}}'
    out = await run_processor("transform", {"log_statements": [{"statements": PARSE_JSON}]},
                              Signal.LOGS, logs([(body, {}), ("plain text", {})]))
    assert log_attrs(out) == [{"attr1": "foo", "attr2": "bar", "nested.attr3": "example"}, {}]


async def test_override_error_mode(run_processor: Any) -> None:
    """README "Override context statements error mode": the group with ignore survives a
    body ParseJSON cannot read (IsMatch gates it here, so force the error with a '{'
    body that is not JSON) while the default propagate group still runs."""
    config = {"error_mode": "propagate", "log_statements": [
        {"error_mode": "ignore", "statements": [PARSE_JSON[0],
                                                'set(log.attributes["attr1"], '
                                                'log.cache["attr1"])']},
        {"statements": ['set(log.attributes["namespace"], '
                        'log.attributes["k8s.namespace.name"])']}]}
    out = await run_processor("transform", config, Signal.LOGS,
                              logs([("{not json", {"k8s.namespace.name": "ns"})]))
    assert log_attrs(out) == [{"k8s.namespace.name": "ns", "namespace": "ns"}]


async def test_severity_of_unstructured_body(run_processor: Any) -> None:
    """README "Get Severity of an Unstructured Log Body"."""
    config = {"error_mode": "ignore", "log_statements": [
        f'set(log.severity_number, SEVERITY_NUMBER_{level}) where IsString(log.body) and '
        f'IsMatch(log.body, "\\\\s{level}\\\\s")' for level in ("INFO", "WARN", "ERROR")]}
    out = await run_processor("transform", config, Signal.LOGS, logs([
        ("[2023-09-22 07:38:22,570] INFO [Something]: some interesting log", {}),
        ("[2023-09-22 07:38:22,570] ERROR [Something]: bad", {}), ({"a": 1}, {})]))
    assert [i.record.severity_number for i in items.log_records(out)] == [9, 17, 0]


async def test_copy_matching_attributes(run_processor: Any) -> None:
    """README "Copy attributes matching regular expression to a separate location"."""
    config = {"error_mode": "ignore", "trace_statements": [{"statements": [
        'set(resource.cache["attrs"], resource.attributes)',
        'keep_matching_keys(resource.cache["attrs"], "pod_labels_.*")',
        'set(resource.attributes["kubernetes.labels"], resource.cache["attrs"])']}]}
    out = await run_processor("transform", config, Signal.TRACES, traces(
        {"pod_labels_app": "web", "host": "h"}, [{}]))
    assert Attributes(out.resource_spans[0].resource.attributes).as_dict() == {
        "pod_labels_app": "web", "host": "h", "kubernetes.labels": {"pod_labels_app": "web"}}

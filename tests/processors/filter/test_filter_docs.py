"""The examples of the Collector's filter processor README, as a table: config from the
docs, an input built from the OTLP classes, the items the docs say are dropped.

Source: open-telemetry/opentelemetry-collector-contrib, processor/filterprocessor/
README.md (commit ba96fac11e362dac875087feb7cf0be6fc289388): "Examples" (OTTL) and
"Alternative Config Options" (include/exclude). The ``expr`` match type is refused
(test_filter_refuses_expr).
"""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from otelpy.component import Signal
from otelpy.pdata import items
from otelpy.pdata.values import Attributes
from otelpy.processors.filter import FilterConfig
from otelpy.telemetry import Telemetry

OTTL_EXAMPLE = {
    "error_mode": "ignore",
    "traces": {
        "span": ['attributes["container.name"] == "app_container_1"',
                 'resource.attributes["host.name"] == "localhost"',
                 'name == "app_3"'],
        "spanevent": ['attributes["grpc"] == true', 'IsMatch(name, ".*grpc.*")']},
    "metrics": {
        "metric": ['name == "my.metric" and resource.attributes["my_label"] == "abc123"',
                   "type == METRIC_DATA_TYPE_HISTOGRAM"],
        "datapoint": ["metric.type == METRIC_DATA_TYPE_SUMMARY",
                      'resource.attributes["service.name"] == "my_service_name"']},
    "logs": {"log_record": ['IsMatch(body, ".*password.*")',
                            "severity_number < SEVERITY_NUMBER_WARN"]},
}


def spans_request(spans: list[tuple[str, dict[str, Any], dict[str, Any], list[str]]]
                  ) -> ExportTraceServiceRequest:
    """(name, resource attributes, span attributes, event names) per span, one resource
    each."""
    req = ExportTraceServiceRequest()
    for name, resource, attrs, events in spans:
        rs = req.resource_spans.add()
        Attributes(rs.resource.attributes).update(resource)
        span = rs.scope_spans.add().spans.add(name=name)
        Attributes(span.attributes).update(attrs)
        for event in events:
            span.events.add(name=event)
    return req


async def test_ottl_example_traces(run_processor: Any, telemetry: Telemetry) -> None:
    req = spans_request([
        ("keep", {"host.name": "h"}, {"container.name": "other"}, ["grpc.call", "log"]),
        ("drop-attr", {}, {"container.name": "app_container_1"}, []),
        ("drop-resource", {"host.name": "localhost"}, {}, []),
        ("app_3", {}, {}, []),
    ])
    out = await run_processor("filter", OTTL_EXAMPLE, Signal.TRACES, req)
    spans = list(items.spans(out))
    assert [i.span.name for i in spans] == ["keep"]
    assert [e.name for e in spans[0].span.events] == ["log"]  # the grpc event went
    assert telemetry.value("otelcol_processor_filter_spans_filtered_total",
                           {"processor": "filter"}) == 3


async def test_ottl_example_metrics(run_processor: Any) -> None:
    req = ExportMetricsServiceRequest()
    rm = req.resource_metrics.add()
    Attributes(rm.resource.attributes).update({"my_label": "abc123"})
    scope = rm.scope_metrics.add()
    scope.metrics.add(name="my.metric").gauge.data_points.add(as_int=1)
    scope.metrics.add(name="hist").histogram.data_points.add(count=1)
    scope.metrics.add(name="summary").summary.data_points.add(count=1)
    scope.metrics.add(name="kept").gauge.data_points.add(as_int=2)
    out = await run_processor("filter", OTTL_EXAMPLE, Signal.METRICS, req)
    assert [m.metric.name for m in items.metrics(out)] == ["kept"]


async def test_ottl_example_logs(run_processor: Any) -> None:
    req = ExportLogsServiceRequest()
    scope = req.resource_logs.add().scope_logs.add()
    for body, severity in (("my password is x", 17), ("debug", 5), ("warning", 13),
                           ("error", 17)):
        scope.log_records.add(severity_number=severity).body.string_value = body
    out = await run_processor("filter", OTTL_EXAMPLE, Signal.LOGS, req)
    assert [i.record.body.string_value for i in items.log_records(out)] == ["warning", "error"]


def metrics_request(names: list[str], resource: dict[str, Any]) -> ExportMetricsServiceRequest:
    req = ExportMetricsServiceRequest()
    rm = req.resource_metrics.add()
    Attributes(rm.resource.attributes).update(resource)
    scope = rm.scope_metrics.add()
    for name in names:
        scope.metrics.add(name=name).gauge.data_points.add(as_int=1)
    return req


NAMES = ["prefix/a", "prefix_b", "hello_world", "other"]


@pytest.mark.parametrize(("metrics", "resource", "kept"), [
    # filter/1: include regexp names + resource attribute, exclude strict names
    ({"include": {"match_type": "regexp", "metric_names": ["prefix/.*", "prefix_.*"],
                  "resource_attributes": [{"key": "container.name",
                                           "value": "app_container_1"}]},
      "exclude": {"match_type": "strict", "metric_names": ["hello_world", "hello/world"]}},
     {"container.name": "app_container_1"}, ["prefix/a", "prefix_b"]),
    ({"include": {"match_type": "regexp", "metric_names": ["prefix/.*", "prefix_.*"],
                  "resource_attributes": [{"key": "container.name",
                                           "value": "app_container_1"}]}},
     {"container.name": "app_container_2"}, []),
    # filter/resource_attributes_exclude
    ({"exclude": {"match_type": "strict", "metric_names": ["hello_world", "hello/world"],
                  "resource_attributes": [{"key": "container.name",
                                           "value": "app_container_1"}]}},
     {"container.name": "app_container_1"}, ["prefix/a", "prefix_b", "other"]),
], ids=["filter-1", "filter-1-other-container", "resource-attributes-exclude"])
async def test_legacy_metrics(run_processor: Any, metrics: dict[str, Any],
                              resource: dict[str, Any], kept: list[str]) -> None:
    out = await run_processor("filter", {"metrics": metrics}, Signal.METRICS,
                              metrics_request(NAMES, resource))
    assert ([m.metric.name for m in items.metrics(out)] if out else []) == kept


@pytest.mark.parametrize(("logs", "records", "kept"), [
    ({"include": {"match_type": "strict", "resource_attributes": [
        {"key": "host.name", "value": "just_this_one_hostname"}]}},
     [("a", {"host.name": "just_this_one_hostname"}, "", 0), ("b", {"host.name": "x"}, "", 0)],
     ["a"]),
    ({"include": {"match_type": "regexp", "severity_texts": ["INFO[2-4]?", "WARN[2-4]?",
                                                            "ERROR[2-4]?"]}},
     [("a", {}, "INFO", 9), ("b", {}, "DEBUG", 5), ("c", {}, "WARN2", 14)], ["a", "c"]),
    ({"include": {"severity_number": {"min": "INFO", "match_undefined": True}}},
     [("a", {}, "", 9), ("b", {}, "", 5), ("c", {}, "", 0)], ["a", "c"]),
    ({"include": {"match_type": "regexp", "bodies": ["^IMPORTANT RECORD"]}},
     [("IMPORTANT RECORD 1", {}, "", 0), ("boring", {}, "", 0)], ["IMPORTANT RECORD 1"]),
], ids=["filter-2-host", "severity-text", "severity-number", "bodies"])
async def test_legacy_logs(run_processor: Any, logs: dict[str, Any],
                           records: list[tuple[str, dict[str, Any], str, int]],
                           kept: list[str]) -> None:
    req = ExportLogsServiceRequest()
    for body, resource, text, number in records:
        rl = req.resource_logs.add()
        Attributes(rl.resource.attributes).update(resource)
        record = rl.scope_logs.add().log_records.add(severity_text=text,
                                                     severity_number=number)
        record.body.string_value = body
    out = await run_processor("filter", {"logs": logs}, Signal.LOGS, req)
    assert [i.record.body.string_value for i in items.log_records(out)] == kept


async def test_legacy_spans(run_processor: Any) -> None:
    """filter/spans: include service app_3; exclude services app_1/app_2 by regexp."""
    config = {"spans": {"include": {"match_type": "strict", "services": ["app_3"]},
                        "exclude": {"match_type": "regexp", "span_names": ["hello_world"],
                                    "services": ["app_1", "app_2"]}}}
    req = spans_request([("a", {"service.name": "app_3"}, {}, []),
                         ("b", {"service.name": "app_1"}, {}, []),
                         ("hello_world", {"service.name": "app_3"}, {}, [])])
    out = await run_processor("filter", config, Signal.TRACES, req)
    assert [i.span.name for i in items.spans(out)] == ["a", "hello_world"]


async def test_everything_dropped_is_not_forwarded(run_processor: Any) -> None:
    out = await run_processor("filter", {"traces": {"span": ["true"]}}, Signal.TRACES,
                              spans_request([("a", {}, {}, [])]))
    assert out is None


def test_filter_refuses_expr() -> None:
    cfg = FilterConfig.model_validate({"metrics": {"exclude": {
        "match_type": "strict", "expressions": ['MetricName == "my.metric"']}}})
    assert any("expr is not implemented" in p for p in cfg.validate_config())

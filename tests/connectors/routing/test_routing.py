"""The routing connector: the Collector README's examples as tables, first-match order,
request metadata, error modes, data points, and validation of the table.

Examples cited from the Collector's connector/routingconnector/README.md ("Route logs based
on tenant", "... on region", "Route all low level logs to cheap storage ...")."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pytest

from otelpy.component import ComponentID, Kind, PipelineID, Settings, Signal
from otelpy.connectors.routing import RoutingConfig, RoutingConnector, factory
from otelpy.consumer import PipelineRouter
from otelpy.errors import PermanentError
from otelpy.pdata import Batch, ClientMetadata, items
from otelpy.pdata.build import RequestBuilder
from otelpy.pdata.values import Attributes
from otelpy.telemetry import Telemetry
from otelpy.testing.sink import FakeHost, SinkConsumer

ERROR, INFO = 17, 9


def logs(rows: list[tuple[str, str, int]]) -> Batch:
    """(service.name, region, severity_number) per record, one resource per service."""
    builder = RequestBuilder(Signal.LOGS)
    for i, (service, region, severity) in enumerate(rows):
        record = builder.scope({"service.name": service}, "app").log_records.add(
            severity_number=severity)
        record.body.string_value = f"r{i}"
        if region:
            Attributes(record.attributes)["region"] = region
    return builder.batch()


def bodies(sink: SinkConsumer) -> list[str]:
    return sorted(i.record.body.string_value for b in sink.batches
                  for i in items.log_records(b.message))


class Routed:
    def __init__(self, doc: Mapping[str, Any], signal: Signal, pipelines: list[str]) -> None:
        cfg = RoutingConfig.model_validate(doc)
        assert cfg.validate_config() == []
        self.sinks = {p: SinkConsumer() for p in pipelines}
        self.telemetry = Telemetry()
        router = PipelineRouter({PipelineID.parse(p): s for p, s in self.sinks.items()})
        settings = Settings(ComponentID("routing"), Kind.CONNECTOR, logging.getLogger("t"),
                            self.telemetry)
        conn = factory.create(settings, cfg, signal, signal, router)
        assert isinstance(conn, RoutingConnector)
        self.conn = conn

    def got(self) -> dict[str, list[str]]:
        return {p: bodies(s) for p, s in self.sinks.items()}


REGION = {"default_pipelines": ["logs/other"], "table": [
    {"context": "log", "condition": 'attributes["region"] == "east"', "pipelines": ["logs/east"]},
    {"context": "log", "condition": 'attributes["region"] == "west"', "pipelines": ["logs/west"]},
]}
CHEAP = {"table": [
    {"context": "log", "condition": "severity_number < SEVERITY_NUMBER_ERROR",
     "pipelines": ["logs/cheap"]},
    {"context": "resource", "condition": 'attributes["service.name"] == "service1"',
     "pipelines": ["logs/service1"]},
    {"context": "resource", "condition": 'attributes["service.name"] == "service2"',
     "pipelines": ["logs/service2"]},
]}
ROWS = [("service1", "east", INFO), ("service1", "west", ERROR), ("service2", "", ERROR),
        ("service3", "east", ERROR), ("service2", "north", INFO)]


@pytest.mark.parametrize(("doc", "pipelines", "expected"), [
    (REGION, ["logs/east", "logs/west", "logs/other"],
     {"logs/east": ["r0", "r3"], "logs/west": ["r1"], "logs/other": ["r2", "r4"]}),
    (CHEAP, ["logs/cheap", "logs/service1", "logs/service2"],
     {"logs/cheap": ["r0", "r4"], "logs/service1": ["r1"], "logs/service2": ["r2"]}),
], ids=["region", "cheap-then-service"])
async def test_readme_examples_route_each_record_once(doc: Mapping[str, Any],
                                                      pipelines: list[str],
                                                      expected: dict[str, list[str]]) -> None:
    routed = Routed(doc, Signal.LOGS, pipelines)
    await routed.conn.start(FakeHost())
    await routed.conn.consume_logs(logs(ROWS))
    assert routed.got() == expected
    if doc is CHEAP:  # r3 (service3, ERROR) matched nothing and there is no default
        assert routed.telemetry.value("otelpy_connector_routing_unrouted_log_records_total",
                                      {"connector": "routing"}) == 1


TENANT = {"default_pipelines": ["logs/other"], "table": [
    {"context": "request", "condition": 'request["X-Tenant"] == "acme"',
     "pipelines": ["logs/acme"]},
    {"context": "request", "condition": 'request["X-Tenant"] == "ecorp"',
     "pipelines": ["logs/ecorp"]},
]}


@pytest.mark.parametrize(("metadata", "target"), [
    ([("x-tenant", "acme")], "logs/acme"),
    ([("X-TENANT", "other"), ("x-tenant", "ecorp")], "logs/ecorp"),  # any value may match
    ([("x-tenant", "nobody")], "logs/other"),
    (None, "logs/other"),
])
async def test_request_context_reads_client_metadata(metadata: list[tuple[str, str]] | None,
                                                     target: str) -> None:
    routed = Routed(TENANT, Signal.LOGS, ["logs/acme", "logs/ecorp", "logs/other"])
    batch = logs(ROWS[:2])
    batch.metadata = None if metadata is None else ClientMetadata(metadata)
    await routed.conn.consume_logs(batch)
    assert {p: len(s.batches) for p, s in routed.sinks.items()} == {
        p: int(p == target) for p in routed.sinks}
    assert routed.sinks[target].batches[0] is batch  # all one way: forwarded, not copied


async def test_not_equal_request_condition_needs_the_key() -> None:
    doc = {"default_pipelines": ["logs/b"], "table": [
        {"context": "request", "condition": 'request["x-t"] != "a"', "pipelines": ["logs/a"]}]}
    routed = Routed(doc, Signal.LOGS, ["logs/a", "logs/b"])
    for md in ([("x-t", "z")], [("x-t", "a")], []):
        batch = logs(ROWS[:1])
        batch.metadata = ClientMetadata(md)
        await routed.conn.consume_logs(batch)
    assert [len(routed.sinks[p].batches) for p in ("logs/a", "logs/b")] == [1, 2]


async def test_first_matching_route_wins_and_statement_form_works() -> None:
    doc = {"default_pipelines": ["logs/d"], "table": [
        {"statement": 'route() where attributes["service.name"] == "service1"',
         "pipelines": ["logs/a"]},
        {"context": "log", "condition": 'attributes["region"] == "east"', "pipelines": ["logs/b"]},
        {"statement": "route()", "pipelines": ["logs/c"]},
    ]}
    routed = Routed(doc, Signal.LOGS, ["logs/a", "logs/b", "logs/c", "logs/d"])
    await routed.conn.consume_logs(logs(ROWS))
    assert routed.got() == {"logs/a": ["r0", "r1"], "logs/b": ["r3"], "logs/c": ["r2", "r4"],
                            "logs/d": []}


FAILING = {"default_pipelines": ["logs/d"], "table": [
    {"context": "log", "condition": 'ParseJSON(attributes["region"])["x"] == 1',
     "pipelines": ["logs/a"]},
]}


@pytest.mark.parametrize("mode", ["ignore", "silent"])
async def test_a_failing_condition_sends_to_default(mode: str) -> None:
    routed = Routed({**FAILING, "error_mode": mode}, Signal.LOGS, ["logs/a", "logs/d"])
    await routed.conn.consume_logs(logs([("s", "east", 1), ("s", '{"x": 1}', 1),
                                         ("s", '{"x": 2}', 1)]))
    assert routed.got() == {"logs/a": ["r1"], "logs/d": ["r0", "r2"]}
    assert routed.telemetry.value("otelpy_connector_routing_condition_errors_total",
                                  {"connector": "routing"}) == 1  # only "east" is not JSON


async def test_propagate_refuses_the_batch() -> None:
    routed = Routed(FAILING, Signal.LOGS, ["logs/a", "logs/d"])
    with pytest.raises(PermanentError, match="ParseJSON"):
        await routed.conn.consume_logs(logs([("s", "east", 1)]))
    assert routed.got() == {"logs/a": [], "logs/d": []}


async def test_data_points_split_under_copies_of_their_metric() -> None:
    builder = RequestBuilder(Signal.METRICS)
    metric = builder.scope({"service.name": "m"}, "s").metrics.add(name="requests", unit="1")
    metric.sum.aggregation_temporality = 2
    metric.sum.is_monotonic = True
    for i, code in enumerate(["200", "500", "200", "503"]):
        point = metric.sum.data_points.add(as_int=i)
        Attributes(point.attributes)["code"] = code
    doc = {"default_pipelines": ["metrics/ok"], "table": [
        {"context": "datapoint", "condition": 'IsMatch(attributes["code"], "^5")',
         "pipelines": ["metrics/errors"]},
        {"context": "metric", "condition": 'name == "nothing"', "pipelines": ["metrics/ok"]},
    ]}
    routed = Routed(doc, Signal.METRICS, ["metrics/errors", "metrics/ok"])
    await routed.conn.consume_metrics(builder.batch())
    out = {}
    for pipeline, sink in routed.sinks.items():
        [batch] = sink.batches
        [m] = [i.metric for i in items.metrics(batch.message)]
        assert (m.name, m.unit, m.sum.is_monotonic, m.sum.aggregation_temporality) == (
            "requests", "1", True, 2)
        out[pipeline] = [p.as_int for p in m.sum.data_points]
    assert out == {"metrics/errors": [1, 3], "metrics/ok": [0, 2]}


@pytest.mark.parametrize(("doc", "problem"), [
    ({"table": [{"context": "request", "statement": "route()", "pipelines": ["logs/a"]}]},
     "the request context takes a condition"),
    ({"table": [{"context": "request", "condition": 'request["a"] > "b"',
                 "pipelines": ["logs/a"]}]}, "must have the form"),
    ({"table": [{"condition": "x", "statement": "route()", "pipelines": ["logs/a"]}]},
     "exactly one of condition and statement"),
    ({"table": [{"statement": "drop()", "pipelines": ["logs/a"]}]},
     "must be route() where <condition>"),
    ({"table": [{"context": "span", "condition": 'name == ', "pipelines": ["t/a"]}]},
     "table::0::condition"),
    ({"match_once": False, "table": [{"condition": "true", "pipelines": ["logs/a"]}]},
     "match_once: false is no longer supported"),
])
def test_invalid_tables_are_refused(doc: Mapping[str, Any], problem: str) -> None:
    problems = RoutingConfig.model_validate(doc).validate_config()
    assert any(problem in p for p in problems), problems


def test_a_context_the_signal_lacks_is_refused_at_creation() -> None:
    cfg = RoutingConfig.model_validate(
        {"table": [{"context": "span", "condition": 'name == "x"', "pipelines": ["logs/a"]}]})
    settings = Settings(ComponentID("routing"), Kind.CONNECTOR, logging.getLogger("t"),
                        Telemetry())
    router = PipelineRouter({PipelineID.parse("logs/a"): SinkConsumer()})
    with pytest.raises(ValueError, match="context span cannot route logs"):
        factory.create(settings, cfg, Signal.LOGS, Signal.LOGS, router)

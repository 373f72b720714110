"""The resource processor: the Collector README's example as a table test, every signal,
and its config rules.

Source: opentelemetry-collector-contrib processor/resourceprocessor/README.md ("Examples").
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
import yaml

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.pdata import items
from otelpy.pdata.build import RequestBuilder
from otelpy.processors.resource import ResourceConfig, factory
from otelpy.telemetry import Telemetry
from otelpy.testing.sink import SinkConsumer

README_EXAMPLE = """
processors:
  resource:
    attributes:
    - key: cloud.availability_zone
      value: "zone-1"
      action: upsert
    - key: k8s.cluster.name
      from_attribute: k8s-cluster
      action: insert
    - key: redundant-attribute
      action: delete
"""

INPUTS: list[dict[str, Any]] = [
    {"service.name": "a", "k8s-cluster": "prod-1", "redundant-attribute": "x",
     "cloud.availability_zone": "zone-9"},
    {"service.name": "b"},
    {"service.name": "c", "k8s.cluster.name": "kept", "k8s-cluster": "other"},
]
EXPECTED: list[dict[str, Any]] = [
    {"service.name": "a", "k8s-cluster": "prod-1", "cloud.availability_zone": "zone-1",
     "k8s.cluster.name": "prod-1"},
    {"service.name": "b", "cloud.availability_zone": "zone-1"},
    {"service.name": "c", "k8s.cluster.name": "kept", "k8s-cluster": "other",
     "cloud.availability_zone": "zone-1"},
]


def _request(signal: Signal) -> Any:
    builder = RequestBuilder(signal)
    for attrs in INPUTS:
        scope = builder.scope(attrs, "lib")
        if signal is Signal.TRACES:
            scope.spans.add(name="s")
        elif signal is Signal.LOGS:
            scope.log_records.add().body.string_value = "l"
        else:
            scope.metrics.add(name="m").gauge.data_points.add(as_int=1)
    return builder.batch()


@pytest.mark.parametrize("signal", list(Signal))
async def test_readme_example(signal: Signal) -> None:
    cfg = ResourceConfig.model_validate(yaml.safe_load(README_EXAMPLE)["processors"]["resource"])
    assert cfg.validate_config() == []
    sink = SinkConsumer()
    settings = Settings(ComponentID("resource"), Kind.PROCESSOR, logging.getLogger("t"),
                        Telemetry())
    proc = factory.create(settings, cfg, signal, sink)
    await proc.consume(_request(signal))
    got = [r.attributes.as_dict() for r in items.resources(sink.batches[0].message)]
    assert got == EXPECTED
    assert sink.items[signal] == 3  # nothing lost


@pytest.mark.parametrize(("doc", "problems"), [
    ({}, ['attributes: missing required field "attributes" (at least one action)']),
    ({"attributes": [{"key": "a", "action": "insert"}]},
     ['attributes::0: either field "value", "from_attribute", "from_context" or '
      '"default_value" must be specified']),
    ({"attributes": [{"key": "a", "action": "upsert", "from_context": "client.address"}]},
     ['attributes::0: from_context "client.address": otelpy carries client metadata '
      "(metadata.<key>) with the data, not authentication results or the client address; use "
      "a metadata key"]),
], ids=["empty", "no-source", "from-context"])
def test_rules(doc: dict[str, Any], problems: list[str]) -> None:
    assert ResourceConfig.model_validate(doc).validate_config() == problems

"""Reading what the hostmetrics receiver produced, for its tests."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.pdata import Batch
from otelpy.pdata.values import to_value
from otelpy.receivers.hostmetrics import HostMetricsConfig, factory
from otelpy.telemetry import Telemetry
from otelpy.testing.sink import SinkConsumer


@dataclass(frozen=True)
class Point:
    resource: dict[str, Any]
    scope: str
    metric: Any
    attributes: dict[str, str]
    value: float
    start_ns: int
    time_ns: int


def points(batches: list[Batch]) -> list[Point]:
    out = []
    for batch in batches:
        for rm in batch.message.resource_metrics:
            resource = {kv.key: to_value(kv.value) for kv in rm.resource.attributes}
            for sm in rm.scope_metrics:
                for m in sm.metrics:
                    data = m.sum if m.HasField("sum") else m.gauge
                    for p in data.data_points:
                        value = p.as_int if p.HasField("as_int") else p.as_double
                        attrs = {kv.key: kv.value.string_value for kv in p.attributes}
                        out.append(Point(resource, sm.scope.name, m, attrs, value,
                                         p.start_time_unix_nano, p.time_unix_nano))
    return out


def by_name(pts: list[Point], name: str, **attrs: str) -> list[Point]:
    return [p for p in pts if p.metric.name == name
            and all(p.attributes.get(k) == v for k, v in attrs.items())]


def one(pts: list[Point], name: str, **attrs: str) -> float:
    found = by_name(pts, name, **attrs)
    assert len(found) == 1, (name, attrs, found)
    return found[0].value


def make(doc: Mapping[str, Any], settings: Settings | None = None,
         ) -> tuple[Any, SinkConsumer]:
    cfg = HostMetricsConfig.model_validate(doc)
    assert cfg.validate_config() == []
    sink = SinkConsumer()
    settings = settings or Settings(ComponentID("hostmetrics"), Kind.RECEIVER,
                                    logging.getLogger("test.hostmetrics"), Telemetry())
    return factory.create(settings, cfg, {Signal.METRICS: sink}), sink


async def scrape(doc: Mapping[str, Any]) -> list[Point]:
    receiver, sink = make(doc)
    await receiver.scrape_once()
    return points(sink.batches)


def read(path: str) -> str:
    """A small /proc file (test setup; tiny and never blocking for long)."""
    with open(path) as f:
        return f.read()

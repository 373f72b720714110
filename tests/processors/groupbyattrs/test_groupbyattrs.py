"""groupbyattrs: the Collector README's two examples ("Grouping metrics", "Compaction") and
the rules around them (key order, overwrite, spans and logs, metadata kept, telemetry)."""

from __future__ import annotations

import logging
from typing import Any

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.pdata import Batch, ClientMetadata, items
from otelpy.pdata.build import RequestBuilder
from otelpy.pdata.values import Attributes
from otelpy.processors.groupbyattrs import GroupByAttrsConfig, factory
from otelpy.telemetry import Telemetry
from otelpy.testing.sink import SinkConsumer


async def run(keys: list[str], signal: Signal, batch: Batch,
              telemetry: Telemetry | None = None) -> Any:
    sink = SinkConsumer()
    settings = Settings(ComponentID("groupbyattrs"), Kind.PROCESSOR, logging.getLogger("t"),
                        telemetry or Telemetry())
    proc = factory.create(settings, GroupByAttrsConfig(keys=keys), signal, sink)
    await proc.consume(batch)
    [out] = sink.batches
    return out


def point_tree(request: Any) -> list[tuple[dict[str, Any], list[tuple[str, str, list[dict]]]]]:
    """[(resource attributes, [(metric name, kind, [point attributes])])]"""
    out = []
    for rm in request.resource_metrics:
        metrics = [(m.name, m.WhichOneof("data"),
                    [Attributes(p.attributes).as_dict()
                     for p in getattr(m, m.WhichOneof("data")).data_points])
                   for sm in rm.scope_metrics for m in sm.metrics]
        out.append((Attributes(rm.resource.attributes).as_dict(), metrics))
    return out


async def test_readme_grouping_metrics_example() -> None:
    builder = RequestBuilder(Signal.METRICS)
    scope = builder.scope({"host.name": "localhost", "source": "prom"}, "s")
    hosts = ["host-A", "host-A", "host-B"]
    for name, kind, on in [("gauge-1", "gauge", hosts), ("gauge-1", "gauge", hosts),
                           ("mixed-type", "gauge", hosts), ("mixed-type", "sum", hosts[:2]),
                           ("dont-move", "gauge", [None])]:
        metric = scope.metrics.add(name=name)
        for host in on:
            point = getattr(metric, kind).data_points.add(as_double=1.0)
            attrs = Attributes(point.attributes)
            if host:
                attrs["host.name"] = host
            attrs["id"] = "eth0"
    out = await run(["host.name"], Signal.METRICS, builder.batch())
    eth = {"id": "eth0"}
    assert point_tree(out.message) == [
        ({"host.name": "host-A", "source": "prom"},
         [("gauge-1", "gauge", [eth] * 4), ("mixed-type", "gauge", [eth] * 2),
          ("mixed-type", "sum", [eth] * 2)]),
        ({"host.name": "host-B", "source": "prom"},
         [("gauge-1", "gauge", [eth] * 2), ("mixed-type", "gauge", [eth])]),
        ({"host.name": "localhost", "source": "prom"}, [("dont-move", "gauge", [eth])]),
    ]


async def test_readme_compaction_example() -> None:
    builder = RequestBuilder(Signal.TRACES)
    spec = [("localhost", "MyLibrary", 1), ("localhost", "OtherLibrary", 2),
            ("localhost", "MyLibrary", 3), ("localhost", "MyLibrary", 4),
            ("otherhost", "MyLibrary", 5)]
    request = builder.batch().message
    for host, library, span_id in spec:  # one ResourceSpans each, as in the example
        rs = request.resource_spans.add()
        Attributes(rs.resource.attributes)["host.name"] = host
        rs.scope_spans.add().scope.name = library
        rs.scope_spans[0].spans.add(name=str(span_id))
    out = await run([], Signal.TRACES, Batch.from_message(Signal.TRACES, request))
    tree = [(Attributes(rs.resource.attributes).as_dict(),
             [(ss.scope.name, [s.name for s in ss.spans]) for ss in rs.scope_spans])
            for rs in out.message.resource_spans]
    assert tree == [({"host.name": "localhost"}, [("MyLibrary", ["1", "3", "4"]),
                                                  ("OtherLibrary", ["2"])]),
                    ({"host.name": "otherhost"}, [("MyLibrary", ["5"])])]


async def test_logs_move_keys_in_key_order_and_overwrite_the_resource() -> None:
    builder = RequestBuilder(Signal.LOGS)
    scope = builder.scope({"service.name": "svc", "tenant": "default"}, "s")
    for tenant, region in [("acme", "eu"), (None, None), ("acme", "eu"), ("ecorp", None)]:
        record = scope.log_records.add()
        attrs = Attributes(record.attributes)
        attrs["msg"] = "m"
        if region:
            attrs["region"] = region
        if tenant:
            attrs["tenant"] = tenant
    batch = builder.batch()
    batch.metadata = ClientMetadata([("x", "1")])
    tel = Telemetry()
    out = await run(["tenant", "region"], Signal.LOGS, batch, tel)
    tree = [(Attributes(r.resource.attributes).as_dict(), len(r.scope_logs[0].log_records))
            for r in out.message.resource_logs]
    assert tree == [({"service.name": "svc", "tenant": "acme", "region": "eu"}, 2),
                    ({"service.name": "svc", "tenant": "default"}, 1),
                    ({"service.name": "svc", "tenant": "ecorp"}, 1)]
    assert {k: v for i in items.log_records(out.message) for k, v in i.attributes.items()} == {
        "msg": "m"}
    assert out.metadata == batch.metadata
    labels = {"processor": "groupbyattrs"}
    assert tel.value("otelcol_processor_groupbyattrs_num_grouped_logs_total", labels) == 3
    assert tel.value("otelcol_processor_groupbyattrs_num_non_grouped_logs_total", labels) == 1


def test_duplicate_keys_are_refused() -> None:
    assert GroupByAttrsConfig(keys=["a", "b", "a"]).validate_config() == [
        'keys: "a" is listed more than once']

"""servicegraph: edges from SDK call trees (client/server pairing, database edges, failures),
virtual nodes and counted expiry on a FakeClock, the bounded store."""

from __future__ import annotations

import logging
from typing import Any

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.connectors.servicegraph import factory
from otelpy.connectors.servicegraph.config import ServiceGraphConfig
from otelpy.pdata import Batch
from otelpy.pdata.values import to_value
from otelpy.telemetry import Telemetry
from otelpy.testing.clock import FakeClock
from otelpy.testing.sink import FakeHost, SinkConsumer
from otelpy.testing.spantree import call_tree

LABELS = {"connector": "servicegraph"}


async def started(cfg: dict[str, Any]) -> tuple[Any, SinkConsumer, FakeClock, Telemetry]:
    clock, sink, tel = FakeClock(), SinkConsumer(), Telemetry()
    settings = Settings(ComponentID("servicegraph"), Kind.CONNECTOR, logging.getLogger("t"),
                        tel, clock)
    conn = factory.create(settings, ServiceGraphConfig.model_validate(cfg), Signal.TRACES,
                          Signal.METRICS, sink)
    await conn.start(FakeHost())
    return conn, sink, clock, tel


def series(batch: Batch, name: str) -> dict[tuple[str, str, str, bool], Any]:
    out = {}
    for rm in batch.message.resource_metrics:
        for sm in rm.scope_metrics:
            assert sm.scope.name == "traces_service_graph"
            for m in sm.metrics:
                if m.name != name:
                    continue
                if name.startswith("traces_service_graph_request_c") or name.endswith("server"):
                    assert m.unit == "s"
                for p in getattr(m, m.WhichOneof("data")).data_points:
                    a = {kv.key: to_value(kv.value) for kv in p.attributes}
                    out[(a["client"], a["server"], a["connection_type"], a["failed"])] = p
    return out


async def test_edges_match_the_calls_made() -> None:
    conn, sink, clock, tel = await started({"metrics_flush_interval": "15s"})
    tree = call_tree(21, error_every=7)  # 3 failed calls
    await conn.consume_traces(Batch.from_message(Signal.TRACES, tree.request()))
    await clock.advance(15)
    totals = series(sink.batches[-1], "traces_service_graph_request_total")
    assert {k: p.as_int for k, p in totals.items()} == {
        ("frontend", "backend", "", False): 18,
        ("frontend", "backend", "", True): 3,
        ("backend", "prices", "database", False): 21,
        # root server spans have no client: after store.ttl (2s, checked every 2s) they
        # expire, counted, and become user -> frontend virtual node edges
        ("user", "frontend", "virtual_node", False): 21,
    }
    assert tel.value("otelpy_connector_servicegraph_expired_edges_total", LABELS) == 21
    failed = series(sink.batches[-1], "traces_service_graph_request_failed_total")
    assert {k: p.as_int for k, p in failed.items()} == {("frontend", "backend", "", True): 3}
    server = series(sink.batches[-1], "traces_service_graph_request_server")
    client = series(sink.batches[-1], "traces_service_graph_request_client")
    backend_servers = [s for s in tree.of("backend", "GET /price")]
    ok = [s for s in backend_servers if s.status.status_code.name != "ERROR"]
    point = server[("frontend", "backend", "", False)]
    assert point.count == 18
    assert abs(point.sum - sum((s.end_time - s.start_time) / 1e9 for s in ok)) < 1e-6
    assert list(point.explicit_bounds)[:2] == [0.002, 0.004]
    assert client[("frontend", "backend", "", False)].sum > point.sum  # client waits longer
    await conn.shutdown()


async def test_unanswered_client_calls_the_peer_service_virtual_node() -> None:
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
    from opentelemetry.trace import SpanKind

    from otelpy.testing.spantree import _Memory, provider

    memory = _Memory()
    p = provider("checkout", memory)
    for _ in range(4):
        p.get_tracer("t").start_span("charge", kind=SpanKind.CLIENT,
                                     attributes={"peer.service": "stripe"}).end()
    p.shutdown()
    conn, sink, clock, tel = await started({"metrics_flush_interval": 0,
                                            "virtual_node_extra_label": True,
                                            "store": {"max_items": 3, "ttl": "5s"}})
    await conn.consume_traces(Batch.from_message(Signal.TRACES, encode_spans(memory.spans)))
    assert tel.value("otelpy_connector_servicegraph_dropped_spans_total", LABELS) == 1
    assert sink.batches == []  # nothing paired yet
    await clock.advance(6)
    await conn.consume_traces(Batch.from_message(Signal.TRACES, encode_spans([])))
    totals = series(sink.batches[-1], "traces_service_graph_request_total")
    assert {k: p.as_int for k, p in totals.items()} == {
        ("checkout", "stripe", "virtual_node", False): 3}
    attrs = {kv.key: to_value(kv.value)
             for kv in next(iter(totals.values())).attributes}
    assert attrs["virtual_node"] == "server"
    await conn.shutdown()

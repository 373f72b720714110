"""Batching by client metadata (metadata_keys), and metadata dropped without it."""

from __future__ import annotations

import logging

import pytest

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.errors import PermanentError
from otelpy.pdata import Batch, ClientMetadata
from otelpy.processors.batch import BatchConfig, PartitionedBatchProcessor, factory
from otelpy.telemetry import Telemetry
from otelpy.testing.samples import traces_request
from otelpy.testing.sink import FakeHost, SinkConsumer


def make_settings(tel: Telemetry) -> Settings:
    return Settings(ComponentID("batch"), Kind.PROCESSOR, logging.getLogger("test.batch"), tel)


def spans(n: int, **metadata: str) -> Batch:
    batch = Batch.from_bytes(Signal.TRACES, traces_request(spans=n).SerializeToString())
    batch.metadata = ClientMetadata(metadata.items()) if metadata else None
    return batch


async def test_each_tenant_is_batched_apart_and_sent_with_only_its_keys() -> None:
    tel, sink = Telemetry(), SinkConsumer()
    cfg = BatchConfig(send_batch_size=10, timeout=60, metadata_keys=["X-Tenant"])
    proc = factory.create(make_settings(tel), cfg, Signal.TRACES, sink)
    assert isinstance(proc, PartitionedBatchProcessor)
    await proc.start(FakeHost())
    for tenant in ("acme", "ecorp", "acme", "ecorp", "acme"):
        await proc.consume_traces(spans(4, **{"x-tenant": tenant, "authorization": "secret"}))
    await sink.wait_for_items(12)  # acme reached 12 >= 10; ecorp (8) waits for its timer
    assert proc.shards == 2
    assert sink.sizes() == [12]
    assert dict(sink.batches[0].metadata or {}) == {"x-tenant": ("acme",)}
    await proc.shutdown()  # drains ecorp
    assert sink.sizes() == [12, 8]
    assert sink.batches[1].metadata == ClientMetadata([("X-TENANT", "ecorp")])


async def test_missing_key_is_its_own_combination() -> None:
    sink = SinkConsumer()
    cfg = BatchConfig(send_batch_size=100, timeout=60, metadata_keys=["x-tenant"])
    proc = factory.create(make_settings(Telemetry()), cfg, Signal.TRACES, sink)
    await proc.start(FakeHost())
    await proc.consume_traces(spans(2))
    await proc.consume_traces(spans(3, other="x"))
    await proc.consume_traces(spans(5, **{"x-tenant": "a"}))
    await proc.shutdown()
    got = sorted((b.item_count, sorted(dict(b.metadata or {}).items())) for b in sink.batches)
    assert got == [(5, []), (5, [("x-tenant", ("a",))])]


async def test_past_the_cardinality_limit_new_combinations_are_refused_and_counted() -> None:
    tel, sink = Telemetry(), SinkConsumer()
    cfg = BatchConfig(send_batch_size=100, timeout=60, metadata_keys=["x-tenant"],
                      metadata_cardinality_limit=2)
    proc = factory.create(make_settings(tel), cfg, Signal.TRACES, sink)
    await proc.start(FakeHost())
    await proc.consume_traces(spans(1, **{"x-tenant": "a"}))
    await proc.consume_traces(spans(1, **{"x-tenant": "b"}))
    with pytest.raises(PermanentError, match="too many batcher metadata-value combinations"):
        await proc.consume_traces(spans(7, **{"x-tenant": "c"}))
    await proc.consume_traces(spans(1, **{"x-tenant": "a"}))  # known ones still pass
    await proc.shutdown()
    assert sorted(sink.sizes()) == [1, 2]
    assert tel.value("otelcol_processor_batch_metadata_cardinality_refused_spans_total",
                     {"processor": "batch"}) == 7


async def test_without_metadata_keys_sent_batches_carry_no_metadata() -> None:
    sink = SinkConsumer()
    proc = factory.create(make_settings(Telemetry()), BatchConfig(send_batch_size=2, timeout=60),
                          Signal.TRACES, sink)
    await proc.start(FakeHost())
    await proc.consume_traces(spans(3, **{"x-tenant": "a"}))
    await sink.wait_for_items(3)
    await proc.shutdown()
    assert sink.batches[0].metadata is None


def test_merge_keeps_metadata_only_when_every_part_has_the_same() -> None:
    a, b = spans(1, t="1"), spans(1, t="1")
    assert Batch.merge(Signal.TRACES, [a, b]).metadata == ClientMetadata([("T", "1")])
    assert Batch.merge(Signal.TRACES, [a, spans(1, t="2")]).metadata is None
    assert Batch.merge(Signal.TRACES, [a, spans(1)]).metadata is None
    assert a.copy().metadata == a.metadata
    assert all(p.metadata == a.metadata for p in spans(5, t="1").split(2))


def test_client_metadata_is_case_insensitive_and_multi_valued() -> None:
    md = ClientMetadata([("X-Tenant", "a"), ("x-tenant", "b"), ("Accept", "json")])
    assert md["X-TENANT"] == ("a", "b")
    assert md.first("x-tenant") == "a" and md.first("nope") is None
    assert "ACCEPT" in md and len(md) == 2
    assert md.subset(["X-Tenant", "missing"]) == ClientMetadata([("x-tenant", "a"),
                                                                  ("x-tenant", "b")])
    grpc_md = ClientMetadata.from_grpc([("x-k", "v"), ("trace-bin", b"\x00"), (":path", "/")])
    assert dict(grpc_md) == {"x-k": ("v",)}

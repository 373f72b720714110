"""The forward connector hands batches on unchanged and raises refusals back."""

from __future__ import annotations

import logging

import pytest

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.config.types import EmptyConfig
from otelpy.connectors.forward import ForwardConnector, factory
from otelpy.consumer import Consumer, FanOut
from otelpy.errors import RetryableError
from otelpy.pdata import Batch
from otelpy.telemetry import Telemetry
from otelpy.testing.samples import logs_request, metrics_request, traces_request
from otelpy.testing.sink import FakeHost, SinkConsumer

SAMPLES = {
    Signal.TRACES: lambda: traces_request(spans=9),
    Signal.METRICS: lambda: metrics_request(points=6),
    Signal.LOGS: lambda: logs_request(records=4),
}


def create(signal: Signal, nxt: Consumer) -> ForwardConnector:
    settings = Settings(ComponentID("forward"), Kind.CONNECTOR, logging.getLogger("t"),
                        Telemetry())
    comp = factory.create(settings, EmptyConfig(), signal, signal, nxt)
    assert isinstance(comp, ForwardConnector)
    return comp


@pytest.mark.parametrize("signal", list(Signal), ids=[s.value for s in Signal])
async def test_forwards_each_signal_unchanged_to_every_target(signal: Signal) -> None:
    a, b = SinkConsumer(), SinkConsumer()
    conn = create(signal, FanOut([a, b]))
    await conn.start(FakeHost())
    batch = Batch.from_bytes(signal, SAMPLES[signal]().SerializeToString())
    await conn.consume(batch)
    assert a.batches == [batch] and b.batches == [batch]  # same object, no copy
    assert a.items[signal] == batch.item_count > 0
    await conn.shutdown()
    await conn.shutdown()


async def test_refusal_from_target_pipeline_reaches_the_source() -> None:
    sink = SinkConsumer()
    sink.fail_next(1, RetryableError("target busy", retry_after=2.0))
    conn = create(Signal.TRACES, sink)
    batch = Batch.from_bytes(Signal.TRACES, traces_request(spans=3).SerializeToString())
    with pytest.raises(RetryableError) as info:
        await conn.consume_traces(batch)
    assert info.value.retry_after == 2.0
    await conn.consume_traces(batch)
    assert sink.sizes() == [3]


def test_factory_supports_same_signal_pairs_only() -> None:
    assert factory.kind is Kind.CONNECTOR and factory.type == "forward"
    assert set(factory.stability) == {"traces->traces", "metrics->metrics", "logs->logs"}
    assert factory.supports_pair(Signal.LOGS, Signal.LOGS)
    assert not factory.supports_pair(Signal.TRACES, Signal.METRICS)
    assert isinstance(factory.default_config(), EmptyConfig)
    assert ForwardConnector.capabilities.mutates_data is False
    with pytest.raises(ValueError, match="traces to metrics"):
        factory.create(Settings(ComponentID("forward"), Kind.CONNECTOR, logging.getLogger("t"),
                                Telemetry()), EmptyConfig(), Signal.TRACES, Signal.METRICS,
                       SinkConsumer())

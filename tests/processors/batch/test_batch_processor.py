"""The batch processor with real asyncio timing: sizes, order, splits, timer, shutdown,
backpressure and its own metrics."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.errors import PermanentError, RetryableError
from otelpy.pdata import Batch
from otelpy.processors.batch import BatchConfig, BatchProcessor, factory
from otelpy.telemetry import Telemetry
from otelpy.testing.polling import until
from otelpy.testing.samples import logs_request, metrics_request, traces_request
from otelpy.testing.sink import FakeHost, SinkConsumer

BASE_NS = 1_700_000_000_000_000_000
LABELS = {"processor": "batch"}


def make_settings(tel: Telemetry) -> Settings:
    return Settings(ComponentID("batch"), Kind.PROCESSOR, logging.getLogger("test.batch"), tel)


class Spans:
    """Trace batches whose spans have consecutive start times (1 ms apart)."""

    def __init__(self) -> None:
        self.next = 0

    def batch(self, n: int) -> Batch:
        req = traces_request(spans=n, seed=self.next, start_ns=BASE_NS + self.next * 1_000_000)
        self.next += n
        return Batch.from_bytes(Signal.TRACES, req.SerializeToString())


def start_times(batches: list[Batch]) -> list[int]:
    return [(s.start_time_unix_nano - BASE_NS) // 1_000_000
            for b in batches for rs in b.message.resource_spans
            for ss in rs.scope_spans for s in ss.spans]


async def started(cfg: BatchConfig, sink: SinkConsumer, tel: Telemetry,
                  signal: Signal = Signal.TRACES, **kw: float) -> BatchProcessor:
    proc = BatchProcessor(make_settings(tel), cfg, signal, sink, **kw)
    await proc.start(FakeHost())
    return proc


async def test_size_trigger_sends_one_merged_batch_of_the_inputs_in_order() -> None:
    tel, sink, spans = Telemetry(), SinkConsumer(), Spans()
    proc = await started(BatchConfig(send_batch_size=1000, timeout=10), sink, tel)
    inputs = [spans.batch(300) for _ in range(4)]
    for b in inputs[:3]:
        await proc.consume_traces(b)
    await asyncio.sleep(0.02)
    assert sink.batches == []  # 900 < 1000 and the timeout is far
    await proc.consume_traces(inputs[3])
    await sink.wait_for_items(1200)
    assert sink.sizes() == [1200]
    assert sink.batches[0].data == b"".join(b.data for b in inputs)
    assert start_times(sink.batches) == list(range(1200))
    assert tel.value("otelcol_processor_batch_batch_size_trigger_send_total", LABELS) == 1
    assert tel.value("otelcol_processor_batch_timeout_trigger_send_total", LABELS) == 0
    assert tel.value("otelcol_processor_batch_batch_send_size_sum", LABELS) == 1200
    await proc.shutdown()


async def test_timeout_sends_what_is_buffered() -> None:
    tel, sink, spans = Telemetry(), SinkConsumer(), Spans()
    proc = await started(BatchConfig(send_batch_size=10_000, timeout=0.02), sink, tel)
    t0 = time.monotonic()
    await proc.consume_traces(spans.batch(5))
    await proc.consume_traces(spans.batch(7))
    await sink.wait_for_items(12, within=10.0)  # the timer fired (10,000 is never reached)
    assert time.monotonic() - t0 >= 0.015
    assert sink.sizes() == [12]
    assert start_times(sink.batches) == list(range(12))
    assert tel.value("otelcol_processor_batch_timeout_trigger_send_total", LABELS) == 1
    assert tel.value("otelcol_processor_batch_batch_size_trigger_send_total", LABELS) == 0
    # the timer starts again with the next batch, not before
    await asyncio.sleep(0.05)
    await proc.consume_traces(spans.batch(3))
    t1 = time.monotonic()
    await sink.wait_for_items(15, within=10.0)
    assert time.monotonic() - t1 >= 0.015
    assert sink.sizes() == [12, 3]
    await proc.shutdown()


async def test_max_size_splits_everything_sent_and_keeps_order() -> None:
    tel, sink, spans = Telemetry(), SinkConsumer(), Spans()
    proc = await started(BatchConfig(send_batch_size=100, send_batch_max_size=150, timeout=10),
                         sink, tel)
    await proc.consume_traces(spans.batch(400))
    await sink.wait_for_items(400)
    assert sink.sizes() == [150, 150, 100]
    assert start_times(sink.batches) == list(range(400))
    assert tel.value("otelcol_processor_batch_batch_size_trigger_send_total", LABELS) == 3
    await proc.shutdown()


async def test_split_remainder_below_send_batch_size_waits_for_the_timer() -> None:
    tel, sink, spans = Telemetry(), SinkConsumer(), Spans()
    proc = await started(BatchConfig(send_batch_size=100, send_batch_max_size=150,
                                     timeout=0.03), sink, tel)
    await proc.consume_traces(spans.batch(230))
    await sink.wait_for_items(150)
    assert sink.sizes() == [150]
    assert proc.pending_items == 80
    await sink.wait_for_items(230)
    assert sink.sizes() == [150, 80]
    assert start_times(sink.batches) == list(range(230))
    assert tel.value("otelcol_processor_batch_batch_size_trigger_send_total", LABELS) == 1
    assert tel.value("otelcol_processor_batch_timeout_trigger_send_total", LABELS) == 1
    await proc.shutdown()


async def test_many_small_batches_with_max_size_keep_order_and_bound() -> None:
    tel, sink, spans = Telemetry(), SinkConsumer(delay=0.001), Spans()
    proc = await started(BatchConfig(send_batch_size=20, send_batch_max_size=25, timeout=0.02),
                         sink, tel)
    for _ in range(50):
        await proc.consume_traces(spans.batch(7))
    await sink.wait_for_items(350)
    assert max(sink.sizes()) <= 25
    assert sum(sink.sizes()) == 350
    assert start_times(sink.batches) == list(range(350))
    await proc.shutdown()


async def test_max_size_groups_whole_batches_and_splits_only_oversize_ones() -> None:
    tel, sink, spans = Telemetry(), SinkConsumer(), Spans()
    sink.hold()
    proc = await started(BatchConfig(send_batch_size=10, send_batch_max_size=100, timeout=60),
                         sink, tel)
    await proc.consume_traces(spans.batch(10))  # exported at once, held downstream
    await until(lambda: sink.in_flight == 1, what="the first export to be in flight")
    inputs = [spans.batch(n) for n in (40, 40, 30, 120)]  # 230 < pending limit 200 + 120
    for b in inputs:
        await proc.consume_traces(b)
    sink.release()
    await sink.wait_for_items(240)
    # 40+40 fit (30 more would not); 30 alone; 120 -> 100, 20
    assert sink.sizes() == [10, 80, 30, 100, 20]
    assert sink.batches[1].data == inputs[0].data + inputs[1].data  # whole, not re-split
    assert start_times(sink.batches) == list(range(240))
    await proc.shutdown()


@pytest.mark.parametrize(
    ("signal", "make"),
    [(Signal.METRICS, lambda n: metrics_request(points=n)),
     (Signal.LOGS, lambda n: logs_request(records=n))],
    ids=["metrics", "logs"])
async def test_other_signals_batch_by_their_items(signal: Signal, make: object) -> None:
    tel, sink = Telemetry(), SinkConsumer()
    proc = await started(BatchConfig(send_batch_size=50, send_batch_max_size=60, timeout=0.02),
                         sink, tel, signal)
    inputs = [Batch.from_bytes(signal, make(30).SerializeToString())  # type: ignore[operator]
              for _ in range(3)]
    consume = proc.consume_metrics if signal is Signal.METRICS else proc.consume_logs
    for b in inputs:
        await consume(b)
    await sink.wait_for_items(90, signal)
    assert sink.sizes(signal) == [60, 30]
    assert all(b.signal is signal for b in sink.batches)
    await proc.shutdown()


async def test_zero_timeout_sends_without_waiting() -> None:
    tel, sink, spans = Telemetry(), SinkConsumer(), Spans()
    proc = await started(BatchConfig(timeout=0, send_batch_max_size=8192), sink, tel)
    await proc.consume_traces(spans.batch(10))
    await sink.wait_for_items(10, within=0.05)
    await proc.consume_traces(spans.batch(10))
    await sink.wait_for_items(20, within=0.05)
    assert sink.sizes() == [10, 10]
    await proc.shutdown()


async def test_shutdown_sends_what_is_buffered_and_is_idempotent() -> None:
    tel, sink, spans = Telemetry(), SinkConsumer(), Spans()
    proc = await started(BatchConfig(send_batch_size=10_000, timeout=60), sink, tel)
    for _ in range(3):
        await proc.consume_traces(spans.batch(11))
    assert sink.batches == []
    await proc.shutdown()
    assert sink.sizes() == [33]
    assert start_times(sink.batches) == list(range(33))
    await proc.shutdown()
    assert sink.sizes() == [33]
    # after shutdown, data goes straight through (and a refusal is raised to the caller)
    await proc.consume_traces(spans.batch(4))
    assert sink.sizes() == [33, 4]
    sink.fail_next(1, RetryableError("down"))
    with pytest.raises(RetryableError):
        await proc.consume_traces(spans.batch(4))


async def test_shutdown_without_start_sends_buffered_data() -> None:
    tel, sink, spans = Telemetry(), SinkConsumer(), Spans()
    proc = BatchProcessor(make_settings(tel), BatchConfig(), Signal.TRACES, sink)
    await proc.consume_traces(spans.batch(5))
    await proc.shutdown()
    assert sink.sizes() == [5]
    await proc.shutdown()


async def test_shutdown_is_bounded_when_downstream_hangs() -> None:
    tel, sink, spans = Telemetry(), SinkConsumer(), Spans()
    sink.hold()
    proc = await started(BatchConfig(send_batch_size=10, timeout=60), sink, tel,
                         shutdown_timeout=0.1)
    await proc.consume_traces(spans.batch(10))  # taken by the flusher, stuck downstream
    await proc.consume_traces(spans.batch(6))   # stays buffered
    await until(lambda: sink.in_flight == 1, what="the first export to be in flight")
    t0 = time.monotonic()
    await proc.shutdown()
    assert time.monotonic() - t0 < 5.0  # bounded (shutdown_timeout 0.1 s), not held forever
    assert sink.batches == []
    assert tel.value("otelcol_processor_dropped_spans_total", LABELS) == 16


async def test_full_buffer_makes_consume_wait_for_the_export_in_flight() -> None:
    tel, sink, spans = Telemetry(), SinkConsumer(), Spans()
    sink.hold()
    proc = await started(BatchConfig(send_batch_size=10, timeout=60), sink, tel)
    assert proc.pending_limit == 20
    await proc.consume_traces(spans.batch(5))
    await proc.consume_traces(spans.batch(5))  # size trigger: flusher exports 10, held
    await until(lambda: sink.in_flight == 1, what="the export to be in flight")
    assert proc.pending_items == 0
    for _ in range(4):
        await proc.consume_traces(spans.batch(5))  # buffered: 20 items
    assert proc.pending_items == 20
    blocked = asyncio.ensure_future(proc.consume_traces(spans.batch(5)))
    await asyncio.sleep(0.05)
    assert not blocked.done()
    assert proc.pending_items == 20  # not accepted yet: the bound holds
    sink.release()
    await asyncio.wait_for(blocked, 10.0)
    await sink.wait_for_items(30)
    assert proc.pending_items == 5  # below send_batch_size: waits for the timer
    await proc.shutdown()
    assert sink.sizes() == [10, 20, 5]
    assert start_times(sink.batches) == list(range(35))


async def test_downstream_refusal_is_counted_not_raised() -> None:
    tel, sink, spans = Telemetry(), SinkConsumer(), Spans()
    proc = await started(BatchConfig(send_batch_size=10, timeout=60), sink, tel)
    sink.fail_next(1, PermanentError("rejected"))
    await proc.consume_traces(spans.batch(10))  # accepted; the export fails later
    await until(lambda: tel.value("otelcol_processor_dropped_spans_total", LABELS) == 10,
                what="the refused export to be counted")
    await proc.consume_traces(spans.batch(12))
    await sink.wait_for_items(12)
    assert sink.sizes() == [12]
    await proc.shutdown()


async def test_flusher_survives_an_unexpected_downstream_exception() -> None:
    tel, spans = Telemetry(), Spans()
    sink = SinkConsumer()
    sink.fail_next(1, RuntimeError("bug downstream"))
    proc = await started(BatchConfig(send_batch_size=1, timeout=60), sink, tel)
    await proc.consume_traces(spans.batch(3))
    await until(lambda: tel.value("otelcol_processor_dropped_spans_total", LABELS) == 3,
                what="the failed export to be counted")
    await proc.consume_traces(spans.batch(4))
    await sink.wait_for_items(4)
    assert sink.sizes() == [4]
    assert tel.value("otelcol_processor_dropped_spans_total", LABELS) == 3
    await proc.shutdown()


def test_factory_and_defaults() -> None:
    cfg = factory.default_config()
    assert isinstance(cfg, BatchConfig)
    assert (cfg.send_batch_size, cfg.timeout, cfg.send_batch_max_size) == (8192, 0.2, 0)
    assert cfg.validate_config() == []
    assert factory.kind is Kind.PROCESSOR and factory.type == "batch"
    assert set(factory.stability) == {"traces", "metrics", "logs"}
    assert BatchConfig.model_validate({"timeout": "1s"}).timeout == 1.0


@pytest.mark.parametrize(
    ("raw", "needle"),
    [({"send_batch_size": 100, "send_batch_max_size": 50}, "send_batch_max_size (50)"),
     ({"metadata_keys": ["tenant"]}, None),
     ({"send_batch_size": 10, "send_batch_max_size": 10}, None),
     ({"send_batch_size": 10_000, "send_batch_max_size": 0}, None)],
    ids=["max-below-size", "metadata-keys-ok", "max-equal-size", "max-unset"])
def test_validate_config(raw: dict[str, object], needle: str | None) -> None:
    problems = BatchConfig.model_validate(raw).validate_config()
    if needle is None:
        assert problems == []
    else:
        assert len(problems) == 1 and needle in problems[0]

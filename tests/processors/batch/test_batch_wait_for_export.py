"""``wait_for_export: true``: callers are answered only once their data was accepted
downstream, refusals reach them, and with a persistent queue the data is on disk then."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import pytest

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.errors import PermanentError, RetryableError
from otelpy.exporterhelper import ExporterHelper, QueueSettings, RetrySettings
from otelpy.extensions.file_storage import FileStorageConfig, FileStorageExtension
from otelpy.pdata import Batch
from otelpy.processors.batch import BatchConfig, WaitingBatchProcessor, factory
from otelpy.storage import log_directory
from otelpy.storage.inspect import check_log
from otelpy.telemetry import Telemetry
from otelpy.testing.polling import until
from otelpy.testing.samples import traces_request
from otelpy.testing.sink import FakeHost, SinkConsumer

LABELS = {"processor": "batch"}
BATCH_ID = ComponentID("batch")


def settings(tel: Telemetry, cid: ComponentID = BATCH_ID,
             kind: Kind = Kind.PROCESSOR) -> Settings:
    return Settings(cid, kind, logging.getLogger(f"test.{cid}"), tel)


def spans(n: int, seed: int = 0) -> Batch:
    return Batch.from_bytes(Signal.TRACES, traces_request(n, seed=seed).SerializeToString())


async def started(sink: SinkConsumer, tel: Telemetry, **cfg: object) -> WaitingBatchProcessor:
    proc = factory.create(settings(tel), BatchConfig(wait_for_export=True, **cfg),  # type: ignore[arg-type]
                          Signal.TRACES, sink)
    assert isinstance(proc, WaitingBatchProcessor)
    await proc.start(FakeHost())
    return proc


async def test_consume_returns_after_the_next_consumer_accepted() -> None:
    tel, sink = Telemetry(), SinkConsumer()
    sink.hold()
    proc = await started(sink, tel, send_batch_size=1, timeout="1s")
    call = asyncio.create_task(proc.consume_traces(spans(5)))
    await until(lambda: sink.in_flight == 1, what="the export to be in flight")
    assert not call.done()
    sink.release()
    await asyncio.wait_for(call, 10)
    assert sink.sizes() == [5]
    await proc.shutdown()


async def test_concurrent_callers_share_one_export() -> None:
    tel, sink = Telemetry(), SinkConsumer()
    proc = await started(sink, tel, send_batch_size=30, timeout="10s")
    inputs = [spans(10, seed=i) for i in range(3)]
    await asyncio.wait_for(asyncio.gather(*(proc.consume_traces(b) for b in inputs)), 10)
    assert sink.calls == 1 and sink.sizes() == [30]
    assert sink.batches[0].data == b"".join(b.data for b in inputs)
    assert tel.value("otelcol_processor_batch_batch_size_trigger_send_total", LABELS) == 1
    await proc.shutdown()


async def test_timeout_trigger_answers_a_lone_caller() -> None:
    tel, sink = Telemetry(), SinkConsumer()
    proc = await started(sink, tel, send_batch_size=1000, timeout="50ms")
    start = time.monotonic()
    await asyncio.wait_for(proc.consume_traces(spans(3)), 10)  # 1000 is never reached
    assert time.monotonic() - start >= 0.04
    assert sink.sizes() == [3]
    await proc.shutdown()


@pytest.mark.parametrize("error", [RetryableError("backend down", retry_after=2),
                                   PermanentError("rejected")], ids=["retryable", "permanent"])
async def test_refusal_reaches_every_caller_of_the_batch(error: Exception) -> None:
    tel, sink = Telemetry(), SinkConsumer()
    sink.fail_next(1, error)
    proc = await started(sink, tel, send_batch_size=20, timeout="10s")
    results = await asyncio.gather(proc.consume_traces(spans(10)),
                                   proc.consume_traces(spans(10, seed=1)),
                                   return_exceptions=True)
    assert results == [error, error]
    assert tel.value("otelcol_processor_dropped_spans_total", LABELS) == 0
    await proc.consume_traces(spans(20, seed=2))  # the next one goes through
    assert sink.sizes() == [20]
    await proc.shutdown()


async def test_split_batch_waits_for_all_its_pieces() -> None:
    tel, sink = Telemetry(), SinkConsumer()
    proc = await started(sink, tel, send_batch_size=10, send_batch_max_size=10, timeout="10s")
    await asyncio.wait_for(proc.consume_traces(spans(25)), 10)
    assert sorted(sink.sizes()) == [5, 10, 10]
    sink.fail_next(1, RetryableError("one piece refused"))
    with pytest.raises(RetryableError, match="one piece refused"):
        await proc.consume_traces(spans(25, seed=1))
    await proc.shutdown()


async def test_shutdown_flushes_waiting_callers() -> None:
    tel, sink = Telemetry(), SinkConsumer()
    proc = await started(sink, tel, send_batch_size=1000, timeout="10s")
    calls = [asyncio.create_task(proc.consume_traces(spans(4, seed=i))) for i in range(3)]
    await asyncio.sleep(0.02)
    assert not any(c.done() for c in calls)
    await proc.shutdown()
    await asyncio.wait_for(asyncio.gather(*calls), 10)
    assert sink.total() == 12


async def test_shutdown_timeout_refuses_instead_of_dropping() -> None:
    tel, sink = Telemetry(), SinkConsumer()
    sink.hold()
    proc = WaitingBatchProcessor(settings(tel), BatchConfig(wait_for_export=True,
                                                            send_batch_size=1), Signal.TRACES,
                                 sink, shutdown_timeout=0.1)
    await proc.start(FakeHost())
    call = asyncio.create_task(proc.consume_traces(spans(6)))
    await until(lambda: sink.in_flight == 1, what="the export to be in flight")
    await proc.shutdown()
    with pytest.raises(RetryableError, match="stopped before the export finished"):
        await call
    assert tel.value("otelcol_processor_dropped_spans_total", LABELS) == 0


async def test_with_a_persistent_queue_the_data_is_on_disk_when_consume_returns(
        tmp_path: Path) -> None:
    tel = Telemetry()
    storage_id = ComponentID("file_storage")
    ext = FileStorageExtension(settings(tel, storage_id, Kind.EXTENSION),
                               FileStorageConfig(directory=str(tmp_path)))
    host = FakeHost(extensions={storage_id: ext})
    await ext.start(host)
    exporter_id = ComponentID("otlphttp")
    gate = asyncio.Event()

    async def send(batch: Batch) -> None:
        await gate.wait()  # the backend is unreachable for now

    exporter = ExporterHelper(settings(tel, exporter_id, Kind.EXPORTER), [Signal.TRACES],
                              QueueSettings(storage="file_storage"), RetrySettings(), 5.0, send)
    await exporter.start(host)
    proc = factory.create(settings(tel), BatchConfig(wait_for_export=True, send_batch_size=30),
                          Signal.TRACES, exporter)
    await proc.start(host)
    await asyncio.gather(*(proc.consume_traces(spans(10, seed=i)) for i in range(3)))
    report = await asyncio.to_thread(check_log, log_directory(tmp_path, "otlphttp", "traces"))
    assert (report.records, report.pending, report.corrupt) == (1, 1, 0)
    gate.set()
    await proc.shutdown()
    await exporter.shutdown()
    await ext.shutdown()
    assert tel.value("otelcol_exporter_sent_spans_total", {"exporter": "otlphttp"}) == 30

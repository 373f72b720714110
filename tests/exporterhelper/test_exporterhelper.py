"""ExporterHelper: queueing, overflow, retries, timeouts, shutdown draining, self-metrics."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.errors import PermanentError, RetryableError
from otelpy.exporterhelper import (
    ExporterHelper,
    QueueSettings,
    RetriesExhausted,
    RetrySettings,
)
from otelpy.pdata import Batch
from otelpy.telemetry import Telemetry
from otelpy.testing.polling import until
from otelpy.testing.samples import logs_request, traces_request
from otelpy.testing.sink import FakeHost

ID = ComponentID("otlphttp", "test")
LABELS = {"exporter": "otlphttp/test"}


def spans(n: int, seed: int = 0) -> Batch:
    return Batch.from_bytes(Signal.TRACES, traces_request(n, seed=seed).SerializeToString())


class Backend:
    """A scripted ``send``: records attempts, fails from a script, can be held shut."""

    def __init__(self) -> None:
        self.attempts: list[tuple[float, Batch]] = []
        self.delivered: list[Batch] = []
        self.script: list[Exception] = []
        self.always: Exception | None = None
        self.gate = asyncio.Event()
        self.gate.set()
        self.hang = False

    async def send(self, batch: Batch) -> None:
        self.attempts.append((time.monotonic(), batch))
        if self.hang:
            await asyncio.Event().wait()
        await self.gate.wait()
        if self.script:
            raise self.script.pop(0)
        if self.always is not None:
            raise self.always
        self.delivered.append(batch)


def make(backend: Backend, telemetry: Telemetry, *, queue: dict | None = None,
         retry: dict | None = None, timeout: float = 5.0,
         signals: tuple[Signal, ...] = (Signal.TRACES,)) -> ExporterHelper:
    settings = Settings(ID, Kind.EXPORTER, logging.getLogger("otelpy.test.exporter"), telemetry)
    return ExporterHelper(settings, signals, QueueSettings(**(queue or {})),
                          RetrySettings(**(retry or {})), timeout, backend.send)


def value(tel: Telemetry, name: str) -> float:
    return tel.value(name, LABELS)


async def test_queue_full_blocks_caller_then_proceeds() -> None:
    tel, be = Telemetry(), Backend()
    be.gate.clear()
    ex = make(be, tel, queue={"queue_size": 2, "num_consumers": 1})
    await ex.start(FakeHost())
    batches = [spans(10, seed=i) for i in range(4)]
    await ex.consume_traces(batches[0])
    await until(lambda: len(be.attempts) == 1)  # taken by the worker, in flight
    await ex.consume_traces(batches[1])
    await ex.consume_traces(batches[2])
    assert ex.queue_size == 2
    assert value(tel, "otelcol_exporter_queue_size") == 2
    blocked = asyncio.create_task(ex.consume_traces(batches[3]))
    await asyncio.sleep(0.05)
    assert not blocked.done(), "a full queue with overflow=block must make the caller wait"
    be.gate.set()
    await asyncio.wait_for(blocked, 1)
    await until(lambda: len(be.delivered) == 4)
    assert [b.data for b in be.delivered] == [b.data for b in batches]  # FIFO with 1 consumer
    assert value(tel, "otelcol_exporter_sent_spans_total") == 40
    assert value(tel, "otelcol_exporter_enqueue_failed_spans_total") == 0
    await ex.shutdown()


async def test_drop_newest_counts_and_logs_once(caplog: pytest.LogCaptureFixture) -> None:
    tel, be = Telemetry(), Backend()
    be.gate.clear()
    ex = make(be, tel, queue={"queue_size": 1, "num_consumers": 1, "overflow": "drop_newest"})
    await ex.start(FakeHost())
    await ex.consume_traces(spans(5))
    await until(lambda: len(be.attempts) == 1)
    await ex.consume_traces(spans(6))  # fills the queue
    with caplog.at_level(logging.WARNING, "otelpy.test.exporter"):
        for _ in range(3):
            await asyncio.wait_for(ex.consume_traces(spans(7)), 0.5)  # returns at once
    assert value(tel, "otelcol_exporter_enqueue_failed_spans_total") == 21
    full = [r for r in caplog.records if "sending_queue is full" in r.getMessage()]
    assert len(full) == 1 and "dropped 7 spans" in full[0].getMessage()
    be.gate.set()
    await until(lambda: value(tel, "otelcol_exporter_sent_spans_total") == 11)
    await ex.shutdown()


async def test_block_on_overflow_false_is_drop_newest() -> None:
    tel, be = Telemetry(), Backend()
    be.gate.clear()
    ex = make(be, tel, queue={"queue_size": 1, "num_consumers": 1, "block_on_overflow": False})
    await ex.start(FakeHost())
    for n in (1, 2, 3):
        await asyncio.wait_for(ex.consume_traces(spans(n)), 0.5)
        await until(lambda: len(be.attempts) == 1)
    assert value(tel, "otelcol_exporter_enqueue_failed_spans_total") == 3
    be.gate.set()
    await ex.shutdown()
    assert value(tel, "otelcol_exporter_sent_spans_total") == 3


async def test_retry_after_is_used_as_next_delay() -> None:
    tel, be = Telemetry(), Backend()
    be.script = [RetryableError("busy", retry_after=0.1)]
    # backoff alone would wait ~10 s: finishing quickly proves the hint was used
    ex = make(be, tel, queue={"enabled": False}, retry={"initial_interval": "10s"})
    await asyncio.wait_for(ex.consume_traces(spans(3)), 2)
    assert len(be.attempts) == 2
    gap = be.attempts[1][0] - be.attempts[0][0]
    assert 0.09 <= gap < 1.0
    assert value(tel, "otelcol_exporter_sent_spans_total") == 3
    assert value(tel, "otelcol_exporter_send_failed_spans_total") == 0


async def test_backoff_grows_with_multiplier_and_jitter_bounds() -> None:
    tel, be = Telemetry(), Backend()
    be.script = [RetryableError("down")] * 3
    ex = make(be, tel, queue={"enabled": False},
              retry={"initial_interval": "20ms", "multiplier": 2, "randomization_factor": 0})
    await asyncio.wait_for(ex.consume_traces(spans(1)), 2)
    times = [t for t, _ in be.attempts]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert len(gaps) == 3
    for gap, expected in zip(gaps, (0.02, 0.04, 0.08), strict=True):
        assert expected * 0.9 <= gap < expected + 0.1
    policy = ex.retry
    policy.cfg = RetrySettings(randomization_factor=0.5)
    samples = [policy.backoff(10.0) for _ in range(200)]
    assert 5.0 <= min(samples) and max(samples) <= 15.0 and len(set(samples)) > 100


async def test_permanent_error_is_not_retried() -> None:
    tel, be = Telemetry(), Backend()
    be.always = PermanentError("bad request")
    ex = make(be, tel, queue={"enabled": False}, retry={"initial_interval": "1ms"})
    with pytest.raises(PermanentError, match="bad request"):
        await ex.consume_traces(spans(4))
    assert len(be.attempts) == 1
    assert value(tel, "otelcol_exporter_send_failed_spans_total") == 4

    queued = make(be, Telemetry(), retry={"initial_interval": "1ms"})
    await queued.start(FakeHost())
    await queued.consume_traces(spans(4))
    await until(lambda: queued.metrics.telemetry.value(
        "otelcol_exporter_send_failed_spans_total", LABELS) == 4)
    assert len(be.attempts) == 2  # one more attempt, no retries
    await queued.shutdown()


async def test_max_elapsed_time_gives_up_and_counts(caplog: pytest.LogCaptureFixture) -> None:
    tel, be = Telemetry(), Backend()
    be.always = RetryableError("unavailable")
    retry = {"initial_interval": "10ms", "max_interval": "20ms", "max_elapsed_time": "150ms"}
    ex = make(be, tel, queue={"enabled": False}, retry=retry)
    start = time.monotonic()
    with pytest.raises(RetriesExhausted, match="no more retries left"):
        await ex.consume_traces(spans(2))
    took = time.monotonic() - start
    assert 0.1 <= took < 5.0  # waited max_elapsed_time, then gave up
    assert len(be.attempts) >= 4
    assert value(tel, "otelcol_exporter_send_failed_spans_total") == 2

    tel2 = Telemetry()
    queued = make(be, tel2, retry=retry)
    await queued.start(FakeHost())
    with caplog.at_level(logging.WARNING, "otelpy.test.exporter"):
        await queued.consume_traces(spans(8))
        await until(lambda: tel2.value("otelcol_exporter_send_failed_spans_total", LABELS) == 8)
    assert any("dropping 8 spans" in r.getMessage() for r in caplog.records)
    await queued.shutdown()


async def test_timeout_per_attempt_is_retryable() -> None:
    tel, be = Telemetry(), Backend()
    be.hang = True
    ex = make(be, tel, queue={"enabled": False}, retry={"enabled": False}, timeout=0.05)
    with pytest.raises(RetryableError, match="timed out after 0.05s"):
        await asyncio.wait_for(ex.consume_traces(spans(1)), 1)
    assert value(tel, "otelcol_exporter_send_failed_spans_total") == 1


async def test_shutdown_drains_queue() -> None:
    tel, be = Telemetry(), Backend()
    be.gate.clear()
    ex = make(be, tel, queue={"num_consumers": 2})
    await ex.start(FakeHost())
    for i in range(6):
        await ex.consume_traces(spans(10, seed=i))
    asyncio.get_running_loop().call_later(0.05, be.gate.set)
    await ex.shutdown()
    assert len(be.delivered) == 6
    assert value(tel, "otelcol_exporter_sent_spans_total") == 60
    assert ex.dropped_at_shutdown[Signal.TRACES] == 0


async def test_shutdown_bounded_reports_exact_drops(caplog: pytest.LogCaptureFixture) -> None:
    tel, be = Telemetry(), Backend()
    be.hang = True
    ex = make(be, tel, queue={"num_consumers": 1})
    await ex.start(FakeHost())
    for n in (3, 4, 5):
        await ex.consume_traces(spans(n))
    await until(lambda: len(be.attempts) == 1)
    start = time.monotonic()
    with caplog.at_level(logging.WARNING, "otelpy.test.exporter"):
        await ex.shutdown(drain_timeout=0.1)
    assert time.monotonic() - start < 5.0  # bounded by the drain timeout, not the hang
    assert ex.dropped_at_shutdown[Signal.TRACES] == 12
    assert value(tel, "otelcol_exporter_send_failed_spans_total") == 12
    assert value(tel, "otelcol_exporter_sent_spans_total") == 0
    lines = [r.getMessage() for r in caplog.records if "shutdown dropped" in r.getMessage()]
    assert lines == ["shutdown dropped 12 spans (not delivered while draining; "
                     "drain_timeout 0.1s)"]
    await ex.shutdown()  # idempotent


async def test_shutdown_wakes_waiting_retries_promptly() -> None:
    tel, be = Telemetry(), Backend()
    be.script = [RetryableError("throttled", retry_after=60)]
    ex = make(be, tel, queue={"num_consumers": 1})
    await ex.start(FakeHost())
    await ex.consume_traces(spans(9))
    await until(lambda: len(be.attempts) == 1)
    start = time.monotonic()
    await ex.shutdown(drain_timeout=30)
    assert time.monotonic() - start < 10  # woken, not left to wait out the drain timeout
    assert ex.dropped_at_shutdown[Signal.TRACES] == 9
    assert value(tel, "otelcol_exporter_send_failed_spans_total") == 9


async def test_blocked_producer_is_refused_at_shutdown() -> None:
    tel, be = Telemetry(), Backend()
    be.hang = True
    ex = make(be, tel, queue={"num_consumers": 1, "queue_size": 1})
    await ex.start(FakeHost())
    await ex.consume_traces(spans(1))
    await until(lambda: len(be.attempts) == 1)
    await ex.consume_traces(spans(2))
    blocked = asyncio.create_task(ex.consume_traces(spans(3)))
    await asyncio.sleep(0.02)
    await ex.shutdown(drain_timeout=0.05)
    with pytest.raises(RetryableError, match="shutting down"):
        await blocked
    assert value(tel, "otelcol_exporter_enqueue_failed_spans_total") == 3
    assert ex.dropped_at_shutdown[Signal.TRACES] == 3
    with pytest.raises(RetryableError):
        await ex.consume_traces(spans(4))


async def test_signal_not_configured_is_permanent() -> None:
    ex = make(Backend(), Telemetry(), queue={"enabled": False})
    batch = Batch.from_bytes(Signal.LOGS, logs_request(3).SerializeToString())
    with pytest.raises(PermanentError, match="does not export logs"):
        await ex.consume_logs(batch)


async def test_self_metric_names_in_exposition() -> None:
    tel, be = Telemetry(), Backend()
    ex = make(be, tel, queue={"queue_size": 77},
              signals=(Signal.TRACES, Signal.METRICS, Signal.LOGS))
    await ex.start(FakeHost())
    await ex.consume_logs(Batch.from_bytes(Signal.LOGS, logs_request(5).SerializeToString()))
    await until(lambda: len(be.delivered) == 1)
    await ex.shutdown()
    text = tel.exposition().decode()
    for name in ("otelcol_exporter_sent_spans_total", "otelcol_exporter_sent_metric_points_total",
                 "otelcol_exporter_sent_log_records_total",
                 "otelcol_exporter_send_failed_spans_total",
                 "otelcol_exporter_enqueue_failed_log_records_total",
                 "otelcol_exporter_queue_size", "otelcol_exporter_queue_capacity"):
        assert f'{name}{{exporter="otlphttp/test"}}' in text, name
    assert 'otelcol_exporter_sent_log_records_total{exporter="otlphttp/test"} 5.0' in text
    assert 'otelcol_exporter_queue_capacity{exporter="otlphttp/test"} 77.0' in text


async def test_shutdown_without_start_is_safe() -> None:
    tel, be = Telemetry(), Backend()
    ex = make(be, tel)
    await ex.consume_traces(spans(2))  # queued, never sent
    await ex.shutdown()
    assert ex.dropped_at_shutdown[Signal.TRACES] == 2
    assert be.attempts == []

"""memory_limiter with a fake memory reader and real asyncio timing.

Each test waits for the checks it needs by polling their effect (``until``), never for
a fixed number of intervals: a loaded machine runs fewer checks per second.
"""

from __future__ import annotations

import asyncio
import logging

import pytest

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.errors import RetryableError
from otelpy.pdata import Batch
from otelpy.processors.memory_limiter import (
    MemoryLimiterConfig,
    MemoryLimiterProcessor,
    factory,
)
from otelpy.processors.memory_limiter.memory import MIB, limits, process_rss, total_memory
from otelpy.telemetry import Telemetry
from otelpy.testing.polling import until
from otelpy.testing.samples import logs_request, traces_request
from otelpy.testing.sink import FakeHost, SinkConsumer

LABELS = {"processor": "memory_limiter"}
INTERVAL = 0.02


class FakeMemory:
    """Memory in use as the test sets it; a garbage collection may free some."""

    def __init__(self, mib: int, freed_by_gc_mib: int = 0) -> None:
        self.used = mib * MIB
        self.freed_by_gc = freed_by_gc_mib * MIB
        self.collections = 0
        self.reads = 0

    def read(self) -> int:
        self.reads += 1
        return self.used

    async def checks(self, n: int) -> None:
        """Wait until at least ``n`` more checks ran (a check reads once or twice)."""
        start = self.reads
        await until(lambda: self.reads >= start + 2 * n, what=f"{n} memory checks")

    def collect(self) -> int:
        self.collections += 1
        self.used -= self.freed_by_gc
        return 0


def spans(n: int = 10) -> Batch:
    return Batch.from_bytes(Signal.TRACES, traces_request(spans=n).SerializeToString())


def make(mem: FakeMemory, tel: Telemetry, sink: SinkConsumer, signal: Signal = Signal.TRACES,
         **cfg: object) -> MemoryLimiterProcessor:
    raw: dict[str, object] = {"check_interval": INTERVAL, "limit_mib": 100,
                              "spike_limit_mib": 20}
    raw.update(cfg)
    settings = Settings(ComponentID("memory_limiter"), Kind.PROCESSOR,
                        logging.getLogger("test.memory_limiter"), tel)
    return MemoryLimiterProcessor(settings, MemoryLimiterConfig.model_validate(raw), signal,
                                  sink, read_usage=mem.read, read_total=lambda: 1000 * MIB,
                                  collect=mem.collect)


async def test_below_limit_passes_above_soft_limit_refuses_then_recovers() -> None:
    mem, tel, sink = FakeMemory(50), Telemetry(), SinkConsumer()
    proc = make(mem, tel, sink)
    await proc.start(FakeHost())
    batch = spans(10)
    await proc.consume_traces(batch)
    assert sink.batches == [batch]  # passed through, same object

    mem.used = 85 * MIB  # above soft limit (80), below hard limit (100)
    await until(lambda: proc.refusing, what="the limiter to refuse")
    with pytest.raises(RetryableError) as info:
        await proc.consume_traces(spans(7))
    assert info.value.retry_after == pytest.approx(INTERVAL)
    assert "high memory usage" in str(info.value)
    assert sink.total() == 10
    assert tel.value("otelcol_processor_refused_spans_total", LABELS) == 7

    mem.used = 60 * MIB
    await until(lambda: not proc.refusing, what="the limiter to accept again")
    await proc.consume_traces(spans(4))
    assert sink.total() == 14
    assert tel.value("otelcol_processor_refused_spans_total", LABELS) == 7
    await proc.shutdown()


async def test_start_measures_at_once() -> None:
    mem, tel, sink = FakeMemory(95), Telemetry(), SinkConsumer()
    proc = make(mem, tel, sink, check_interval=60)
    await proc.start(FakeHost())
    with pytest.raises(RetryableError):
        await proc.consume_traces(spans(3))
    assert proc.refusing and proc.usage == 95 * MIB
    await proc.shutdown()


async def test_gc_that_frees_enough_avoids_refusing() -> None:
    mem, tel, sink = FakeMemory(50, freed_by_gc_mib=30), Telemetry(), SinkConsumer()
    proc = make(mem, tel, sink, min_gc_interval_when_soft_limited=0)
    await proc.start(FakeHost())
    assert mem.collections == 0
    mem.used = 90 * MIB
    await until(lambda: mem.collections == 1, what="a garbage collection")
    await mem.checks(2)
    assert mem.collections == 1 and mem.used == 60 * MIB and not proc.refusing
    await proc.consume_traces(spans(5))
    assert sink.total() == 5
    assert tel.value("otelpy_processor_memory_limiter_gc_total", LABELS) == 1
    await proc.shutdown()


async def test_gc_intervals_soft_versus_hard_limit() -> None:
    mem, tel, sink = FakeMemory(90), Telemetry(), SinkConsumer()  # soft-limited, gc frees 0
    proc = make(mem, tel, sink, min_gc_interval_when_soft_limited=10,
                min_gc_interval_when_hard_limited=0)
    await proc.start(FakeHost())
    assert mem.collections == 1  # at start
    await mem.checks(3)
    assert mem.collections == 1  # not again within 10s
    mem.used = 120 * MIB  # above the hard limit: collect at every check
    await until(lambda: mem.collections >= 3, what="a collection at every check")
    with pytest.raises(RetryableError):
        await proc.consume_traces(spans(2))
    await proc.shutdown()


async def test_refused_items_are_counted_per_signal() -> None:
    mem, tel, sink = FakeMemory(99), Telemetry(), SinkConsumer()
    proc = make(mem, tel, sink, Signal.LOGS)
    await proc.start(FakeHost())
    with pytest.raises(RetryableError):
        await proc.consume_logs(Batch.from_bytes(Signal.LOGS,
                                                 logs_request(records=12).SerializeToString()))
    assert tel.value("otelcol_processor_refused_log_records_total", LABELS) == 12
    await proc.shutdown()


async def test_shutdown_stops_measuring_and_is_idempotent() -> None:
    mem, tel, sink = FakeMemory(50), Telemetry(), SinkConsumer()
    proc = make(mem, tel, sink)
    await proc.shutdown()  # safe without start
    await proc.start(FakeHost())
    await proc.shutdown()
    await proc.shutdown()
    reads = mem.reads
    mem.used = 99 * MIB
    await asyncio.sleep(INTERVAL * 3)  # a window in which a check would show
    assert not proc.refusing and mem.reads == reads  # no longer measuring
    assert proc.capabilities.mutates_data is False


def test_percentage_limits_use_total_memory() -> None:
    mem, tel, sink = FakeMemory(0), Telemetry(), SinkConsumer()
    proc = make(mem, tel, sink, limit_mib=0, spike_limit_mib=0, limit_percentage=50,
                spike_limit_percentage=10)
    assert proc.hard_limit == 500 * MIB and proc.soft_limit == 400 * MIB


@pytest.mark.parametrize(
    ("args", "expected"),
    [((100, 0, 0, 0, 0), (100 * MIB, 80 * MIB)),
     ((100, 30, 0, 0, 0), (100 * MIB, 70 * MIB)),
     ((0, 0, 80, 0, 1000), (800, 640)),
     ((0, 0, 80, 20, 1000), (800, 600)),
     ((100, 0, 80, 20, 1000), (100 * MIB, 80 * MIB))],
    ids=["mib-default-spike", "mib", "pct-default-spike", "pct", "mib-wins"])
def test_limits(args: tuple[int, int, int, int, int], expected: tuple[int, int]) -> None:
    assert limits(*args) == expected


def test_real_memory_readers_answer() -> None:
    assert 1 * MIB < process_rss() < total_memory()


@pytest.mark.parametrize(
    ("raw", "needle"),
    [({"limit_mib": 100}, "check_interval"),
     ({"check_interval": "1s"}, "limit_mib or limit_percentage"),
     ({"check_interval": "1s", "limit_mib": 100, "spike_limit_mib": 100}, "spike_limit_mib"),
     ({"check_interval": "1s", "limit_percentage": 120}, "less than or equal to 100"),
     ({"check_interval": "1s", "limit_percentage": 50, "spike_limit_percentage": 50},
      "spike_limit_percentage must be smaller"),
     ({"check_interval": "1s", "limit_mib": 100, "min_gc_interval_when_soft_limited": "1s",
       "min_gc_interval_when_hard_limited": "2s"}, "min_gc_interval_when_soft_limited"),
     ({"check_interval": "1s", "limit_mib": 4000, "spike_limit_mib": 800}, None),
     ({"check_interval": "1s", "limit_percentage": 75, "spike_limit_percentage": 15}, None)],
    ids=["no-interval", "no-limit", "spike-mib", "pct-range", "spike-pct", "gc-order",
         "valid-mib", "valid-pct"])
def test_validate_config(raw: dict[str, object], needle: str | None) -> None:
    problems = MemoryLimiterConfig.model_validate(raw).validate_config()
    if needle is None:
        assert problems == []
    else:
        assert len(problems) == 1 and needle in problems[0], problems


def test_factory() -> None:
    assert factory.type == "memory_limiter" and factory.kind is Kind.PROCESSOR
    assert set(factory.stability) == {"traces", "metrics", "logs"}
    assert factory.default_config().validate_config() != []  # check_interval is required

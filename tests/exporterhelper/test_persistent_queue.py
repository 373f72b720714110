"""ExporterHelper with ``sending_queue.storage``: durable enqueue, delivery after a restart
of the helper object, acknowledgement, bounds, failures, reload hand-over."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest

from otelpy.component import ComponentBase, ComponentID, Kind, Settings, Signal
from otelpy.errors import ComponentStartError, PermanentError, RetryableError
from otelpy.exporterhelper import ExporterHelper, QueueSettings, RetrySettings
from otelpy.extensions.file_storage import FileStorageConfig, FileStorageExtension
from otelpy.pdata import Batch
from otelpy.storage import DurableLog, log_directory
from otelpy.telemetry import Telemetry
from otelpy.testing.polling import until
from otelpy.testing.samples import logs_request, traces_request
from otelpy.testing.sink import FakeHost

ID = ComponentID("otlphttp", "disk")
LABELS = {"exporter": "otlphttp/disk"}
STORAGE = ComponentID("file_storage")
FAST_RETRY = {"initial_interval": "10ms", "max_interval": "20ms", "max_elapsed_time": 0,
              "randomization_factor": 0}


def spans(n: int, seed: int = 0) -> Batch:
    return Batch.from_bytes(Signal.TRACES, traces_request(n, seed=seed).SerializeToString())


class Backend:
    """A scripted ``send``: fails while ``down``, can be held shut, records deliveries."""

    def __init__(self, down: bool = False) -> None:
        self.down = down
        self.permanent = False
        self.attempts = 0
        self.delivered: list[Batch] = []
        self.gate = asyncio.Event()
        self.gate.set()

    async def send(self, batch: Batch) -> None:
        self.attempts += 1
        await self.gate.wait()
        if self.permanent:
            raise PermanentError("rejected")
        if self.down:
            raise RetryableError("backend down")
        self.delivered.append(batch)

    def spans(self) -> int:
        return sum(b.item_count for b in self.delivered)


class Env:
    """A started file_storage extension in ``tmp`` and helpers built on it."""

    def __init__(self, tmp: Path, telemetry: Telemetry, **storage: Any) -> None:
        self.tmp = tmp
        self.telemetry = telemetry
        cfg = FileStorageConfig(directory=str(tmp), **storage)
        self.ext = FileStorageExtension(self.settings(STORAGE, Kind.EXTENSION), cfg)
        self.host = FakeHost(extensions={STORAGE: self.ext})

    def settings(self, cid: ComponentID, kind: Kind = Kind.EXPORTER) -> Settings:
        return Settings(cid, kind, logging.getLogger(f"otelpy.test.{cid}"), self.telemetry)

    def helper(self, backend: Backend, queue: dict[str, Any] | None = None,
               signals: tuple[Signal, ...] = (Signal.TRACES,)) -> ExporterHelper:
        qcfg = QueueSettings(**{"storage": "file_storage", "num_consumers": 2, **(queue or {})})
        return ExporterHelper(self.settings(ID), signals, qcfg, RetrySettings(**FAST_RETRY),
                              5.0, backend.send)

    def value(self, name: str) -> float:
        return self.telemetry.value(name, LABELS)


@pytest.fixture
async def env(tmp_path: Path) -> Any:
    e = Env(tmp_path, Telemetry())
    await e.ext.start(e.host)
    yield e
    await e.ext.shutdown()


async def test_enqueued_batches_survive_a_restart_of_the_helper(env: Env) -> None:
    down = Backend(down=True)
    ex = env.helper(down)
    await ex.start(env.host)
    batches = [spans(10 + i, seed=i) for i in range(5)]
    for b in batches:
        await ex.consume_traces(b)  # returns once durably enqueued
    assert ex.queue_size == 5
    await until(lambda: down.attempts >= 2)  # the workers have tried (and keep retrying)
    await ex.shutdown(drain_timeout=0.5)
    assert ex.dropped_at_shutdown[Signal.TRACES] == 0
    assert env.value("otelcol_exporter_send_failed_spans_total") == 0
    assert (log_directory(env.tmp, "otlphttp/disk", "traces") / "ack").exists()

    up = Backend()
    again = env.helper(up)
    await again.start(env.host)
    await until(lambda: len(up.delivered) == 5)
    assert sorted(b.data for b in up.delivered) == sorted(b.data for b in batches)
    # two workers had taken one batch each before the restart: sent again, counted
    redelivered = env.value("otelpy_exporter_queue_redelivered_spans_total")
    assert redelivered == 10 + 11
    assert env.value("otelcol_exporter_sent_spans_total") == sum(b.item_count for b in batches)
    await again.shutdown()
    third = Backend()
    last = env.helper(third)
    await last.start(env.host)
    await asyncio.sleep(0.1)
    assert third.delivered == [] and last.queue_size == 0  # acknowledged: never again
    await last.shutdown()


async def test_delivered_batches_are_deleted_from_disk(env: Env) -> None:
    be = Backend()
    ex = env.helper(be, queue={"num_consumers": 1})
    await ex.start(env.host)
    for i in range(20):
        await ex.consume_traces(spans(50, seed=i))
    await until(lambda: len(be.delivered) == 20)
    assert [b.item_count for b in be.delivered] == [50] * 20
    await ex.shutdown()
    queue_dir = log_directory(env.tmp, "otlphttp/disk", "traces")
    assert list(queue_dir.glob("*.seg")) == []


async def test_one_queue_per_signal(env: Env) -> None:
    be = Backend()
    ex = env.helper(be, signals=(Signal.TRACES, Signal.LOGS))
    await ex.start(env.host)
    await ex.consume_traces(spans(3))
    await ex.consume_logs(Batch.from_bytes(Signal.LOGS, logs_request(4).SerializeToString()))
    await until(lambda: len(be.delivered) == 2)
    await ex.shutdown()
    names = sorted(p.name for p in (env.tmp / "otlphttp%2Fdisk").iterdir())
    assert names == ["logs", "traces"]
    assert env.telemetry.value("otelcol_exporter_sent_log_records_total", LABELS) == 4


async def test_full_queue_blocks_then_proceeds(env: Env) -> None:
    be = Backend()
    be.gate.clear()
    ex = env.helper(be, queue={"queue_size": 2, "num_consumers": 1})
    await ex.start(env.host)
    await ex.consume_traces(spans(1))
    await ex.consume_traces(spans(2))  # 2 not acknowledged: full (in flight counts)
    blocked = asyncio.create_task(ex.consume_traces(spans(3)))
    await asyncio.sleep(0.05)
    assert not blocked.done()
    be.gate.set()
    await asyncio.wait_for(blocked, 2)
    await until(lambda: be.spans() == 6)
    await ex.shutdown()


async def test_drop_newest_counts(env: Env) -> None:
    be = Backend()
    be.gate.clear()
    ex = env.helper(be, queue={"queue_size": 1, "overflow": "drop_newest"})
    await ex.start(env.host)
    await ex.consume_traces(spans(4))
    # dropped at once (the gate is closed: waiting for room would never end)
    await asyncio.wait_for(ex.consume_traces(spans(5)), 10)
    assert env.value("otelcol_exporter_enqueue_failed_spans_total") == 5
    be.gate.set()
    await until(lambda: be.spans() == 4)
    await ex.shutdown()


async def test_byte_bound(env: Env) -> None:
    be = Backend()
    be.gate.clear()
    one = spans(20)
    ex = env.helper(be, queue={"max_bytes": one.byte_size * 2, "num_consumers": 1})
    await ex.start(env.host)
    await ex.consume_traces(one)
    await ex.consume_traces(spans(20, seed=1))
    blocked = asyncio.create_task(ex.consume_traces(spans(20, seed=2)))
    await asyncio.sleep(0.05)
    assert not blocked.done()
    be.gate.set()
    await asyncio.wait_for(blocked, 2)
    await until(lambda: be.spans() == 60)
    await ex.shutdown()


async def test_permanent_failure_is_dropped_and_counted(env: Env) -> None:
    be = Backend()
    be.permanent = True
    ex = env.helper(be)
    await ex.start(env.host)
    await ex.consume_traces(spans(7))
    await until(lambda: env.value("otelcol_exporter_send_failed_spans_total") == 7)
    await until(lambda: ex.queue_size == 0)
    await ex.shutdown()
    again = env.helper(Backend())
    await again.start(env.host)
    assert again.queue_size == 0  # acknowledged as failed: not sent again
    await again.shutdown()


async def test_shutdown_refuses_new_data(env: Env) -> None:
    ex = env.helper(Backend())
    await ex.start(env.host)
    await ex.shutdown()
    with pytest.raises(RetryableError):
        await ex.consume_traces(spans(2))
    assert env.value("otelcol_exporter_enqueue_failed_spans_total") == 2


async def test_missing_or_wrong_extension_fails_start(env: Env) -> None:
    ex = env.helper(Backend())
    with pytest.raises(ComponentStartError, match="is not running"):
        await ex.start(FakeHost())
    other = env.helper(Backend())
    with pytest.raises(ComponentStartError, match="not a storage extension"):
        await other.start(FakeHost(extensions={STORAGE: ComponentBase()}))


async def test_directory_locked_by_another_process_fails_start(tmp_path: Path) -> None:
    import fcntl
    import os

    env = Env(tmp_path, Telemetry(), timeout="100ms")
    await env.ext.start(env.host)
    queue_dir = log_directory(tmp_path, "otlphttp/disk", "traces")
    queue_dir.mkdir(parents=True)
    fd = os.open(queue_dir / "lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)  # as another process would
    try:
        ex = env.helper(Backend())
        with pytest.raises(ComponentStartError, match="in use by another process"):
            await ex.start(env.host)
        await ex.shutdown()
    finally:
        os.close(fd)
        await env.ext.shutdown()


async def test_reload_hands_the_queue_over(env: Env) -> None:
    """The replacing instance starts while the old one still runs (a config reload): its
    start returns at once, consume waits, and it takes over what the old one left."""
    old_be = Backend(down=True)
    old = env.helper(old_be)
    await old.start(env.host)
    await old.consume_traces(spans(5))
    new_be = Backend()
    new = env.helper(new_be)
    # returns at once: waiting for the old instance to let go would never end here
    await asyncio.wait_for(new.start(env.host), 10)
    waiting = asyncio.create_task(new.consume_traces(spans(6)))
    await asyncio.sleep(0.1)
    assert not waiting.done()
    await old.shutdown(drain_timeout=0.2)
    await asyncio.wait_for(waiting, 3)
    await until(lambda: new_be.spans() == 11)
    await new.shutdown()


class RecordingStorage(ComponentBase):
    """The file_storage extension, keeping the logs it opens for the test to look at."""

    def __init__(self, ext: FileStorageExtension) -> None:
        self.ext = ext
        self.logs: list[DurableLog] = []

    async def start(self, host: Any) -> None:
        await self.ext.start(host)

    async def shutdown(self) -> None:
        await self.ext.shutdown()

    async def open_log(self, owner: str, name: str) -> DurableLog:
        log = await self.ext.open_log(owner, name)
        self.logs.append(log)
        return log

    def in_use_here(self, owner: str, name: str) -> bool:
        return self.ext.in_use_here(owner, name)


async def test_interval_policy_consume_returns_before_the_periodic_sync(tmp_path: Path) -> None:
    interval = 1.5  # long enough that no stall of a loaded machine reaches it between steps
    env = Env(tmp_path, Telemetry(), fsync_policy="interval", fsync_interval=f"{interval}s")
    storage = RecordingStorage(env.ext)
    host = FakeHost(extensions={STORAGE: storage})
    await storage.start(host)
    be = Backend()
    ex = env.helper(be)
    await ex.start(host)
    loop = asyncio.get_running_loop()
    began = loop.time()
    await ex.consume_traces(spans(1))
    [log] = storage.logs
    # idle: the first periodic sync is at once, long before an interval has passed
    await until(lambda: log.unsynced == 0, interval / 2, "the first periodic sync")
    assert log.syncs == 1
    await asyncio.gather(*(ex.consume_traces(spans(2, seed=i)) for i in range(5)))
    assert log.unsynced == 5 and log.syncs == 1  # acknowledged once written
    await until(lambda: be.spans() == 11, what="the five batches to be sent")
    assert log.unsynced == 5 and log.syncs == 1  # and sent without waiting for the sync
    # one fdatasync covers all five, no sooner than an interval after the first
    await until(lambda: log.unsynced == 0, 10 * interval, "the second periodic sync")
    assert loop.time() - began >= interval and log.syncs == 2
    await ex.shutdown()
    await storage.shutdown()
    assert log.closed and log.unsynced == 0


async def test_exhausted_retries_requeue_instead_of_dropping(env: Env) -> None:
    be = Backend(down=True)
    qcfg = QueueSettings(storage="file_storage", num_consumers=1)
    retry = RetrySettings(initial_interval="10ms", max_interval="10ms", max_elapsed_time="30ms",
                          randomization_factor=0)
    ex = ExporterHelper(env.settings(ID), [Signal.TRACES], qcfg, retry, 5.0, be.send)
    await ex.start(env.host)
    await ex.consume_traces(spans(3))
    await ex.consume_traces(spans(4, seed=1))
    await until(lambda: be.attempts >= 12)  # both went round the queue several times
    assert env.value("otelcol_exporter_send_failed_spans_total") == 0
    assert ex.queue_size == 2
    be.down = False
    await until(lambda: be.spans() == 7)
    await ex.shutdown()


async def test_without_retries_a_failure_is_dropped(env: Env) -> None:
    be = Backend(down=True)
    qcfg = QueueSettings(storage="file_storage")
    ex = ExporterHelper(env.settings(ID), [Signal.TRACES], qcfg, RetrySettings(enabled=False),
                        5.0, be.send)
    await ex.start(env.host)
    await ex.consume_traces(spans(3))
    await until(lambda: env.value("otelcol_exporter_send_failed_spans_total") == 3)
    await until(lambda: ex.queue_size == 0)
    await ex.shutdown()


async def test_one_worker_sends_in_enqueue_order_recovered_batches_first(env: Env) -> None:
    queue = {"num_consumers": 1}
    down = Backend(down=True)
    first = env.helper(down, queue)
    await first.start(env.host)
    old = [spans(2, seed=i) for i in range(3)]
    for b in old:
        await first.consume_traces(b)
    await until(lambda: down.attempts >= 1)
    await first.shutdown(drain_timeout=0.2)
    up = Backend()
    up.gate.clear()  # held: the new batches queue up behind the recovered ones
    second = env.helper(up, queue)
    await second.start(env.host)
    new = [spans(2, seed=10 + i) for i in range(3)]
    for b in new:
        await second.consume_traces(b)
    up.gate.set()
    await until(lambda: len(up.delivered) == 6)
    assert [b.data for b in up.delivered] == [b.data for b in old + new]
    await second.shutdown()

"""A restart keeps what logspike learned: with ``storage`` set, the baselines and the patterns
already seen are saved to a real file_storage extension and restored, so after a restart a
known pattern is not reported as new and a burst is judged against the learned baseline; a
damaged or incompatible state is counted and the processor starts afresh."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.errors import ComponentStartError
from otelpy.extensions.file_storage import FileStorageConfig, FileStorageExtension
from otelpy.pdata import Batch, items
from otelpy.processors.logspike import LogSpikeConfig, factory
from otelpy.telemetry import Telemetry
from otelpy.testing.clock import FakeClock
from otelpy.testing.sink import FakeHost, SinkConsumer
from tests.processors.logspike.test_logspike_processor import errors

STORAGE = ComponentID("file_storage")


class Process:
    """One 'process lifetime': a storage extension and a logspike processor on it."""

    def __init__(self, directory: Path, clock: FakeClock, **config: Any) -> None:
        self.telemetry = Telemetry()
        log = logging.getLogger("test.logspike.state")
        self.ext = FileStorageExtension(
            Settings(STORAGE, Kind.EXTENSION, log, self.telemetry),
            FileStorageConfig(directory=str(directory), create_directory=True))
        self.host = FakeHost(extensions={STORAGE: self.ext})
        self.sink = SinkConsumer()
        self.clock = clock
        cfg = LogSpikeConfig.model_validate({"storage": "file_storage", "window": "1m",
                                             **config})
        self.processor = factory.create(
            Settings(ComponentID("logspike"), Kind.PROCESSOR, log, self.telemetry, clock),
            cfg, Signal.LOGS, self.sink)

    async def __aenter__(self) -> Process:
        await self.ext.start(self.host)
        await self.processor.start(self.host)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.processor.shutdown()
        await self.ext.shutdown()

    async def minute(self, batches: list[Batch]) -> list[tuple[str, str]]:
        """Send ``batches`` over one minute; (type, pattern) of the events emitted."""
        before = len(self.sink.batches)
        for b in batches:
            await self.processor.consume_logs(b)
            await self.clock.advance(60 / len(batches))
        found = [dict(i.attributes) for b in self.sink.batches[before:]
                 for i in items.log_records(b.message) if i.record.event_name == "log.anomaly"]
        return [(str(e["log.anomaly.type"]), str(e["log.pattern.id"])) for e in found]

    def metric(self, name: str) -> float:
        value = self.telemetry.registry.get_sample_value(name, {"processor": "logspike"})
        return value or 0.0


async def learn(directory: Path, clock: FakeClock) -> float:
    """Ten steady minutes of 5 errors; returns the baseline learned."""
    async with Process(directory, clock) as run:
        assert await run.minute([errors(5)]) == [("new_pattern", "timeout")]
        for _ in range(10):
            assert await run.minute([errors(2), errors(3)]) == []
        baseline = run.processor.detector.baseline("timeout")
    assert baseline == pytest.approx(5.0)
    return baseline


async def test_a_restart_keeps_baselines_and_known_patterns(tmp_path: Path) -> None:
    clock = FakeClock()
    baseline = await learn(tmp_path, clock)
    async with Process(tmp_path, clock) as run:
        assert run.processor.detector.baseline("timeout") == baseline
        assert await run.minute([errors(3)]) == []  # known: not new again
        assert await run.minute([errors(10) for _ in range(3)]) == \
            [("error_spike", "timeout")]  # judged against the restored baseline
        assert await run.minute([errors(1, pattern="oom")]) == [("new_pattern", "oom")]
    async with Process(tmp_path, clock) as again:
        assert again.processor.detector.baseline("oom") is not None


async def test_without_storage_a_restart_relearns(tmp_path: Path) -> None:
    clock = FakeClock()
    await learn(tmp_path / "kept", clock)
    async with Process(tmp_path / "other", clock) as fresh:
        assert await fresh.minute([errors(3)]) == [("new_pattern", "timeout")]


async def test_periodic_snapshots_survive_a_crash(tmp_path: Path) -> None:
    """No shutdown save: only the periodic snapshot is on disk when the next process starts."""
    clock = FakeClock()
    crashed = Process(tmp_path, clock, snapshot_interval="30s")
    await crashed.__aenter__()
    await crashed.minute([errors(5)])
    await crashed.minute([errors(5)])  # the 30 s saver ran during these minutes
    await crashed.ext.shutdown()  # the processor never saves at shutdown
    async with Process(tmp_path, clock) as run:
        assert run.processor.detector.baseline("timeout") is not None
        assert await run.minute([errors(3)]) == []


async def test_a_changed_window_or_damaged_state_starts_afresh(tmp_path: Path) -> None:
    clock = FakeClock()
    await learn(tmp_path, clock)
    async with Process(tmp_path, clock, window="2m") as run:
        assert len(run.processor.detector) == 0
        assert run.metric("otelpy_processor_logspike_state_errors_total") >= 1  # per snapshot tried
    detector = run.processor.detector
    with pytest.raises(ValueError, match="unreadable logspike state"):
        detector.load(b'{"version": 1, "step_ns": 120000000000, "evicted": 0, '
                      b'"patterns": [["x", "t", 0]]}')
    with pytest.raises(ValueError, match="state version"):
        detector.load(b'{"version": 99}')


async def test_storage_must_name_a_running_extension(tmp_path: Path) -> None:
    run = Process(tmp_path, FakeClock(), storage="file_storage/missing")
    with pytest.raises(ComponentStartError, match="file_storage/missing is not running"):
        await run.processor.start(run.host)

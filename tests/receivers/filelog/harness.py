"""A filelog receiver running in the test's loop on real files, and what it delivered."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.extensions.file_storage.config import FileStorageConfig
from otelpy.extensions.file_storage.extension import FileStorageExtension
from otelpy.pdata import items
from otelpy.pdata.values import to_value
from otelpy.receivers.filelog.config import FileLogConfig
from otelpy.receivers.filelog.receiver import FileLogReceiver
from otelpy.telemetry import Telemetry
from otelpy.testing.polling import until
from otelpy.testing.sink import FakeHost, SinkConsumer

FAST = {"poll_interval": "10ms", "force_flush_period": "50ms", "start_at": "beginning"}
STORAGE = ComponentID.parse("file_storage")


def config(**keys: Any) -> FileLogConfig:
    cfg = FileLogConfig.model_validate({**FAST, **keys})
    assert cfg.validate_config() == []
    return cfg


class Running:
    """A started receiver with its sink; ``bodies()`` lists what arrived, in order."""

    def __init__(self, cfg: FileLogConfig, storage_dir: Path | None = None) -> None:
        self.telemetry = Telemetry()
        self.settings = Settings(ComponentID.parse("filelog"), Kind.RECEIVER,
                                 logging.getLogger("test.filelog"), self.telemetry)
        self.sink = SinkConsumer()
        self.receiver = FileLogReceiver(self.settings, cfg, {Signal.LOGS: self.sink})
        self.storage_dir = storage_dir
        self.ext: FileStorageExtension | None = None

    async def start(self) -> Running:
        host = FakeHost()
        if self.storage_dir is not None:
            self.ext = FileStorageExtension(
                Settings(STORAGE, Kind.EXTENSION, logging.getLogger("test.fs"), self.telemetry),
                FileStorageConfig(directory=str(self.storage_dir)))
            await self.ext.start(host)
            host.extensions[STORAGE] = self.ext
        await self.receiver.start(host)
        return self

    async def stop(self) -> None:
        await self.receiver.shutdown()
        if self.ext is not None:
            await self.ext.shutdown()

    def records(self) -> list[Any]:
        return [item for batch in self.sink.batches
                for item in items.log_records(batch.message)]

    def bodies(self) -> list[Any]:
        return [to_value(item.record.body) for item in self.records()]

    async def wait_bodies(self, n: int, within: float = 20.0) -> list[Any]:
        await until(lambda: len(self.bodies()) >= n, within, f"{n} records")
        return self.bodies()

    async def settle(self) -> None:
        """Wait until the receiver has done several more polls (nothing more to read)."""
        steps = self.receiver.steps
        await until(lambda: self.receiver.steps >= steps + 5, 20.0, "five more polls")

    def counter(self, name: str, **labels: str) -> float:
        value = self.telemetry.registry.get_sample_value(name, {"receiver": "filelog",
                                                                **labels})
        return value or 0.0


def write(path: Path, *lines: str, mode: str = "a") -> None:
    with path.open(mode) as f:
        for line in lines:
            f.write(line + "\n")

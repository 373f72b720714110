"""The file_storage extension: config rules, directory checks, log layout, damage and
fsync-failure reporting."""

from __future__ import annotations

import asyncio
import errno
import logging
import os
from pathlib import Path
from typing import Any

import pytest

from otelpy.component import ComponentID, Kind, Settings
from otelpy.errors import ComponentStartError
from otelpy.extensions.file_storage import FileStorageConfig, FileStorageExtension, factory
from otelpy.storage import FsyncPolicy, StorageError
from otelpy.telemetry import Telemetry
from otelpy.testing.sink import FakeHost

ID = ComponentID("file_storage", "q")


def make(tmp: Path | str, tel: Telemetry | None = None, **cfg: Any) -> FileStorageExtension:
    settings = Settings(ID, Kind.EXTENSION, logging.getLogger("otelpy.test.file_storage"),
                        tel or Telemetry())
    return factory.create(settings, FileStorageConfig(directory=str(tmp), **cfg))  # type: ignore[no-any-return]


@pytest.mark.parametrize(("keys", "policy"), [
    ({}, FsyncPolicy.BATCH),
    ({"fsync": True}, FsyncPolicy.BATCH),
    ({"fsync": False}, FsyncPolicy.INTERVAL),
    ({"fsync_policy": "never"}, FsyncPolicy.NEVER),
    ({"fsync": False, "fsync_policy": "never"}, FsyncPolicy.NEVER),
    ({"fsync_policy": "interval", "fsync_interval": "250ms"}, FsyncPolicy.INTERVAL),
], ids=["default", "fsync-true", "fsync-false", "never", "false+never", "interval"])
def test_fsync_keys(keys: dict[str, Any], policy: FsyncPolicy) -> None:
    cfg = FileStorageConfig(directory="/x", **keys)
    assert cfg.validate_config() == []
    assert cfg.effective_policy() is policy
    assert cfg.log_options().fsync_policy is policy


@pytest.mark.parametrize(("keys", "problem"), [
    ({"fsync": True, "fsync_policy": "interval"}, "fsync: true contradicts fsync_policy"),
    ({"fsync": False, "fsync_policy": "batch"}, "fsync: false contradicts fsync_policy"),
    ({"fsync_policy": "interval", "fsync_interval": 0}, "fsync_interval must be greater"),
    ({"directory_permissions": "rwx"}, "directory_permissions"),
    ({"directory": " "}, "directory must not be empty"),
], ids=["true-interval", "false-batch", "zero-interval", "permissions", "empty-dir"])
def test_invalid_combinations(keys: dict[str, Any], problem: str) -> None:
    cfg = FileStorageConfig(**{"directory": "/x", **keys})
    problems = cfg.validate_config()
    assert len(problems) == 1 and problem in problems[0]


def test_directory_is_required_and_collector_keys_accepted() -> None:
    with pytest.raises(ValueError, match="directory"):
        FileStorageConfig()  # type: ignore[call-arg]
    cfg = FileStorageConfig.model_validate({
        "directory": "/var/lib/otelcol/file_storage", "timeout": "1s", "fsync": True,
        "create_directory": True,
        "compaction": {"on_start": True, "directory": "/tmp", "max_transaction_size": 65536}})
    assert cfg.validate_config() == [] and cfg.segment_size_mib == 16


async def test_missing_directory_fails_start_unless_created(tmp_path: Path) -> None:
    missing = tmp_path / "a" / "b"
    with pytest.raises(ComponentStartError, match="create_directory"):
        await make(missing).start(FakeHost())
    ext = make(missing, create_directory=True, directory_permissions="0700")
    await ext.start(FakeHost())
    assert missing.is_dir() and (missing.stat().st_mode & 0o777) == 0o700
    await ext.shutdown()
    (tmp_path / "file").write_text("x")
    with pytest.raises(ComponentStartError, match="not a directory"):
        await make(tmp_path / "file").start(FakeHost())


async def test_open_log_layout_and_in_use(tmp_path: Path) -> None:
    ext = make(tmp_path)
    with pytest.raises(StorageError, match="not started"):
        await ext.open_log("otlp/a", "traces")
    await ext.start(FakeHost())
    log = await ext.open_log("otlp/a", "traces")
    assert log.directory == tmp_path / "otlp%2Fa" / "traces"
    assert ext.in_use_here("otlp/a", "traces") and not ext.in_use_here("otlp/a", "logs")
    await log.append([b"x"], 1, lambda r: None)
    await ext.shutdown()  # closes what its user left open
    assert log.closed and not ext.in_use_here("otlp/a", "traces")


async def test_damage_is_counted_and_logged_without_stopping(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    tel = Telemetry()
    ext = make(tmp_path, tel)
    await ext.start(FakeHost())
    log = await ext.open_log("otlp", "logs")
    for i in range(3):
        await log.append([bytes([i]) * 100], 1, lambda r: None)
    await log.close()
    seg = next((tmp_path / "otlp" / "logs").glob("*.seg"))
    seg.write_bytes(seg.read_bytes()[:-30])  # a torn tail
    with caplog.at_level(logging.ERROR, "otelpy.test.file_storage"):
        log = await ext.open_log("otlp", "logs")
    assert [r.seq for r in log.recovery.records] == [1, 2]
    assert tel.value("otelpy_storage_corrupt_records_total",
                     {"storage": "file_storage/q", "queue": "otlp/logs"}) == 1
    errors = [r.getMessage() for r in caplog.records]
    assert len(errors) == 1 and "1 damaged record(s) skipped in queue otlp/logs" in errors[0]
    await ext.shutdown()


async def test_failed_fsync_is_counted_and_logged(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    tel = Telemetry()
    ext = make(tmp_path, tel, fsync_policy="interval", fsync_interval="50ms")
    await ext.start(FakeHost())
    log = await ext.open_log("otlp", "logs")

    def broken(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    labels = {"storage": "file_storage/q", "queue": "otlp/logs"}
    with caplog.at_level(logging.ERROR, "otelpy.test.file_storage"):
        monkeypatch.setattr(os, "fdatasync", broken)
        await log.append([b"x" * 100], 1, lambda r: None)  # acknowledged once written
        async with asyncio.timeout(1):
            while tel.value("otelpy_storage_fsync_failures_total", labels) == 0:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        monkeypatch.undo()
    assert tel.value("otelpy_storage_fsync_failures_total", labels) == 1
    errors = [r.getMessage() for r in caplog.records]
    assert len(errors) == 1
    assert errors[0].startswith("queue otlp/logs: fsync of ") and "Input/output error" in errors[0]
    assert "1 acknowledged record(s) may not be on stable storage" in errors[0]
    await ext.shutdown()
    assert tel.value("otelpy_storage_fsync_failures_total", labels) == 1

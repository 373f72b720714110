"""Pending and firing alerts survive a restart through file_storage: the ``for`` clock
keeps running from the original activeAt, a firing alert is not fired again."""

from __future__ import annotations

import logging
from pathlib import Path

from alerting_fixtures import Harness, request

from otelpy.component import ComponentID, Kind, Settings
from otelpy.extensions.file_storage import factory as storage_factory
from otelpy.extensions.file_storage.config import FileStorageConfig
from otelpy.telemetry import Telemetry
from otelpy.testing.clock import FakeClock
from otelpy.testing.sink import FakeHost

STORAGE = ComponentID("file_storage", "alerts")


def config(for_: str = "60s") -> dict[str, object]:
    return {"evaluation_interval": "10s", "storage": str(STORAGE),
            "alert_rules": {"disk_full": {"metric": "disk.used", "threshold": 90,
                                          "severity": "critical", "duration": for_}}}


async def started(directory: Path, clock: FakeClock) -> tuple[Harness, FakeHost, object]:
    settings = Settings(STORAGE, Kind.EXTENSION, logging.getLogger("storage"), Telemetry())
    ext = storage_factory.create(settings, FileStorageConfig(directory=str(directory)))
    host = FakeHost(extensions={STORAGE: ext})
    await ext.start(host)
    h = Harness(config(), clock)
    await h.log_conn.start(host)
    await h.metric_conn.start(host)
    return h, host, ext


async def stop(h: Harness, ext: object) -> None:
    await h.metric_conn.shutdown()
    await h.log_conn.shutdown()
    await ext.shutdown()  # type: ignore[attr-defined]


async def tick(h: Harness, value: float, times: int = 1) -> None:
    for _ in range(times):
        await h.send(request("disk.used", value, h.now_ns()))
        await h.tick(10)


async def test_restart_keeps_the_for_clock_and_does_not_refire(tmp_path: Path) -> None:
    clock = FakeClock()
    h, _, ext = await started(tmp_path, clock)
    await tick(h, 95, times=3)  # pending since the first evaluation, 20 s ago
    assert h.states() == [("disk_full", "pending")]
    active_at = h.alerts()[0]["startsAt"]
    await stop(h, ext)
    await clock.advance(15)  # down for a while

    h2, _, ext2 = await started(tmp_path, clock)
    await tick(h2, 96, times=2)  # 45 s, 55 s after activeAt: still pending, no new record
    assert h2.states() == []
    await tick(h2, 96)  # 65 s: fires; a reset clock would wait until 60 s after restart
    assert h2.states() == [("disk_full", "firing")]
    for_state = {v for _, v, f in h2.samples("ALERTS_FOR_STATE") if not f}
    assert for_state == {1_767_225_610.0} and active_at == "2026-01-01T00:00:10.000Z"
    await stop(h2, ext2)

    h3, _, ext3 = await started(tmp_path, clock)
    await tick(h3, 97, times=3)
    assert h3.states() == []  # still firing: not fired a second time
    await tick(h3, 10)
    assert h3.states() == [("disk_full", "resolved")]
    await stop(h3, ext3)


async def test_state_older_than_outage_tolerance_is_not_restored(tmp_path: Path) -> None:
    clock = FakeClock()
    h, _, ext = await started(tmp_path, clock)
    await tick(h, 95, times=2)
    await stop(h, ext)
    await clock.advance(2 * 3600)
    h2, _, ext2 = await started(tmp_path, clock)
    await tick(h2, 95, times=1)
    assert h2.states() == [("disk_full", "pending")]  # a fresh for clock
    await stop(h2, ext2)

"""The baselines adaptive and anomaly_detection rules learned survive a restart through
file_storage: after a restart the band is the one learned before, so a value inside it does
not fire (without the saved baseline only base_threshold would apply, and it would)."""

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
BASELINE = [100.0, 104.0, 98.0, 101.0, 97.0, 103.0, 99.0, 102.0, 100.0, 96.0, 101.0, 99.0]
RULES = {"latency": {"metric": "api_response_time_p95", "threshold_type": "adaptive",
                     "base_threshold": 50, "severity": "warning", "duration": "10s"},
         "engagement": {"metric": "user_engagement_score",
                        "threshold_type": "anomaly_detection", "severity": "warning"}}


class Lifetime:
    """One process lifetime: a file_storage extension and the connector on it."""

    def __init__(self, directory: Path, clock: FakeClock, storage: bool = True) -> None:
        settings = Settings(STORAGE, Kind.EXTENSION, logging.getLogger("storage"), Telemetry())
        self.ext = storage_factory.create(settings, FileStorageConfig(directory=str(directory)))
        self.host = FakeHost(extensions={STORAGE: self.ext})
        doc: dict[str, object] = {"evaluation_interval": "10s", "alert_rules": RULES,
                                  "smart_thresholds": {"adaptation_window_hours": 1}}
        if storage:
            doc["storage"] = str(STORAGE)
        self.h = Harness(doc, clock)

    async def __aenter__(self) -> Harness:
        await self.ext.start(self.host)  # type: ignore[attr-defined]
        await self.h.log_conn.start(self.host)
        await self.h.metric_conn.start(self.host)
        return self.h

    async def __aexit__(self, *exc: object) -> None:
        await self.h.metric_conn.shutdown()
        await self.h.log_conn.shutdown()
        await self.ext.shutdown()  # type: ignore[attr-defined]


async def feed(h: Harness, values: list[float]) -> None:
    for value in values:
        await h.send(request("api_response_time_p95", value, h.now_ns()))
        await h.send(request("user_engagement_score", value / 100, h.now_ns()))
        await h.tick(10)


async def test_a_restart_keeps_the_learned_band(tmp_path: Path) -> None:
    clock = FakeClock()
    async with Lifetime(tmp_path, clock) as h:
        await feed(h, BASELINE)
        # while learning (under 10 samples) only base_threshold applies; then the band
        assert h.states() == [("latency", "pending"), ("latency", "firing"),
                              ("latency", "resolved")]
        saved = h.log_conn.runtime.inline.dump()
        before = h.samples("otelpy_alert_band_upper")[-1][1]
    await clock.advance(30)  # down for a while
    async with Lifetime(tmp_path, clock) as h2:
        inline = h2.log_conn.runtime.inline
        assert inline.dump() == saved  # every learned series back, exactly
        await feed(h2, [104.0, 103.0])
        assert h2.states() == []  # inside the restored band, above base_threshold
        assert 103 < h2.samples("otelpy_alert_band_upper")[0][1] <= before + 1
        await feed(h2, [180.0, 185.0, 190.0])
        assert h2.states() == [("latency", "pending"), ("latency", "firing")]


async def test_without_the_saved_baseline_only_base_threshold_applies(tmp_path: Path) -> None:
    clock = FakeClock()
    async with Lifetime(tmp_path, clock, storage=False) as h:
        await feed(h, BASELINE)
    async with Lifetime(tmp_path, clock, storage=False) as h2:
        await feed(h2, [104.0, 103.0])
        assert h2.states() == [("latency", "pending"), ("latency", "firing")]  # 104 > 50


async def test_a_damaged_baseline_state_is_skipped(tmp_path: Path) -> None:
    clock = FakeClock()
    async with Lifetime(tmp_path, clock) as h:
        await feed(h, BASELINE[:3])
        h.log_conn.runtime.inline.dump = lambda: b"{not json"  # type: ignore[method-assign]
    async with Lifetime(tmp_path, clock) as h2:
        assert h2.log_conn.runtime.inline.updates == (0, 0)  # started afresh
        await feed(h2, [100.0])

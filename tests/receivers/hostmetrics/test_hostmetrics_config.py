"""hostmetrics config: toggles with the Collector's defaults, include/exclude filters,
scheduling on a FakeClock, and validation errors with file:line."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from otelpy import cli
from otelpy.component import ComponentID, Kind, Settings
from otelpy.receivers.hostmetrics.metadata import SCRAPERS
from otelpy.telemetry import Telemetry
from otelpy.testing.clock import FakeClock

from .hostdata import make, points, read, scrape

DEFAULTS = [(m.name, m.enabled) for ms in SCRAPERS.values() for m in ms]


@pytest.mark.parametrize(("scraper", "defaults"), [
    ("cpu", {"system.cpu.time"}),
    ("memory", {"system.memory.usage"}),
    ("load", {"system.cpu.load_average.1m", "system.cpu.load_average.5m",
              "system.cpu.load_average.15m"}),
    ("paging", {"system.paging.usage", "system.paging.operations", "system.paging.faults"}),
    ("processes", {"system.processes.count", "system.processes.created"}),
    ("network", {"system.network.packets", "system.network.dropped", "system.network.errors",
                 "system.network.io", "system.network.connections"}),
], ids=lambda v: v if isinstance(v, str) else "")
async def test_default_metrics_are_the_collectors(scraper: str, defaults: set[str]) -> None:
    pts = await scrape({"scrapers": {scraper: None}})
    got = {p.metric.name for p in pts}
    if scraper == "paging":  # a host without swap has no usage points
        got.add("system.paging.usage")
    assert got == defaults


@pytest.mark.parametrize(("metrics", "present", "absent"), [
    ({"system.cpu.time": {"enabled": False}}, set(), {"system.cpu.time"}),
    ({"system.cpu.logical.count": {"enabled": True}}, {"system.cpu.time",
                                                        "system.cpu.logical.count"}, set()),
    ({"system.cpu.time": None}, {"system.cpu.time"}, {"system.cpu.utilization"}),
    ({"system.cpu.utilization": {}}, {"system.cpu.time"}, {"system.cpu.utilization"}),
], ids=["disable-default", "enable-optional", "null-keeps-default", "empty-keeps-default"])
async def test_metric_toggles(metrics: dict[str, Any], present: set[str],
                              absent: set[str]) -> None:
    pts = await scrape({"scrapers": {"cpu": {"metrics": metrics}}})
    names = {p.metric.name for p in pts}
    assert present <= names and not absent & names


async def test_utilization_appears_from_the_second_scrape_on() -> None:
    clock = FakeClock()  # 10 s pass between the scrapes on the receiver's clock
    settings = Settings(ComponentID("hostmetrics"), Kind.RECEIVER,
                        logging.getLogger("test"), Telemetry(), clock)
    receiver, sink = make({"scrapers": {"cpu": {"metrics": {
        "system.cpu.utilization": {"enabled": True}}}}}, settings)
    await receiver.scrape_once()
    assert "system.cpu.utilization" not in {p.metric.name for p in points(sink.batches)}
    await clock.advance(10)
    await receiver.scrape_once()
    util = [p for p in points(sink.batches[1:]) if p.metric.name == "system.cpu.utilization"]
    # the CPU time that really passed (well under 10 s per CPU) divided by 10 s
    assert util and all(0.0 <= p.value < 1.0 for p in util)
    assert len(util) == 8 * len({p.attributes["cpu"] for p in util})


def _fs(**filters: Any) -> dict[str, Any]:
    return {"scrapers": {"filesystem": {"include_virtual_filesystems": True, **filters}}}


@pytest.mark.parametrize(("doc", "mountpoints"), [
    (_fs(include_mount_points={"mount_points": ["/", "/proc"], "match_type": "strict"}),
     {"/", "/proc"}),
    (_fs(include_mount_points={"mount_points": ["^/proc$", "^/$"], "match_type": "regexp"},
         exclude_fs_types={"fs_types": ["proc"], "match_type": "strict"}), {"/"}),
    (_fs(include_fs_types={"fs_types": ["^pro"], "match_type": "regexp"},
         include_mount_points={"mount_points": ["/proc"], "match_type": "strict"}), {"/proc"}),
    (_fs(include_devices={"devices": ["proc"], "match_type": "strict"},
         include_mount_points={"mount_points": ["/proc"], "match_type": "strict"}), {"/proc"}),
    (_fs(exclude_devices={"devices": ["proc"], "match_type": "strict"},
         include_mount_points={"mount_points": ["/proc"], "match_type": "strict"}), set()),
    ({"scrapers": {"filesystem": {"include_mount_points": {"mount_points": ["/proc"],
                                                           "match_type": "strict"}}}}, set()),
], ids=["strict-mounts", "regexp-and-exclude-type", "fs-type", "device", "exclude-device",
        "virtual-excluded-by-default"])
async def test_filesystem_filters(doc: dict[str, Any], mountpoints: set[str]) -> None:
    pts = await scrape(doc)
    assert {p.attributes["mountpoint"] for p in pts} == mountpoints


@pytest.mark.parametrize(("disk", "want_lo"), [
    ({"include": {"interfaces": ["lo"], "match_type": "strict"}}, True),
    ({"exclude": {"interfaces": ["l."], "match_type": "regexp"}}, False),
    ({"include": {"interfaces": ["nope"], "match_type": "strict"}}, False),
], ids=["include-strict", "exclude-regexp", "include-nothing"])
async def test_network_filters(disk: dict[str, Any], want_lo: bool) -> None:
    pts = await scrape({"scrapers": {"network": disk}})
    devices = {p.attributes.get("device") for p in pts} - {None}
    assert ("lo" in devices) is want_lo


async def test_disk_filters() -> None:
    names = [line.split()[2] for line in read("/proc/diskstats").splitlines()]
    first = names[0]
    pts = await scrape({"scrapers": {"disk": {"include": {"devices": [first],
                                                          "match_type": "strict"}}}})
    assert {p.attributes["device"] for p in pts} == {first}
    pts = await scrape({"scrapers": {"disk": {"exclude": {"devices": [".*"],
                                                          "match_type": "regexp"}}}})
    assert pts == []


async def test_collection_interval_and_initial_delay_on_a_fake_clock() -> None:
    clock = FakeClock()
    settings = Settings(ComponentID("hostmetrics"), Kind.RECEIVER,
                        logging.getLogger("test"), Telemetry(), clock)
    receiver, sink = make({"collection_interval": "10s", "initial_delay": "3s",
                           "scrapers": {"load": None}}, settings)
    await receiver.start()
    try:
        await clock.advance(2.9)
        assert len(sink.batches) == 0
        await _advance_until(clock, sink, 1, 0.2)
        await clock.advance(9.5)
        assert len(sink.batches) == 1
        await _advance_until(clock, sink, 2, 0.6)
        await _advance_until(clock, sink, 3, 10)  # each tick once the last scrape is done
        await _advance_until(clock, sink, 4, 10)
        stamps = [points([b])[0].time_ns for b in sink.batches]
        assert stamps[1] - stamps[0] == 10_000_000_000
    finally:
        await receiver.shutdown()
        await receiver.shutdown()
    assert clock.sleepers == 0


async def _advance_until(clock: FakeClock, sink: Any, count: int, step: float) -> None:
    """Advance by ``step`` and let the scrape thread finish (real time, bounded)."""
    import asyncio

    await clock.advance(step)
    for _ in range(2000):
        if len(sink.batches) >= count:
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"{len(sink.batches)} batches, wanted {count}")


BAD = [
    ("scrapers:\n    cpuu:\n", "scrapers::cpuu", "cpu"),
    ("scrapers:\n    cpu:\n      metrics:\n        system.cpu.tim:\n          enabled: true\n",
     "scrapers::cpu::metrics::system.cpu.tim", "system.cpu.time"),
    ("scrapers:\n    disk:\n      include:\n        devices: [sda]\n        match_type: glob\n",
     "scrapers::disk::include::match_type", "unrecognized match_type"),
    ("scrapers:\n    process:\n      include:\n        names: ['(']\n        match_type: regexp\n",
     "scrapers::process::include::0", "invalid regular expression"),
    ("collection_interval: 0s\n  scrapers:\n    cpu:\n", "collection_interval", ""),
    ("scrapers: {}\n", "scrapers", "at least one scraper"),
    ("root_path: /no/such/dir\n  scrapers:\n    cpu:\n", "root_path", "invalid root_path"),
]


@pytest.mark.parametrize(("body", "path", "text"), BAD,
                         ids=["unknown-scraper", "unknown-metric", "match-type", "bad-regexp",
                              "zero-interval", "no-scrapers", "root-path"])
def test_validation_errors_name_file_line_and_path(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, path: str,
        text: str) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("receivers:\n  hostmetrics:\n    " + body.replace("\n", "\n  ").rstrip()
                      + "\nexporters:\n  debug:\nservice:\n  pipelines:\n    metrics:\n"
                      "      receivers: [hostmetrics]\n      exporters: [debug]\n")
    assert cli.main(["validate", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    line = next((ln for ln in err.splitlines() if f"hostmetrics::{path}" in ln), "")
    assert line.startswith(f"error: {config}:"), err
    assert text in line, err


def test_every_metric_has_a_toggle_with_the_collectors_default() -> None:
    from otelpy.receivers.hostmetrics.config import METRICS_MODELS, enabled_flags

    got = [(name, on) for scraper in SCRAPERS
           for name, on in enabled_flags(METRICS_MODELS[scraper]()).items()]
    assert got == DEFAULTS
    assert ("process.cpu.utilization", False) in got and ("system.disk.io", True) in got

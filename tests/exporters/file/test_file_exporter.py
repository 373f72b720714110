"""file exporter: JSON lines and length-prefixed protobuf read back, zstd, append, rotation."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path

import pytest
import zstandard

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.exporters.file import FileConfig, FileExporter, factory
from otelpy.exporters.file.writer import backup_name
from otelpy.pdata import SPECS, Batch, otlpjson
from otelpy.telemetry import Telemetry
from otelpy.testing.samples import logs_request, metrics_request, traces_request
from otelpy.testing.sink import FakeHost

LABELS = {"exporter": "file"}


async def exporter(tel: Telemetry, **cfg) -> FileExporter:
    config = FileConfig.model_validate(cfg)
    assert config.validate_config() == []
    settings = Settings(ComponentID("file"), Kind.EXPORTER, logging.getLogger("t.file"), tel)
    ex = factory.create(settings, config, frozenset(Signal))
    await ex.start(FakeHost())
    return ex


def samples() -> list[Batch]:
    return [
        Batch.from_bytes(Signal.TRACES, traces_request(50).SerializeToString()),
        Batch.from_bytes(Signal.METRICS, metrics_request(12).SerializeToString()),
        Batch.from_bytes(Signal.LOGS, logs_request(7).SerializeToString()),
    ]


def read_prefixed(raw: bytes) -> list[bytes]:
    out, pos = [], 0
    while pos < len(raw):
        n = int.from_bytes(raw[pos:pos + 4], "big")
        out.append(raw[pos + 4:pos + 4 + n])
        pos += 4 + n
    assert pos == len(raw)
    return out


async def test_json_lines_parse_back(tmp_path: Path) -> None:
    tel = Telemetry()
    path = tmp_path / "out.json"
    ex = await exporter(tel, path=str(path))
    batches = samples()
    for b in batches:
        await ex.consume(b)
    await ex.shutdown()
    lines = path.read_bytes().splitlines()
    assert len(lines) == 3
    for line, batch in zip(lines, batches, strict=True):
        assert otlpjson.decode(batch.signal, line) == batch.message
    assert lines[0].startswith(b'{"resourceSpans":')
    assert tel.value("otelcol_exporter_sent_spans_total", LABELS) == 50
    assert tel.value("otelcol_exporter_sent_log_records_total", LABELS) == 7


async def test_proto_is_length_prefixed(tmp_path: Path) -> None:
    path = tmp_path / "out.binpb"
    ex = await exporter(Telemetry(), path=str(path), format="proto")
    batches = samples()
    for b in batches:
        await ex.consume(b)
    await ex.shutdown()
    records = read_prefixed(path.read_bytes())
    assert records == [b.data for b in batches]
    assert SPECS[Signal.METRICS].request.FromString(records[1]) == metrics_request(12)


@pytest.mark.parametrize("fmt", ["json", "proto"])
async def test_zstd_compresses_each_record(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"out.{fmt}.zst"
    ex = await exporter(Telemetry(), path=str(path), format=fmt, compression="zstd")
    batches = samples()
    for b in batches:
        await ex.consume(b)
    await ex.shutdown()
    dctx = zstandard.ZstdDecompressor()
    records = [dctx.decompress(r) for r in read_prefixed(path.read_bytes())]
    for rec, batch in zip(records, batches, strict=True):
        if fmt == "json":
            assert rec.endswith(b"\n")
            assert otlpjson.decode(batch.signal, rec) == batch.message
        else:
            assert rec == batch.data


async def test_append_keeps_and_truncate_replaces(tmp_path: Path) -> None:
    path = tmp_path / "out.json"
    path.write_bytes(b'{"resourceLogs":[]}\n')
    ex = await exporter(Telemetry(), path=str(path), append=True)
    await ex.consume(samples()[2])
    await ex.shutdown()
    assert len(path.read_bytes().splitlines()) == 2
    fresh = tmp_path / "fresh.json"
    fresh.write_bytes(b'{"resourceLogs":[]}\n')
    ex = await exporter(Telemetry(), path=str(fresh))
    await ex.consume(samples()[2])
    await ex.shutdown()
    assert len(fresh.read_bytes().splitlines()) == 1  # started anew
    ex = await exporter(Telemetry(), path=str(fresh))  # re-opened, as after a config reload
    await ex.consume(samples()[2])
    await ex.shutdown()
    assert len(fresh.read_bytes().splitlines()) == 2  # the reload kept what was written


async def test_flush_interval_zero_flushes_every_batch(tmp_path: Path) -> None:
    path = tmp_path / "out.json"
    ex = await exporter(Telemetry(), path=str(path), flush_interval=0)
    await ex.consume(samples()[0])
    assert path.read_bytes().count(b"\n") == 1  # visible before shutdown
    await ex.shutdown()


async def test_flush_interval_flushes_in_background(tmp_path: Path) -> None:
    path = tmp_path / "out.json"
    ex = await exporter(Telemetry(), path=str(path), flush_interval="50ms")
    await ex.consume(samples()[2])
    assert path.read_bytes() == b""  # still buffered
    deadline = time.monotonic() + 2
    while not path.read_bytes() and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.02)
    assert path.read_bytes().count(b"\n") == 1
    await ex.shutdown()


async def test_rotation_creates_backups_and_prunes(tmp_path: Path) -> None:
    path = tmp_path / "spans.json"
    big = Batch.from_bytes(Signal.TRACES, traces_request(600).SerializeToString())
    ex = await exporter(Telemetry(), path=str(path), flush_interval=0,
                        rotation={"max_megabytes": 1, "max_backups": 2})
    line = len(otlpjson.encode_bytes(big.message)) + 1
    assert 1024 * 1024 // 3 < line < 1024 * 1024 // 2  # two lines fit in a file, not three
    for _ in range(8):  # 4 files: 3 rotations, the oldest backup pruned
        await ex.consume(big)
    await ex.shutdown()
    check_rotated(ex, path, line, big)


def check_rotated(ex: FileExporter, path: Path, line: int, big: Batch) -> None:
    backups = ex.writer.backups()
    assert len(backups) == 2, [p.name for p in path.parent.iterdir()]
    for p in [*backups, path]:
        assert p.stat().st_size == 2 * line <= 1024 * 1024
        for text in p.read_bytes().splitlines():
            assert otlpjson.decode(Signal.TRACES, text) == big.message
        assert p.name.startswith("spans-") or p == path
    assert sorted(p.name for p in path.parent.iterdir()) == sorted(
        [path.name, *(p.name for p in backups)])


async def test_rotation_backs_up_existing_file_unless_appending(tmp_path: Path) -> None:
    path = tmp_path / "logs.json"
    path.write_bytes(b"old\n")
    ex = await exporter(Telemetry(), path=str(path), rotation={"max_days": 1})
    await ex.consume(samples()[2])
    await ex.shutdown()
    backups = ex.writer.backups()
    assert len(backups) == 1 and backups[0].read_bytes() == b"old\n"
    assert path.read_bytes().count(b"\n") == 1


def test_max_days_prunes_old_backups(tmp_path: Path) -> None:
    from datetime import datetime

    from otelpy.exporters.file.config import RotationSettings
    from otelpy.exporters.file.writer import FileWriter

    path = tmp_path / "x.log"
    old = backup_name(path, datetime(2020, 1, 1, 12, 0, 0, 5000))
    assert old.name == "x-2020-01-01T12-00-00.005.log"
    old.write_bytes(b"1")
    ten_days = time.time() - 10 * 86400
    os.utime(old, (ten_days, ten_days))
    unrelated = tmp_path / "x-notes.log"
    unrelated.write_bytes(b"keep")
    w = FileWriter(str(path), False, RotationSettings(max_megabytes=1, max_days=3))
    path.write_bytes(b"current")
    w.open()  # rotates the existing file and prunes
    w.close()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert old.name not in names and "x-notes.log" in names and len(names) == 3


async def test_missing_directory_fails_start(tmp_path: Path) -> None:
    cfg = FileConfig(path=str(tmp_path / "nope" / "out.json"))
    ex = FileExporter(Settings(ComponentID("file"), Kind.EXPORTER, logging.getLogger("t"),
                               Telemetry()), cfg, [Signal.TRACES])
    with pytest.raises(OSError):
        await ex.start(FakeHost())
    await ex.shutdown()


def test_config_rules() -> None:
    assert FileConfig().validate_config() == ["path: must be set"]
    assert FileConfig(path="x", append=True, compression="zstd").validate_config() == [
        "append: cannot be combined with compression"]
    d = FileConfig(path="x")
    assert (d.format, d.flush_interval, d.append, d.rotation) == ("json", 1.0, False, None)
    for name, field in FileConfig.model_fields.items():
        assert field.description, name


def test_create_refuses_an_invalid_config() -> None:
    settings = Settings(ComponentID("file"), Kind.EXPORTER, logging.getLogger("t"), Telemetry())
    with pytest.raises(ValueError, match="path: must be set"):
        factory.create(settings, FileConfig(), frozenset({Signal.LOGS}))

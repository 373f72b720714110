"""``otelpy storage check|repair DIR`` on real log directories."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from otelpy.cli import main
from otelpy.storage import DurableLog, LogOptions, log_directory
from otelpy.storage.inspect import check_log, find_logs


async def make_log(path: Path, n: int, ack: int = 0) -> list[int]:
    """A log with ``n`` records of 1000 bytes, the first ``ack`` acknowledged; returns
    the payload offsets."""
    log = await DurableLog.open(path, LogOptions(segment_size=2500), lambda c, m: None)
    refs = [await log.append([bytes([i]) * 1000], i, lambda r: None) for i in range(n)]
    for ref in refs[:ack]:
        log.ack(ref.seq)
    await log.close()
    return [r.offset for r in refs]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["storage", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_check_reports_each_queue(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    asyncio.run(make_log(log_directory(tmp_path, "otlphttp/backend", "traces"), 5, ack=1))
    asyncio.run(make_log(log_directory(tmp_path, "otlp", "logs"), 2))
    assert find_logs(tmp_path) == [tmp_path / "otlp" / "logs",
                                   tmp_path / "otlphttp%2Fbackend" / "traces"]
    code, out, _ = run(capsys, "check", str(tmp_path))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["LOG", "SEGMENTS", "RECORDS"]
    row = next(ln for ln in lines if ln.startswith("otlphttp/backend/traces")).split()
    # records 2+3 still on disk (segment 1 holds records 1-2, 1 acknowledged), 4 pending
    assert row[1:6] == ["3", "5", "4", str(5 * 1028), "0"]
    assert "pointer 2" in out
    report = check_log(tmp_path / "otlp" / "logs")
    assert (report.records, report.pending, report.corrupt) == (2, 2, 0)


def test_check_finds_damage_and_repair_cleans_it(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    queue = log_directory(tmp_path, "otlp", "traces")
    offsets = asyncio.run(make_log(queue, 6))
    segs = sorted(queue.glob("*.seg"))
    with open(segs[0], "r+b") as f:  # flip a payload byte of record 2
        f.seek(offsets[1] + 10)
        f.write(b"\xff")
    with open(segs[-1], "r+b") as f:  # cut the last record short: a torn tail
        f.truncate(segs[-1].stat().st_size - 10)
    (queue / "00000000000000000099.seg").write_bytes(b"")
    code, out, err = run(capsys, "check", str(tmp_path))
    assert code == 1
    row = next(ln for ln in out.splitlines() if ln.startswith("otlp/traces")).split()
    assert row[1:3] == ["4", "4"] and row[5] == "2"
    assert "bad checksum in record 2" in out and "torn tail" in out
    assert "2 damaged record(s)" in err
    code, out, _ = run(capsys, "repair", str(tmp_path))
    assert code == 0
    assert "rewritten" in out and "deleted" in out
    code, out, _ = run(capsys, "check", str(tmp_path))
    assert code == 0
    report = check_log(queue)
    assert (report.records, report.corrupt, report.segments) == (4, 0, 3)

    async def reopen() -> list[int]:
        log = await DurableLog.open(queue, LogOptions(), lambda c, m: None)
        metas = [r.meta for r in log.recovery.records]
        assert [await log.read(r) for r in log.recovery.records] == [
            bytes([m]) * 1000 for m in metas]
        await log.close()
        return metas

    assert asyncio.run(reopen()) == [0, 2, 3, 4]


def test_repair_refuses_a_log_in_use(tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    queue = tmp_path / "q"

    async def scenario() -> tuple[int, str, int, str]:
        log = await DurableLog.open(queue, LogOptions(), lambda c, m: None)
        await log.append([b"x"], 1, lambda r: None)
        code, out, err = await asyncio.to_thread(run, capsys, "repair", str(tmp_path))
        check_code, check_out, _ = await asyncio.to_thread(run, capsys, "check", str(tmp_path))
        await log.close()
        return code, err, check_code, check_out

    code, err, check_code, check_out = asyncio.run(scenario())
    assert code == 1 and "in use" in err
    assert check_code == 0 and "in use by a running process" in check_out


def test_damaged_ack_file_is_reported_and_removed(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    queue = tmp_path / "q"
    asyncio.run(make_log(queue, 2, ack=1))
    (queue / "ack").write_bytes(b"garbage")
    code, out, _ = run(capsys, "check", str(tmp_path))
    assert code == 1 and "ack: ack file too short" in out
    code, out, _ = run(capsys, "repair", str(tmp_path))
    assert code == 0 and "every record will be delivered again" in out
    assert not (queue / "ack").exists()
    assert run(capsys, "check", str(tmp_path))[0] == 0


def test_not_a_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "check", str(tmp_path / "nope"))
    assert code == 2 and "is not a directory" in err
    code, out, _ = run(capsys, "check", str(tmp_path))
    assert code == 0 and "no storage logs" in out

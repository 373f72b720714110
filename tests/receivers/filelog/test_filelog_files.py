"""filelog on real files: start_at, rotation (rename and copytruncate), truncation,
deletion, a file replaced by a directory, multiline, encodings and bad bytes, a 10 MB line,
delete_after_read."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from .harness import Running, config, write


async def test_start_at_beginning_then_appended_lines(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write(log, "one", "two")
    run = await Running(config(include=[str(tmp_path / "*.log")])).start()
    try:
        assert await run.wait_bodies(2) == ["one", "two"]
        write(log, "three")
        assert await run.wait_bodies(3) == ["one", "two", "three"]
        record = run.records()[0].record
        assert {kv.key: kv.value.string_value for kv in record.attributes} == {
            "log.file.name": "app.log"}
        assert record.observed_time_unix_nano > 0
    finally:
        await run.stop()


async def test_start_at_end_skips_what_was_there(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write(log, "old 1", "old 2")
    run = await Running(config(include=[str(tmp_path / "*.log")], start_at="end")).start()
    try:
        await run.settle()
        write(log, "new 1")
        later = tmp_path / "later.log"  # found after the first poll: read from its start
        write(later, "later 1")
        bodies = await run.wait_bodies(2)
        assert sorted(bodies) == ["later 1", "new 1"]
    finally:
        await run.stop()


async def test_rotation_by_rename_within_the_pattern(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    run = await Running(config(include=[str(tmp_path / "app.log*")])).start()
    try:
        write(log, *[f"a{i}" for i in range(100)])
        await run.wait_bodies(100)
        write(log, *[f"b{i}" for i in range(50)])  # maybe unread when it moves
        log.rename(tmp_path / "app.log.1")
        write(tmp_path / "app.log.1", "late line in the rotated file")
        write(log, *[f"c{i}" for i in range(50)])
        bodies = await run.wait_bodies(201)
        await run.settle()
        bodies = run.bodies()
        assert sorted(bodies) == sorted([f"a{i}" for i in range(100)] +
                                        [f"b{i}" for i in range(50)] +
                                        [f"c{i}" for i in range(50)] +
                                        ["late line in the rotated file"])
    finally:
        await run.stop()


async def test_rotation_by_move_out_of_the_pattern_is_drained(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    archive = tmp_path / "archive"
    archive.mkdir()
    run = await Running(config(include=[str(log)])).start()
    try:
        write(log, "first")
        await run.wait_bodies(1)
        with log.open("a") as f:  # write, move away and write again through the same handle
            f.write("second\n")
            f.flush()
            log.rename(archive / "app.log.1")
            f.write("third\n")
        write(log, "fourth")
        await run.wait_bodies(4)
        await run.settle()
        assert sorted(run.bodies()) == ["first", "fourth", "second", "third"]
    finally:
        await run.stop()


async def test_copytruncate(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    run = await Running(config(include=[str(tmp_path / "app.log*")])).start()
    try:
        write(log, *[f"a{i}" for i in range(20)])
        await run.wait_bodies(20)
        write(log, "b0", "b1")  # perhaps not read before the copy
        shutil.copyfile(log, tmp_path / "app.log.1")
        with log.open("r+") as f:
            f.truncate(0)
        write(log, "c0 after truncation", "c1")
        await run.wait_bodies(24)
        await run.settle()
        assert sorted(run.bodies()) == sorted([f"a{i}" for i in range(20)] +
                                              ["b0", "b1", "c0 after truncation", "c1"])
    finally:
        await run.stop()


async def test_truncation_with_the_same_first_bytes_reads_from_the_start(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    header = "HEADER-0123456789"  # longer than the fingerprint
    run = await Running(config(include=[str(log)], fingerprint_size=16)).start()
    try:
        write(log, header, "x" * 200, "y" * 200)
        await run.wait_bodies(3)
        write(log, header, "after", mode="w")  # truncated below the offset, same first bytes
        bodies = await run.wait_bodies(5)
        assert bodies[3:] == [header, "after"]
        assert run.counter("otelpy_filelog_file_events_total", event="truncated") == 1
    finally:
        await run.stop()


async def test_deleted_file_and_a_new_one_at_its_name(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    run = await Running(config(include=[str(log)])).start()
    try:
        write(log, "before delete")
        await run.wait_bodies(1)
        log.unlink()
        await run.settle()
        write(log, "new file")
        assert await run.wait_bodies(2) == ["before delete", "new file"]
    finally:
        await run.stop()


async def test_file_replaced_by_a_directory(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    other = tmp_path / "other.log"
    run = await Running(config(include=[str(tmp_path / "*.log")])).start()
    try:
        write(log, "from the file")
        await run.wait_bodies(1)
        log.unlink()
        log.mkdir()
        (log / "inside").write_text("not read\n")
        await run.settle()
        write(other, "still reading")
        assert await run.wait_bodies(2) == ["from the file", "still reading"]
        assert run.counter("otelpy_filelog_file_events_total", event="skipped") == 1
        assert run.receiver._task is not None and not run.receiver._task.done()
    finally:
        await run.stop()


async def test_multiline_line_start_pattern(tmp_path: Path) -> None:
    # filelogreceiver README "Example - Multiline logs parsing"
    log = tmp_path / "multi.log"
    trace = ["Exception in thread 1 \"main\" java.lang.NullPointerException",
             "        at com.example.myproject.Book.getTitle(Book.java:16)",
             "        at com.example.myproject.Author.getBookTitles(Author.java:25)"]
    write(log, *trace, *[t.replace("thread 1", "thread 2") for t in trace])
    run = await Running(config(include=[str(log)],
                               multiline={"line_start_pattern": "^Exception"})).start()
    try:
        bodies = await run.wait_bodies(2)  # the last one after force_flush_period
        assert bodies == ["\n".join(trace),
                          "\n".join(t.replace("thread 1", "thread 2") for t in trace)]
    finally:
        await run.stop()


async def test_multiline_line_end_pattern(tmp_path: Path) -> None:
    log = tmp_path / "multi.log"
    log.write_text("a1\na2 END\nb1\nb2 END\n")
    run = await Running(config(include=[str(log)],
                               multiline={"line_end_pattern": "END"})).start()
    try:
        assert await run.wait_bodies(2) == ["a1\na2 END", "b1\nb2 END"]
    finally:
        await run.stop()


async def test_bad_bytes_and_encodings(tmp_path: Path) -> None:
    (tmp_path / "bad.log").write_bytes(b"ok \xff\xfe bytes\nnext\n")
    (tmp_path / "latin.log").write_bytes("caf\xe9\n".encode("latin-1"))
    (tmp_path / "wide.log").write_bytes("h\u00e9llo\nw\u00f6rld\n".encode("utf-16-le"))
    runs = [await Running(config(include=[str(tmp_path / name)], encoding=enc)).start()
            for name, enc in (("bad.log", "utf-8"), ("latin.log", "latin-1"),
                              ("wide.log", "utf-16le"), ("bad.log", "nop"))]
    try:
        assert await runs[0].wait_bodies(2) == ["ok \ufffd\ufffd bytes", "next"]
        assert await runs[1].wait_bodies(1) == ["caf\u00e9"]
        assert await runs[2].wait_bodies(2) == ["h\u00e9llo", "w\u00f6rld"]
        assert await runs[3].wait_bodies(2) == [b"ok \xff\xfe bytes", b"next"]
    finally:
        for run in runs:
            await run.stop()


async def test_a_10_mb_line_is_cut_to_max_log_size_and_counted(tmp_path: Path) -> None:
    log = tmp_path / "big.log"
    with log.open("w") as f:
        f.write("before\n")
        f.write("x" * (10 * 1024 * 1024) + "\n")
        f.write("after\n")
    run = await Running(config(include=[str(log)])).start()
    try:
        bodies = await run.wait_bodies(3)
        assert bodies[0] == "before" and bodies[2] == "after"
        assert bodies[1] == "x" * (1024 * 1024)
        assert run.counter("otelpy_filelog_truncated_records_total") == 1
    finally:
        await run.stop()


async def test_delete_after_read(tmp_path: Path) -> None:
    log = tmp_path / "once.log"
    write(log, "read me", "then delete")
    run = await Running(config(include=[str(log)], delete_after_read=True)).start()
    try:
        assert await run.wait_bodies(2) == ["read me", "then delete"]
        await run.settle()
        assert not log.exists()
    finally:
        await run.stop()


async def test_unterminated_last_line_waits_for_force_flush(tmp_path: Path) -> None:
    log = tmp_path / "partial.log"
    log.write_text("complete\npart")
    run = await Running(config(include=[str(log)], force_flush_period="60s")).start()
    try:
        await run.wait_bodies(1)
        await run.settle()
        assert run.bodies() == ["complete"]  # "part" may still be being written
        with log.open("a") as f:
            f.write("ial\n")
        assert await run.wait_bodies(2) == ["complete", "partial"]
    finally:
        await run.stop()


async def test_file_path_attributes(tmp_path: Path) -> None:
    real = tmp_path / "real.log"
    link = tmp_path / "link.log"
    write(real, "x")
    os.symlink(real, link)
    run = await Running(config(include=[str(link)], include_file_path=True,
                               include_file_name_resolved=True,
                               include_file_path_resolved=True,
                               attributes={"team": "a"}, resource={"host.name": "h"})).start()
    try:
        await run.wait_bodies(1)
        item = run.records()[0]
        assert {kv.key: kv.value.string_value for kv in item.record.attributes} == {
            "log.file.name": "link.log", "log.file.path": str(link),
            "log.file.name_resolved": "real.log", "log.file.path_resolved": str(real),
            "team": "a"}
        assert dict(item.resource_attributes) == {"host.name": "h"}
    finally:
        await run.stop()

"""Offsets kept in file_storage: a restarted receiver resumes where the last delivered batch
ended, and entries held by recombine are read again rather than lost."""

from __future__ import annotations

from pathlib import Path

from .harness import Running, config, write


async def test_restart_resumes_from_the_saved_offsets(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    state = tmp_path / "state"
    state.mkdir()
    cfg = config(include=[str(log)], storage="file_storage", start_at="end")
    write(log, "before the first start")  # start_at end: skipped
    first = await Running(cfg, state).start()
    try:
        await first.settle()
        write(log, "one", "two")
        assert await first.wait_bodies(2) == ["one", "two"]
    finally:
        await first.stop()
    write(log, "three", "four")  # written while stopped
    second = await Running(cfg, state).start()
    try:
        assert await second.wait_bodies(2) == ["three", "four"]
        await second.settle()
        assert second.bodies() == ["three", "four"]
    finally:
        await second.stop()


async def test_a_file_skipped_at_start_at_end_is_remembered_at_shutdown(tmp_path: Path) -> None:
    """Nothing was read (so nothing saved while running), yet what is written while stopped
    is read at the next start: the file is known, not first seen at ``start_at: end``. The
    same save covers a run task cancelled between a delivery and its save."""
    log = tmp_path / "app.log"
    state = tmp_path / "state"
    state.mkdir()
    cfg = config(include=[str(log)], storage="file_storage", start_at="end")
    write(log, "before the first start")
    first = await Running(cfg, state).start()
    try:
        await first.settle()
        assert first.bodies() == []
    finally:
        await first.stop()
    write(log, "while stopped")
    second = await Running(cfg, state).start()
    try:
        assert await second.wait_bodies(1) == ["while stopped"]
    finally:
        await second.stop()


async def test_held_multiline_parts_are_read_again_after_a_restart(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    state = tmp_path / "state"
    state.mkdir()
    ops = [{"type": "recombine", "combine_field": "body", "is_first_entry": "body matches '^E'",
            "force_flush_period": "1h"}]
    cfg = config(include=[str(log)], storage="file_storage", operators=ops)
    write(log, "E1", "a", "E2", "b")  # E2 + b stay held in recombine
    first = await Running(cfg, state).start()
    try:
        assert await first.wait_bodies(1) == ["E1\na"]
        await first.settle()
        # what the checkpoint says is the start of E2: not yet delivered
        assert first.receiver.files is not None
        assert first.receiver.files.open[0].meta.offset == len("E1\na\n")
    finally:
        first.receiver.pipeline.flush_all = lambda: None  # type: ignore[method-assign]
        await first.stop()  # as after kill -9: the held entries go with the process

    write(log, "c", "E3")
    second = await Running(cfg, state).start()
    try:
        assert await second.wait_bodies(1) == ["E2\nb\nc"]
    finally:
        await second.stop()


async def test_shutdown_flushes_held_entries(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    ops = [{"type": "recombine", "combine_field": "body", "is_first_entry": "body matches '^E'",
            "force_flush_period": "1h"}]
    write(log, "E1", "a", "E2", "b")
    run = await Running(config(include=[str(log)], operators=ops)).start()
    await run.wait_bodies(1)
    await run.settle()
    await run.stop()
    assert run.bodies() == ["E1\na", "E2\nb"]

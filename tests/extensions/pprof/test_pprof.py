"""pprof: a real otelpy process under OTLP/HTTP load answers a CPU profile that pyinstrument
loads and that shows otelpy's own code, while the loop keeps serving; save_to_file writes
the whole run at shutdown. In-process: formats, refusals (400, 409, 503), Go-only keys,
the bounded whole-run table, and pyinstrument staying out of `validate`."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import logging
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pyinstrument.session import Session

from otelpy.component import Kind
from otelpy.errors import ComponentStartError
from otelpy.extensions.pprof import PprofConfig, PprofExtension, profiler
from otelpy.extensions.pprof.extension import parse_seconds
from otelpy.telemetry import Telemetry
from otelpy.testing.authhost import create_component
from otelpy.testing.process import OtelpyProcess, free_ports, wait_until
from otelpy.testing.samples import traces_request
from otelpy.testing.sink import FakeHost

OTLP_DIR = str(Path(importlib.util.find_spec("otelpy.receivers.otlp").origin).parent)  # type: ignore[arg-type, union-attr]
BATCH_DIR = str(Path(importlib.util.find_spec("otelpy.processors.batch").origin).parent)  # type: ignore[arg-type, union-attr]


def _files(doc: dict[str, Any]) -> set[str]:
    """The source files of every frame in a pyinstrument session document."""
    return {frame.split("\x00")[1] for stack, _ in doc["frame_records"] for frame in stack
            if frame.count("\x00") >= 2}


class Load:
    """A thread posting OTLP/HTTP trace requests in a loop, counting the answered ones."""

    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}/v1/traces"
        self.body = traces_request(50).SerializeToString()
        self.ok = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            req = urllib.request.Request(self.url, data=self.body, method="POST",
                                         headers={"Content-Type": "application/x-protobuf"})
            with urllib.request.urlopen(req, timeout=30) as resp:
                if resp.status == 200:
                    self.ok += 1

    def __enter__(self) -> Load:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(60)
        assert not self._thread.is_alive()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@pytest.fixture
def loaded(tmp_path: Path) -> Iterator[tuple[OtelpyProcess, int, Load]]:
    otlp, pprof, metrics = free_ports(3)
    config = {
        "receivers": {"otlp": {"protocols": {"http": {"endpoint": f"127.0.0.1:{otlp}"}}}},
        "processors": {"batch": {"timeout": "20ms"}},
        "exporters": {"file": {"path": str(tmp_path / "out.jsonl")}},
        "extensions": {"pprof": {"endpoint": f"127.0.0.1:{pprof}",
                                 "save_to_file": str(tmp_path / "run.pyisession"),
                                 "mutex_profile_fraction": 5}},
        "service": {"extensions": ["pprof"],
                    "telemetry": {"metrics": {"address": f"127.0.0.1:{metrics}"}},
                    "pipelines": {"traces": {"receivers": ["otlp"], "processors": ["batch"],
                                             "exporters": ["file"]}}},
    }
    proc = OtelpyProcess(tmp_path, config, extra_ports=[pprof]).start()
    with Load(otlp) as load:
        wait_until(lambda: load.ok >= 20, 60, "20 OTLP requests answered")
        yield proc, pprof, load
    if proc.alive:
        proc.stop()


def test_profile_under_load(loaded: tuple[OtelpyProcess, int, Load], tmp_path: Path) -> None:
    proc, port, load = loaded
    before = load.ok
    url = f"http://127.0.0.1:{port}/debug/pprof/profile?seconds=2"
    with urllib.request.urlopen(url, timeout=60) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "application/json"
        assert resp.headers["Content-Disposition"] == (
            'attachment; filename="otelpy-profile.pyisession"')
        doc = json.loads(resp.read())
    served = load.ok - before
    assert served >= 10, f"only {served} OTLP requests answered while profiling"
    session = Session.from_json(doc)  # pyinstrument opens it
    assert 1.9 <= session.duration < 30 and session.sample_count >= 50
    files = _files(doc)
    assert any(f.startswith(OTLP_DIR) for f in files), sorted(files)[:20]
    assert any(f.startswith(BATCH_DIR) for f in files)
    assert session.root_frame() is not None
    load.stop()
    proc.stop()
    assert "mutex_profile_fraction is a Go runtime setting" in proc.stderr_path.read_text()
    run = Session.load(tmp_path / "run.pyisession")  # the whole run, written at shutdown
    assert run.sample_count >= session.sample_count and run.duration >= 2
    assert any(f.startswith(OTLP_DIR) for f in _files(run.to_json()))


# -- in-process -----------------------------------------------------------------------------
async def _started(**raw: Any) -> PprofExtension:
    ext: PprofExtension = create_component(Kind.EXTENSION, "pprof",
                                           {"endpoint": "127.0.0.1:0", **raw}, Telemetry())
    await ext.start(FakeHost())
    return ext


def _busy_work(rounds: int) -> int:
    return sum(sum(range(200)) for _ in range(rounds))


async def _busy_loop(stop: asyncio.Event) -> None:
    while not stop.is_set():
        _busy_work(200)
        await asyncio.sleep(0)


async def test_formats_and_refusals() -> None:
    ext = await _started()
    base = f"http://127.0.0.1:{ext.port}/debug/pprof"
    stop = asyncio.Event()
    work = asyncio.create_task(_busy_loop(stop))
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(base + "/profile?seconds=1&format=speedscope") as resp:
                assert resp.status == 200
                doc = json.loads(await resp.read())
            assert doc["$schema"] == "https://www.speedscope.app/file-format-schema.json"
            names = {f["name"] for f in doc["shared"]["frames"]}
            assert "_busy_work" in names
            async with session.get(base + "/profile?seconds=1&format=text") as resp:
                assert resp.headers["Content-Type"] == "text/plain; charset=utf-8"
                assert "1s requested at /debug/pprof/profile" in await resp.text()
            async with session.get(base + "/profile?seconds=1&format=html") as resp:
                assert resp.content_type == "text/html"
                assert "<html>" in await resp.text()
            for query in ("seconds=0", "seconds=61", "seconds=1.5", "seconds=-1", "seconds=x",
                          "seconds=1&format=pprof"):
                async with session.get(f"{base}/profile?{query}") as resp:
                    assert resp.status == 400, query
                    assert "must be" in await resp.text()
            async with session.get(base + "/cmdline") as resp:
                assert await resp.text() == "\x00".join(sys.argv) + "\n"
            async with session.get(base, allow_redirects=False) as resp:
                assert resp.status == 301 and resp.headers["Location"] == "/debug/pprof/"
            async with session.get(base + "/") as resp:
                assert 'href="profile?seconds=30"' in await resp.text()
            async with session.get(base + "/heap") as resp:
                assert resp.status == 404 and "unknown profile 'heap'" in await resp.text()
    finally:
        stop.set()
        await work
        await ext.shutdown()


async def test_one_profile_at_a_time_and_shutdown_abandons_it() -> None:
    ext = await _started()
    base = f"http://127.0.0.1:{ext.port}/debug/pprof/profile"
    async with aiohttp.ClientSession() as session:
        async def long_profile() -> tuple[int, str]:
            async with session.get(base + "?seconds=60") as resp:
                return resp.status, await resp.text()

        first = asyncio.create_task(long_profile())
        deadline = time.monotonic() + 30
        while not ext.profiling:
            assert time.monotonic() < deadline, "the profile never started"
            await asyncio.sleep(0.01)
        async with session.get(base + "?seconds=1") as resp:
            assert resp.status == 409
            assert "one at a time" in await resp.text()
        began = time.monotonic()
        await ext.shutdown()
        status, text = await asyncio.wait_for(first, 30)
    assert status == 503 and "shutting down" in text
    assert time.monotonic() - began < 30  # not the 60 s asked for
    assert not ext.profiling


async def test_save_to_file_follows_the_suffix(tmp_path: Path) -> None:
    target = tmp_path / "run.speedscope.json"
    ext = await _started(save_to_file=str(target))
    assert target.read_bytes() == b""  # created at start, as the Collector does
    stop = asyncio.Event()
    work = asyncio.create_task(_busy_loop(stop))
    await asyncio.sleep(0.5)
    stop.set()
    await work
    await ext.shutdown()
    doc = json.loads(target.read_text())
    assert doc["$schema"] == "https://www.speedscope.app/file-format-schema.json"
    assert "_busy_work" in {f["name"] for f in doc["shared"]["frames"]}


async def test_save_to_file_that_cannot_be_created_fails_start(tmp_path: Path) -> None:
    ext: PprofExtension = create_component(
        Kind.EXTENSION, "pprof", {"endpoint": "127.0.0.1:0",
                                  "save_to_file": str(tmp_path / "missing" / "run.json")},
        Telemetry())
    with pytest.raises(ComponentStartError, match="save_to_file: cannot create"):
        await ext.start(FakeHost())
    assert ext.port is None  # nothing listening


async def test_go_only_keys_are_accepted_and_warned(caplog: pytest.LogCaptureFixture) -> None:
    cfg = PprofConfig.model_validate({"block_profile_fraction": 3, "mutex_profile_fraction": 0,
                                      "dialer": {"timeout": "5s"}})
    assert cfg.validate_config() == [] and cfg.dialer.timeout == 5.0
    with caplog.at_level(logging.WARNING):
        ext = await _started(block_profile_fraction=3)
        await ext.shutdown()
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warned == ["block_profile_fraction is a Go runtime setting with no effect in otelpy "
                      "(it has no block or mutex profile)"]


def test_whole_run_table_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(profiler, "MAX_STACKS", 2)

    def one() -> int:
        return _busy_work(30_000)  # tens of milliseconds: many 1 ms samples

    def two() -> int:
        return _busy_work(30_000)  # tens of milliseconds: many 1 ms samples

    def three() -> int:
        return _busy_work(30_000)  # tens of milliseconds: many 1 ms samples

    run = profiler.RunProfile("bounded")
    for fn in (one, two, three, one, two, three):
        fn()
        run.fold()
    doc = run.stop()
    assert len(doc["frame_records"]) <= 3
    assert [[profiler.OVERFLOW_FRAME]] == [s for s, _ in doc["frame_records"]
                                           if s == [profiler.OVERFLOW_FRAME]]
    assert run.overflow_seconds > 0
    assert doc["sample_count"] >= 10
    assert Session.from_json(doc).root_frame() is not None


@pytest.mark.parametrize(("text", "seconds"), [("", 30), ("1", 1), ("60", 60)],
                         ids=["default", "min", "max"])
def test_seconds(text: str, seconds: int) -> None:
    assert parse_seconds(text) == seconds


def test_validate_does_not_import_pyinstrument(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("receivers: {otlp: {protocols: {http: {}}}}\nexporters: {debug: {}}\n"
                      "extensions: {pprof: {save_to_file: run.json}, zpages: {}}\n"
                      "service: {extensions: [pprof, zpages], pipelines: {traces: "
                      "{receivers: [otlp], exporters: [debug]}}}\n")
    code = ("import sys; from otelpy.cli import main; rc = main(['validate', '--config', "
            f"{str(config)!r}]); print(rc, 'pyinstrument' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True)
    assert out.stdout.splitlines()[-1] == "0 False"
    code = ("import sys, logging; from otelpy.component import *; from otelpy.registry import "
            "load_registry; from otelpy.telemetry import Telemetry; f = load_registry(False)"
            ".get(Kind.EXTENSION, 'pprof'); f.create(Settings(ComponentID('pprof'), "
            "Kind.EXTENSION, logging.getLogger('t'), Telemetry()), f.config_type()); "
            "print('pyinstrument' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True)
    assert out.stdout.strip() == "True"  # imported once the extension is created

"""Fixtures for end-to-end tests: real otelpy processes, the Node SDK install, free ports.

Every otelpy process a test (or a module fixture) starts is registered here; when a
test fails, the stderr of each process that was running during the test is attached
to the report. Processes are stopped with SIGTERM at teardown and must exit 0.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from otelpy.testing.process import OtelpyProcess, otelpy_executable

NODE_DIR = Path(__file__).parent / "node"

_PROCESSES: list[OtelpyProcess] = []
_TEST_START = pytest.StashKey[float]()

StartOtelpy = Callable[..., OtelpyProcess]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    item.stash[_TEST_START] = time.monotonic()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if not report.failed:
        return
    since = item.stash.get(_TEST_START, 0.0)
    for proc in _PROCESSES:
        if proc.started_at is None:
            continue
        if proc.ended_at is None or proc.ended_at >= since:
            report.sections.append((f"otelpy process {proc.name!r} stderr",
                                    proc.stderr_tail(200)))


def _launcher(base: Path, started: list[OtelpyProcess]) -> StartOtelpy:
    def start(config: Mapping[str, Any] | str | None, name: str = "otelpy",
              start: bool = True, **kwargs: Any) -> OtelpyProcess:
        proc = OtelpyProcess(base / name, config, name=name, **kwargs)
        _PROCESSES.append(proc)
        started.append(proc)
        if start:
            proc.start()
        return proc
    return start


def _stop_all(started: list[OtelpyProcess]) -> None:
    """SIGTERM each process still running (exit 0 required); no process may log a traceback."""
    errors: list[str] = []
    for proc in reversed(started):
        if proc.alive:
            try:
                proc.stop()
            except AssertionError as exc:
                errors.append(str(exc))
        if "Traceback (most recent call last)" in proc.stderr():
            errors.append(f"{proc.name} logged a traceback:\n{proc.stderr_tail(80)}")
    if errors:
        pytest.fail("otelpy did not stop cleanly:\n" + "\n".join(errors))


@pytest.fixture(scope="session")
def otelpy_bin() -> Path:
    """The installed ``otelpy`` console script; fails (never skips) when it is missing."""
    exe = otelpy_executable()
    res = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, f"otelpy --version failed ({res.returncode}): {res.stderr}"
    return exe


@pytest.fixture
def start_otelpy(otelpy_bin: Path, tmp_path: Path) -> Iterator[StartOtelpy]:
    """Start otelpy processes for one test: ``start_otelpy(config_dict_or_yaml, name=...)``."""
    started: list[OtelpyProcess] = []
    yield _launcher(tmp_path, started)
    _stop_all(started)


@pytest.fixture(scope="module")
def start_module_otelpy(otelpy_bin: Path,
                        tmp_path_factory: pytest.TempPathFactory) -> Iterator[StartOtelpy]:
    """Like ``start_otelpy`` but the processes live for the whole module."""
    started: list[OtelpyProcess] = []
    yield _launcher(tmp_path_factory.mktemp("otelpy"), started)
    _stop_all(started)


@pytest.fixture(scope="session")
def node_sender_dir() -> Path:
    """tests/integration/node with its pinned packages installed (``npm ci`` once)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    assert node and npm, "node and npm are required for the Node SDK tests"
    marker = NODE_DIR / "node_modules" / ".package-lock.json"
    lock = NODE_DIR / "package-lock.json"
    if not marker.exists() or marker.stat().st_mtime < lock.stat().st_mtime:
        cmd = [npm, "ci" if lock.exists() else "install", "--no-audit", "--no-fund"]
        res = subprocess.run(cmd, cwd=NODE_DIR, capture_output=True, text=True, timeout=300)
        assert res.returncode == 0, f"{' '.join(cmd)} failed:\n{res.stdout}\n{res.stderr}"
    return NODE_DIR

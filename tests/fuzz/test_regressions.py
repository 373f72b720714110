"""Inputs that once crashed a fuzz target, replayed on every run.

Files in ``regressions/`` are named ``<target>-<what>.<ext>``; ``<target>`` is one of
``pdata``, ``otlpjson``, ``config``, ``http-protobuf``, ``http-json``, ``grpc``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from otelpy.component import Signal
from otelpy.testing.fuzz import ReceiverUnderFuzz, config_target, otlpjson_target, pdata_target

HERE = Path(__file__).parent / "regressions"
CASES = sorted(p for p in HERE.iterdir() if p.is_file() and p.name != "README.md")


@pytest.fixture(scope="module")
def server() -> Iterator[ReceiverUnderFuzz]:
    with ReceiverUnderFuzz() as srv:
        yield srv


def _replay(path: Path, server: ReceiverUnderFuzz) -> None:
    target, data = path.name.split("-", 1)[0], path.read_bytes()
    if path.name.startswith("http-protobuf-"):
        server.http_target(Signal.TRACES, data, "application/x-protobuf")
        return
    if path.name.startswith("http-json-"):
        server.http_target(Signal.TRACES, data, "application/json")
        return
    targets: dict[str, Callable[[], None]] = {
        "pdata": lambda: pdata_target(data),
        "otlpjson": lambda: otlpjson_target(data),
        "config": lambda: config_target(data.decode("utf-8", "replace")),
        "grpc": lambda: [server.grpc_target(s, data) for s in Signal] and None,
    }
    targets[target]()


def test_there_are_regression_cases() -> None:
    assert CASES, f"no regression inputs in {HERE}"


@pytest.mark.parametrize("path", CASES, ids=[p.name for p in CASES])
def test_regression(path: Path, server: ReceiverUnderFuzz) -> None:
    _replay(path, server)

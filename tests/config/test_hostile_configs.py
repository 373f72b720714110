"""Hostile configs through the real CLI: ``otelpy validate --config F`` and
``otelpy --config F`` must exit 1 with errors naming the file, never a traceback, within a
time bound and a memory bound (the child's address space is capped, so a config that
made otelpy grow would end in MemoryError, a traceback, and fail here).

The corpus is ``tests/config/hostile/`` (one case per file, each saying what it is) plus
cases too big to keep in the tree, generated below.
"""

from __future__ import annotations

import resource
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from otelpy.config.loader import MAX_NESTING, MAX_NODES
from otelpy.config.sources import MAX_SOURCE_BYTES
from otelpy.testing.process import otelpy_executable

HOSTILE = Path(__file__).resolve().parent / "hostile"
ADDRESS_SPACE = 1024 * 1024 * 1024  # a normal validate or start fits in 600 MiB
TIME_LIMIT = 60.0  # seconds, each; a case takes about one here


def _alias_bomb(path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    path.write_text("# ten levels of ten aliases: 10^10 values once expanded\n"
                    + "\n".join(lines) + "\nreceivers: *a9\n")


def _deep_flow(path: Path) -> None:
    path.write_text("receivers: " + "[" * 5000 + "]" * 5000 + "\n")


def _deep_block(path: Path) -> None:
    depth = MAX_NESTING + 5
    path.write_text("".join(f"{'  ' * i}k{i}:\n" for i in range(depth)))


def _huge_string(path: Path) -> None:
    path.write_text("exporters:\n  otlphttp:\n    endpoint: " + "x" * (MAX_SOURCE_BYTES + 1))


def _long_value(path: Path) -> None:
    path.write_text("exporters:\n  otlphttp:\n    endpoint: " + "a" * 5_000_000 + "\n")


def _huge_digits(path: Path) -> None:
    path.write_text("processors:\n  batch:\n    send_batch_size: " + "9" * 5000 + "\n")


def _too_many_values(path: Path) -> None:
    path.write_text("receivers:\n" + "".join(f"  - v{i}\n" for i in range(MAX_NODES + 50_000)))


def _config_is_directory(path: Path) -> None:
    path.mkdir()


def _missing(path: Path) -> None:
    """Nothing is created: the path does not exist."""


GENERATED: dict[str, Callable[[Path], None]] = {
    "alias-bomb.yaml": _alias_bomb,
    "deep-flow-nesting.yaml": _deep_flow,
    "deep-block-nesting.yaml": _deep_block,
    "larger-than-16-mib.yaml": _huge_string,
    "five-million-character-value.yaml": _long_value,
    "five-thousand-digits.yaml": _huge_digits,
    "too-many-values.yaml": _too_many_values,
    "config-is-a-directory.yaml": _config_is_directory,
    "does-not-exist.yaml": _missing,
}
CORPUS = sorted(p.name for p in HOSTILE.glob("*.yaml"))


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def _run(args: list[str], cwd: Path) -> tuple[int, str, float]:
    started = time.monotonic()
    proc = subprocess.run([str(otelpy_executable()), *args], cwd=cwd, capture_output=True,
                          text=True, errors="replace", timeout=TIME_LIMIT,
                          preexec_fn=_cap_memory, env={"PATH": "/usr/bin:/bin"})
    return proc.returncode, proc.stdout + proc.stderr, time.monotonic() - started


def _check_refused(config: Path, cwd: Path) -> None:
    for args in (["validate", "--config", config.name], ["--config", config.name]):
        code, output, seconds = _run(args, cwd)
        shown = output[-3000:]
        assert "Traceback" not in output, f"{args}: traceback\n{shown}"
        assert code == 1, f"{args}: exit {code}\n{shown}"
        assert config.name in output, f"{args}: the file is not named\n{shown}"
        assert seconds < TIME_LIMIT, f"{args}: took {seconds:.1f}s"


@pytest.mark.parametrize("name", CORPUS)
def test_corpus_file_is_refused_cleanly(name: str) -> None:
    _check_refused(HOSTILE / name, HOSTILE)


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_generated_case_is_refused_cleanly(name: str, tmp_path: Path) -> None:
    GENERATED[name](tmp_path / name)
    _check_refused(tmp_path / name, tmp_path)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16-le", "utf-16-be"])
def test_a_byte_order_mark_is_accepted(encoding: str, tmp_path: Path) -> None:
    """The opposite case: a BOM (editors on Windows write one) is not an error; UTF-16 with
    a BOM is read as go-yaml reads it."""
    config = tmp_path / "bom.yaml"
    text = (Path(__file__).parents[2] / "config-examples" / "debug-local.yaml").read_text()
    config.write_bytes(("\ufeff" + text).encode(encoding))
    code, output, _ = _run(["validate", "--config", config.name], tmp_path)
    assert code == 0, output

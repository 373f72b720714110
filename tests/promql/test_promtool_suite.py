"""The promtool comparison suite: every test file under promtool_suite/ is run by the real
``promtool test rules`` (Debian's prometheus 2.42) and by ``otelpy rules test``; verdicts and
exit codes must be identical. Rule files are also compared with ``check rules``."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SUITE = Path(__file__).parent / "promtool_suite"
TESTS = sorted(p for p in SUITE.glob("*.yml") if not p.name.endswith(".rules.yml"))
RULES = sorted(SUITE.glob("*.rules.yml"))
PROMTOOL = shutil.which("promtool")


def _run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=SUITE, capture_output=True, text=True, timeout=120,
                          check=False)


def _otelpy(*args: str) -> subprocess.CompletedProcess[str]:
    return _run([sys.executable, "-m", "otelpy.cli", "rules", *args])


def test_suite_size_and_failing_share() -> None:
    assert len(TESTS) >= 60
    failing = [p for p in TESTS if "fails" in p.name]
    assert len(TESTS) // 4 <= len(failing) <= len(TESTS) // 2


@pytest.mark.parametrize("path", TESTS, ids=[p.stem for p in TESTS])
def test_unit_test_verdict_matches_promtool(path: Path) -> None:
    assert PROMTOOL is not None, "promtool (Debian package prometheus) must be installed"
    theirs = _run([PROMTOOL, "test", "rules", path.name])
    ours = _otelpy("test", path.name)
    assert ours.returncode == theirs.returncode, (theirs.stdout + theirs.stderr,
                                                  ours.stdout + ours.stderr)
    assert ours.stdout.splitlines()[0] == theirs.stdout.splitlines()[0]
    if ours.returncode:
        assert ours.stderr.startswith("  FAILED:\n")
    else:
        assert "  SUCCESS" in ours.stdout


@pytest.mark.parametrize("path", RULES, ids=[p.stem for p in RULES])
def test_check_rules_output_matches_promtool(path: Path) -> None:
    assert PROMTOOL is not None
    theirs = _run([PROMTOOL, "check", "rules", path.name])
    ours = _otelpy("check", path.name)
    assert (ours.returncode, ours.stdout, ours.stderr) == (theirs.returncode, theirs.stdout,
                                                           theirs.stderr)

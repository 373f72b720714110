"""The chaos harness as a test: kill -9 of otelpy and backend outages at random.

Runs ``benchmarks/chaos/run.py`` (the same command a developer runs) and reads its JSON.
With the persistent sending queue nothing acknowledged may be lost over 20 rounds, and
every duplicate must come from what was in flight at a fault (client requests not yet
answered, batches being sent): at most ``in_flight_bound`` items per fault. The
duplicate ratio itself is about (time an item is in flight) / (time between kills):
with a kill -9 every ~2-3 s here it is a few tenths of a percent, and it is reported
(the long run in benchmarks/README.md shows it). The test does not bound the ratio: on a
loaded machine fewer items pass between two kills, so the same per-fault duplicates make a
larger ratio (2.3 % was seen with both cores busy); the per-fault bound holds at any speed.
With the
in-memory queue the same harness must report loss after a kill -9: that shows the
check can fail.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

RUN = Path(__file__).resolve().parents[2] / "benchmarks" / "chaos" / "run.py"


def run_harness(tmp_path: Path, *args: str, limit: float) -> tuple[int, dict[str, Any], str]:
    """Exit code, the JSON report and the output of one harness run, bounded by ``limit`` s.

    On timeout the harness gets SIGTERM first (it then stops every process it started).
    """
    report = tmp_path / "chaos.json"
    cmd = [sys.executable, str(RUN), "--work-dir", str(tmp_path / "work"),
           "--json", str(report), *args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        output, _ = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            output, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            output, _ = proc.communicate()
        pytest.fail(f"the chaos harness did not finish in {limit:.0f}s:\n{output[-4000:]}")
    assert report.exists(), f"no report (exit {proc.returncode}):\n{output[-4000:]}"
    return proc.returncode, json.loads(report.read_text()), output


def test_persistent_queue_loses_nothing_over_20_rounds_of_kill_9(tmp_path: Path) -> None:
    code, report, output = run_harness(tmp_path, "--rounds", "20", "--round-seconds", "2",
                                       "--seed", "20", limit=110)
    total = report["total"]
    assert total["rounds"] == 20, output
    assert total["otelpy_kills"] >= 20, output  # at least one kill -9 every round
    assert total["restarts"] == total["otelpy_kills"] + total["crashes"]
    assert total["sink_outages"] >= 10, output
    assert total["acked"] >= 10_000, output  # load really flowed (holds at 10x slower)
    assert total["crashes"] == 0, output
    assert total["lost"] == 0, f"lost {total['lost']} acknowledged items:\n{output}"
    assert total["delivered"] == total["acked"]
    assert total["duplicates"] <= total["duplicate_bound"], output
    # every restart got ready, unless the next kill -9 came first (during start-up)
    assert all(r["ready_s"] is not None or r["interrupted"] for r in report["recoveries"])
    assert total["max_ready_s"] is not None and total["max_ready_s"] < 30, output
    assert code == 0, output


def test_memory_queue_loss_after_kill_9_is_detected(tmp_path: Path) -> None:
    code, report, output = run_harness(tmp_path, "--queue", "memory", "--rounds", "2",
                                       "--round-seconds", "2", "--seed", "3", limit=60)
    total = report["total"]
    assert total["otelpy_kills"] >= 2, output
    assert total["lost"] > 0, output
    assert total["delivered"] + total["lost"] == total["acked"]
    assert report["lost_seqs"], output
    assert code == 1, output

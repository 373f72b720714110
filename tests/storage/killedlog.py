"""A DurableLog in a child process that applies steps and then gets SIGKILL (no close).

Shared by the ack-state and undo tests: what the child saved must be found by the next
open exactly as it was at the kill.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from otelpy.storage import DurableLog, LogOptions

__all__ = ["fill", "run_and_kill"]

# argv: directory, then steps "d3" (mark 3 dispatched), "u3" (undo), "a3" (ack)
CHILD = """
import asyncio, sys, time
from pathlib import Path
from otelpy.storage import DurableLog, LogOptions

async def main():
    log = await DurableLog.open(Path(sys.argv[1]), LogOptions(), lambda n, m: None)
    state = log.recovery.state
    again = [r.seq for r in log.recovery.records if state.was_dispatched(r.seq)]
    do = {"d": log.mark_dispatched, "u": log.unmark_dispatched, "a": log.ack}
    for step in sys.argv[2:]:
        do[step[0]](int(step[1:]))
    print("ready", ",".join(map(str, again)), ",".join(map(str, sorted(log.dispatched))),
          flush=True)
    time.sleep(60)  # blocks the loop: nothing more can be saved before the kill

asyncio.run(main())
"""


def run_and_kill(path: Path, *steps: str) -> tuple[str, str]:
    """Run the child on the log at ``path`` with ``steps``, then SIGKILL it. Returns the
    recovered records it found handed to a sender before its own steps, and those marked
    at the kill (each as "1,3")."""
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(path), *steps],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    proc.send_signal(signal.SIGKILL)
    _, err = proc.communicate(timeout=10)
    assert line.startswith(b"ready"), err.decode()
    assert proc.returncode == -signal.SIGKILL
    _, again, marked = line.decode().rstrip("\n").split(" ")
    return again, marked


async def fill(path: Path, n: int) -> None:
    """Append ``n`` records (payload b"<i>", 10 + i items) and close."""
    log = await DurableLog.open(path, LogOptions(), lambda n, m: None)
    for i in range(n):
        await log.append([b"%d" % i], 10 + i, lambda ref: None)
    await log.close()

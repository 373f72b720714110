"""kill -9 of a real process appending to a DurableLog: every append that returned is found
again, intact, by the next open (each fsync policy; ``never`` relies on the page cache)."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from otelpy.storage import DurableLog, LogOptions

WRITER = """
import asyncio, sys
from pathlib import Path
from otelpy.storage import DurableLog, FsyncPolicy, LogOptions

async def main():
    log = await DurableLog.open(Path(sys.argv[1]), LogOptions(FsyncPolicy(sys.argv[2]), 0.05,
                                segment_size=64 * 1024), lambda n, m: None)
    i = 0
    async def one(i):
        ref = await log.append([i.to_bytes(4, "little") * 2000], i, lambda r: None)
        print(ref.seq, i, flush=True)   # acknowledged: it must survive
    while True:
        await asyncio.gather(*(one(i + k) for k in range(16)))
        i += 16

asyncio.run(main())
"""


async def recovered(path: Path, acked: dict[int, int]) -> None:
    """Every acknowledged append is in the log, intact."""
    log = await DurableLog.open(path, LogOptions(), lambda n, m: None)
    found = {r.seq: r for r in log.recovery.records}
    missing = sorted(set(acked) - set(found))
    assert missing == []
    for seq, i in list(acked.items())[-50:]:
        assert found[seq].meta == i
        assert await log.read(found[seq]) == i.to_bytes(4, "little") * 2000
    await log.close()


@pytest.mark.parametrize("policy", ["batch", "interval", "never"])
def test_every_returned_append_survives_kill_9(tmp_path: Path, policy: str) -> None:
    out = tmp_path / "acked.txt"
    with open(out, "wb") as f:
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path / "log"), policy],
                                stdout=f, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while out.stat().st_size < 3_000 and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == -signal.SIGKILL, err.decode()
    acked = {}
    for line in out.read_text().split("\n")[:-1]:  # complete lines only
        seq, i = line.split()
        acked[int(seq)] = int(i)
    assert len(acked) > 100
    asyncio.run(recovered(tmp_path / "log", acked))

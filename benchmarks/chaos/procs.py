"""Processes the chaos harness starts, kills and restarts: otelpy and the sink.

Each incarnation runs in its own session (process group) and appends to one log file
per service, after a header line. Every process group started and not yet killed and
reaped is remembered in ``STARTED`` so :func:`kill_leftovers` can SIGKILL it whatever
went wrong; the harness calls it in its outermost ``finally``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

STARTED: set[int] = set()  # process group ids started and not yet reaped


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def port_open(port: int) -> bool:
    """True when something accepts TCP connections on 127.0.0.1:``port``."""
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 0.5)
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True


class Service:
    """One restartable process listening on ``port``; ``command(n)`` builds incarnation n."""

    def __init__(self, name: str, port: int, command: Callable[[int], list[str]],
                 log_path: Path, cwd: Path | None = None) -> None:
        self.name, self.port, self.command = name, port, command
        self.log_path, self.cwd = log_path, cwd
        self.incarnation = 0
        self.started_at = 0.0
        self.proc: asyncio.subprocess.Process | None = None

    @property
    def up(self) -> bool:
        """The process exists and has not exited (it may not be ready yet)."""
        return self.proc is not None and self.proc.returncode is None

    async def start(self) -> None:
        """Spawn the next incarnation (returns at once; see :meth:`wait_ready`)."""
        if self.up:
            raise RuntimeError(f"{self.name} is already running")
        self.incarnation += 1
        cmd = self.command(self.incarnation)
        with self._open_log(cmd) as log:
            self.started_at = time.monotonic()
            self.proc = await asyncio.create_subprocess_exec(
                *cmd, stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log,
                start_new_session=True, cwd=self.cwd)
        STARTED.add(self.proc.pid)

    def _open_log(self, cmd: list[str]) -> BinaryIO:
        """The service's log, opened for appending, after a header line for this start."""
        log = open(self.log_path, "ab")  # closed by the caller's with
        log.write(f"\n=== {self.name} #{self.incarnation} at {time.time():.3f}: "
                  f"{' '.join(cmd)}\n".encode())
        log.flush()
        return log

    async def wait_ready(self, limit: float) -> float:
        """Seconds from spawn until the port accepts connections.

        Raises RuntimeError when the process exits first, TimeoutError after ``limit`` s.
        """
        deadline = self.started_at + limit
        while True:
            if await port_open(self.port):
                return time.monotonic() - self.started_at
            if not self.up:
                code = self.proc.returncode if self.proc else None
                raise RuntimeError(f"{self.name} #{self.incarnation} exited (rc={code}) before "
                                   f"its port {self.port} was ready:\n{self.log_tail()}")
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{self.name} #{self.incarnation}: port {self.port} not "
                                   f"ready after {limit:.0f}s:\n{self.log_tail()}")
            await asyncio.sleep(0.02)

    async def kill(self, sig: signal.Signals = signal.SIGKILL, grace: float = 10.0) -> None:
        """Send ``sig`` to the process group and wait for the exit (SIGKILL after ``grace``)."""
        if self.proc is None:
            return
        for current, wait in ((sig, grace), (signal.SIGKILL, 10.0)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, current)
            try:
                await asyncio.wait_for(self.proc.wait(), wait)
                break
            except TimeoutError:
                continue
        with contextlib.suppress(ProcessLookupError):  # members that outlived the leader
            os.killpg(self.proc.pid, signal.SIGKILL)
        if self.proc.returncode is not None:
            STARTED.discard(self.proc.pid)

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL after 10 s. Idempotent."""
        await self.kill(signal.SIGTERM)

    def log_tail(self, lines: int = 25) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def kill_leftovers() -> None:
    """SIGKILL every process group the harness started that is still alive."""
    for pgid in sorted(STARTED):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)

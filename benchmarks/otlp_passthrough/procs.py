"""Processes the benchmark starts: own process groups, /proc accounting, bounded stops."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_ports(n: int) -> list[int]:
    """``n`` distinct TCP ports on 127.0.0.1 that were free a moment ago (held together
    while chosen, so no port comes twice, as it may from n calls of free_port)."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for s in socks:
            s.close()


def _stat_fields(pid: int | str) -> list[str]:
    """/proc/<pid>/stat after the command name: item 0 is field 3 (state)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat[stat.rindex(")") + 2:].split()


def cpu_seconds(pid: int) -> float:
    """user+system CPU of ``pid`` (all its threads, not its children), in seconds."""
    fields = _stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # fields 14 (utime), 15 (stime)


def group_cpu_seconds(leader: int) -> tuple[float, int]:
    """CPU seconds of every process in ``leader``'s process group, and how many there are.

    Counts the leader's threads, any child process it started (live ones directly,
    reaped ones through the leader's cutime/cstime), so work moved to a helper process
    is not missed. Raises FileNotFoundError when the leader is gone.
    """
    lead = _stat_fields(leader)
    ticks = int(lead[11]) + int(lead[12]) + int(lead[13]) + int(lead[14])
    members = 1
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or entry.name == str(leader):
            continue
        try:
            fields = _stat_fields(entry.name)
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue  # exited meanwhile, or not readable
        if int(fields[2]) == leader:  # field 5: process group
            ticks += int(fields[11]) + int(fields[12])
            members += 1
    return ticks / CLK_TCK, members


def status_field(pid: int, name: str) -> str:
    """One ``Name:`` line's value from /proc/<pid>/status ('' if absent)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return line.split(":", 1)[1].strip()
    return ""


def peak_rss_mib(pid: int) -> float:
    """VmHWM (peak resident set) of ``pid`` in MiB."""
    return int(status_field(pid, "VmHWM").split()[0]) / 1024


def rss_mib(pid: int) -> float:
    """VmRSS (current resident set) of ``pid`` in MiB."""
    return int(status_field(pid, "VmRSS").split()[0]) / 1024


def threads(pid: int) -> int:
    return int(status_field(pid, "Threads") or 0)


class Managed:
    """A child process in its own session (process group), logging to a file."""

    def __init__(self, name: str, cmd: Sequence[str], log_path: Path,
                 env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
        self.name = name
        self.cmd = list(cmd)
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(log_path, "wb") as log:
            self.proc = subprocess.Popen(
                self.cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, env=env, cwd=cwd,
            )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM the process group, SIGKILL it after ``grace`` seconds. Idempotent."""
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        # members of the group that outlived the leader
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)


def wait_until(check: Callable[[], bool], timeout: float, what: str,
               alive: Managed | None = None, interval: float = 0.05) -> None:
    """Poll ``check`` until true. Raises TimeoutError, or RuntimeError if ``alive`` died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if alive is not None and not alive.alive():
            raise RuntimeError(f"{alive.name} exited (rc={alive.proc.returncode}) before {what}:"
                               f"\n{alive.log_tail()}")
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def http_get(url: str, timeout: float = 2.0) -> bytes | None:
    """The body of a 200 answer, or None on any connection or HTTP error."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return bytes(resp.read()) if resp.status == 200 else None
    except (urllib.error.URLError, OSError):
        return None

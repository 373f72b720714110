"""Throwaway PostgreSQL 15 and Redis servers on 127.0.0.1 for tests (see SERVICES.md):
a free port each, files under a given directory, readiness polled (never slept on),
``stop()`` and ``start()`` again on the same port and data to test a dependency going away
and coming back."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from otelpy.testing.polling import wait_until
from otelpy.testing.process import free_port

__all__ = ["PostgresServer", "RedisServer"]

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _as_postgres(args: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run it as the postgres user when we are root."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


def _run(args: list[str]) -> None:
    out = subprocess.run(args, capture_output=True, timeout=120, check=False)
    assert out.returncode == 0, (f"{' '.join(args)} exited {out.returncode}: "
                                 f"{out.stderr.decode(errors='replace')[-2000:]}")


class PostgresServer:
    """``initdb`` once, then ``start`` / ``stop`` (immediate shutdown) on one port. ``base``
    and its parents must be enterable by the postgres user (``/tmp/<mkdtemp>``: mode 755,
    not pytest's ``tmp_path`` under a 700 directory)."""

    def __init__(self, base: Path) -> None:
        assert (PG_BIN / "initdb").exists(), "PostgreSQL 15 is required (Debian postgresql)"
        self.base = base
        self.port = free_port()
        base.mkdir(parents=True, exist_ok=True)
        base.chmod(0o755)
        self.data = base / "data"
        if os.geteuid() == 0:
            shutil.chown(base, "postgres", "postgres")
        _run(_as_postgres([str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres",
                           "-A", "trust", "-E", "UTF8", "--no-locale"]))

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _ctl(self, *args: str) -> None:
        _run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), *args]))

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        self._ctl("-l", str(self.base / "log"), "-w", "-o", options, "start")

    def stop(self) -> None:
        self._ctl("-m", "immediate", "-w", "stop")

    def log_tail(self) -> str:
        path = self.base / "log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""


class RedisServer:
    """``redis-server`` without persistence on one port; ``replica_of`` makes a replica."""

    def __init__(self, base: Path, replica_of: int | None = None) -> None:
        exe = shutil.which("redis-server")
        assert exe, "redis-server is required (Debian redis-server; make system-deps)"
        self.exe = exe
        self.base = base
        base.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.replica_of = replica_of
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        args = [self.exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", str(self.base), "--logfile",
                str(self.base / "redis.log")]
        if self.replica_of is not None:
            args += ["--replicaof", "127.0.0.1", str(self.replica_of)]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self._ready, 30.0, "redis-server answers PING")

    def _ready(self) -> bool:
        assert self.proc is not None and self.proc.poll() is None, "redis-server exited"
        out = subprocess.run([self.exe.replace("redis-server", "redis-cli"), "-p",
                              str(self.port), "ping"], capture_output=True, timeout=10)
        return out.stdout.strip() == b"PONG"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
        self.proc = None

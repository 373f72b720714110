"""Synchronous file writing with size-based rotation (lumberjack's naming and retention).

Every method is meant to run in a worker thread; a lock makes concurrent calls safe.
A backup is named ``<name>-<YYYY-MM-DDTHH-MM-SS.mmm><ext>`` next to the file.
Without ``append``, a file is started anew only the first time this process opens
it: re-opening it after a config reload appends, so a reload never loses data.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from otelpy.exporters.file.config import RotationSettings

__all__ = ["FileWriter", "backup_name", "BACKUP_TIME_FORMAT"]

BACKUP_TIME_FORMAT = "%Y-%m-%dT%H-%M-%S"
_BUFFER = 1 << 20


def backup_name(path: Path, when: datetime) -> Path:
    """``path`` with the time inserted before the extension, lumberjack style."""
    stamp = when.strftime(BACKUP_TIME_FORMAT) + f".{when.microsecond // 1000:03d}"
    return path.with_name(f"{path.stem}-{stamp}{path.suffix}")


class FileWriter:
    """An append-only, buffered file that rotates itself when it grows past a size."""

    _opened_paths: set[Path] = set()  # files this process already started (see module doc)
    _opened_lock = threading.Lock()

    def __init__(self, path: str, append: bool, rotation: RotationSettings | None) -> None:
        self.path = Path(path)
        self.append = append
        self.rotation = rotation
        self.max_bytes = rotation.max_megabytes * 1024 * 1024 if rotation else 0
        self._file: IO[bytes] | None = None
        self._size = 0
        self._lock = threading.Lock()

    def open(self) -> None:
        """Open (or create) the file; raises OSError (missing directory, permissions)."""
        with self._lock, FileWriter._opened_lock:
            resolved = self.path.resolve()
            fresh = not self.append and resolved not in FileWriter._opened_paths
            exists = self.path.exists() and self.path.stat().st_size > 0
            if exists and fresh and self.rotation is not None:
                self._backup_current()
            mode = "wb" if fresh else "ab"
            f: IO[bytes] = open(self.path, mode, buffering=_BUFFER)  # noqa: SIM115 - kept open
            self._file = f
            self._size = f.tell()
            FileWriter._opened_paths.add(resolved)

    def write(self, payload: bytes) -> None:
        """Append ``payload``, rotating first if it would push the file past the size limit."""
        with self._lock:
            f = self._file
            if f is None:
                raise OSError(f"{self.path} is not open")
            if self.max_bytes and self._size and self._size + len(payload) > self.max_bytes:
                f = self._rotate()
            f.write(payload)
            self._size += len(payload)

    def flush(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.flush()

    def close(self) -> None:
        """Flush and close; idempotent."""
        with self._lock:
            if self._file is not None:
                f, self._file = self._file, None
                f.close()

    # -- rotation (called with the lock held) --------------------------------------------
    def _rotate(self) -> IO[bytes]:
        assert self._file is not None
        self._file.close()
        self._backup_current()
        self._file = open(self.path, "wb", buffering=_BUFFER)  # noqa: SIM115 - kept open
        self._size = 0
        return self._file

    def _backup_current(self) -> None:
        assert self.rotation is not None
        now = datetime.now() if self.rotation.localtime else datetime.now(UTC)
        target = backup_name(self.path, now)
        n = 1
        while target.exists():  # two rotations within one millisecond
            target = target.with_name(f"{target.stem}.{n}{target.suffix}")
            n += 1
        os.replace(self.path, target)
        self._prune()

    def backups(self) -> list[Path]:
        """Existing backups of this file, newest first."""
        prefix, suffix = f"{self.path.stem}-", self.path.suffix
        found = [p for p in self.path.parent.iterdir()
                 if p.name.startswith(prefix) and p.name.endswith(suffix) and p != self.path
                 and _stamp_ok(p.name[len(prefix):len(p.name) - len(suffix)])]
        return sorted(found, key=lambda p: p.name, reverse=True)

    def _prune(self) -> None:
        assert self.rotation is not None
        backups = self.backups()
        doomed: list[Path] = []
        if self.rotation.max_backups:
            doomed += backups[self.rotation.max_backups:]
        if self.rotation.max_days:
            cutoff = time.time() - self.rotation.max_days * 86400
            doomed += [p for p in backups if p.stat().st_mtime < cutoff and p not in doomed]
        for p in doomed:
            p.unlink(missing_ok=True)


def _stamp_ok(text: str) -> bool:
    base = text.split(".", 1)[0]
    try:
        datetime.strptime(base, BACKUP_TIME_FORMAT)
    except ValueError:
        return False
    return True

"""An exclusive lock on a log directory, so two processes never write the same queue.

The lock is ``flock`` on ``<directory>/lock``: the kernel drops it when the holder
exits, even after kill -9, so a crash never leaves a stale lock behind. The
directories this process holds are also remembered (:meth:`DirectoryLock.held_here`),
so a component that replaces another in the same process (a config reload) can wait
for its predecessor to let go instead of failing.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from otelpy.storage.errors import StorageLocked

__all__ = ["DirectoryLock", "StorageLocked", "LOCK_FILE"]

LOCK_FILE = "lock"
_HELD_HERE: set[str] = set()  # directories locked by this process (absolute paths)


class DirectoryLock:
    """Blocking acquire with a timeout (call from a thread), release, and a probe."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / LOCK_FILE
        self._fd = -1

    def acquire(self, timeout: float) -> None:
        """Take the lock, waiting at most ``timeout`` seconds.

        Raises StorageLocked when it stays taken, OSError when the file cannot be opened.
        """
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o640)
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise StorageLocked(f"{self.path.parent} is in use by another process "
                                        f"(lock not free after {timeout:g}s)") from None
                time.sleep(0.01)  # a thread, never the event loop
                continue
            self._fd = fd
            _HELD_HERE.add(_key(self.path.parent))
            return

    def release(self) -> None:
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            _HELD_HERE.discard(_key(self.path.parent))
            os.close(fd)  # closing drops the flock

    @staticmethod
    def held_here(directory: Path) -> bool:
        """True while a DirectoryLock of this process holds ``directory``."""
        return _key(directory) in _HELD_HERE

    @staticmethod
    def is_locked(directory: Path) -> bool:
        """True when another open file description holds the lock right now."""
        path = directory / LOCK_FILE
        if not path.exists():
            return False
        fd = os.open(path, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        return False


def _key(directory: Path) -> str:
    """A directory's absolute path, computed without touching the file system."""
    return os.path.abspath(directory)

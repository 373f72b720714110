"""A small credential file read at start and re-read when it changes (polled).

Credentials rotate by rewriting a file (a Kubernetes secret volume, a token refresher):
:class:`WatchedFile` checks the file's identity (inode, size, mtime) every ``interval``
seconds in a worker thread and hands new contents to a callback. A file that becomes
unreadable keeps the last good contents and is logged once per outage.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable

__all__ = ["WatchedFile", "MAX_CREDENTIAL_FILE"]

MAX_CREDENTIAL_FILE = 1 << 20  # a credential file larger than 1 MiB is a mistake


def _stamp(path: str) -> tuple[int, int, int]:
    st = os.stat(path)
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def _read(path: str) -> tuple[tuple[int, int, int], bytes]:
    stamp = _stamp(path)
    with open(path, "rb") as fh:
        data = fh.read(MAX_CREDENTIAL_FILE + 1)
    if len(data) > MAX_CREDENTIAL_FILE:
        raise OSError(f"larger than {MAX_CREDENTIAL_FILE} bytes")
    return stamp, data


class WatchedFile:
    """``path``'s contents delivered to ``on_change`` at :meth:`start` and on every change."""

    def __init__(self, path: str, on_change: Callable[[bytes], None],
                 logger: logging.Logger, interval: float = 1.0) -> None:
        self.path = path
        self.interval = interval
        self._on_change = on_change
        self._logger = logger
        self._stamp: tuple[int, int, int] | None = None
        self._task: asyncio.Task[None] | None = None
        self._failing = False

    async def start(self) -> None:
        """Read the file once (raises OSError when it cannot be read), then poll it."""
        self._stamp, data = await asyncio.to_thread(_read, self.path)
        self._on_change(data)
        if self._task is None:
            self._task = asyncio.create_task(self._poll(), name=f"watch {self.path}")

    async def stop(self) -> None:
        """Stop polling; idempotent."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                stamp = await asyncio.to_thread(_stamp, self.path)
                if stamp == self._stamp:
                    continue
                self._stamp, data = await asyncio.to_thread(_read, self.path)
            except OSError as exc:
                if not self._failing:
                    self._logger.warning("cannot re-read %s (keeping the last contents): %s",
                                         self.path, exc.strerror or exc)
                self._failing = True
                continue
            if self._failing:
                self._logger.info("%s is readable again", self.path)
            self._failing = False
            self._on_change(data)

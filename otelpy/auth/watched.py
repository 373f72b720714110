"""Small files read at start and re-read when they change (polled).

Credentials rotate by rewriting files (a Kubernetes secret volume, a token refresher,
cert-manager): :class:`WatchedFiles` checks the identity (inode, size, mtime) of a set of
files every ``interval`` seconds in a worker thread; when any of them changed it runs
``load`` in a worker thread and hands the result to ``on_change``. A load that fails
with one of the expected ``errors`` (a missing or unreadable file, content ``load``
refuses) keeps the last good result: it is logged once at WARNING per failure streak,
reported to ``on_error`` once per attempt, and retried when the files change again.
:class:`WatchedFile` is the one-file case that delivers the file's bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import os
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

__all__ = ["WatchedFile", "WatchedFiles", "MAX_CREDENTIAL_FILE", "read_limited"]

MAX_CREDENTIAL_FILE = 1 << 20  # a credential file larger than 1 MiB is a mistake

T = TypeVar("T")
_Stamp = tuple[int, int, int] | None  # (inode, size, mtime ns); None = cannot stat


def _stamp(path: str) -> _Stamp:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def read_limited(path: str) -> bytes:
    """The file's bytes; OSError when unreadable or larger than MAX_CREDENTIAL_FILE."""
    with open(path, "rb") as fh:
        data = fh.read(MAX_CREDENTIAL_FILE + 1)
    if len(data) > MAX_CREDENTIAL_FILE:
        raise OSError(f"{path}: larger than {MAX_CREDENTIAL_FILE} bytes")
    return data


def _reason(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror
    return str(exc) or type(exc).__name__


class WatchedFiles(Generic[T]):
    """``load()``'s result delivered to ``on_change`` at :meth:`start` and whenever one
    of ``paths`` changes; ``what`` names the files in log lines."""

    def __init__(self, paths: Sequence[str], load: Callable[[], T],
                 on_change: Callable[[T], Awaitable[None] | None], logger: logging.Logger,
                 interval: float = 1.0, *, what: str = "",
                 errors: tuple[type[Exception], ...] = (OSError,),
                 on_error: Callable[[Exception], None] | None = None) -> None:
        self.paths = tuple(paths)
        self.interval = interval
        self.what = what or ", ".join(self.paths)
        self._load = load
        self._on_change = on_change
        self._logger = logger
        self._errors = errors
        self._on_error = on_error
        self._stamps: tuple[_Stamp, ...] = ()
        self._task: asyncio.Task[None] | None = None
        self._failing = False

    def _stamp_all(self) -> tuple[_Stamp, ...]:
        return tuple(_stamp(p) for p in self.paths)

    async def start(self) -> None:
        """Load once (``load``'s exceptions propagate), deliver, then poll until stop."""
        stamps = await asyncio.to_thread(self._stamp_all)
        value = await asyncio.to_thread(self._load)
        self._stamps = stamps
        await self._deliver(value)
        if self._task is None:
            self._task = asyncio.create_task(self._poll(), name=f"watch {self.what}")

    async def stop(self) -> None:
        """Stop polling; idempotent."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def check(self) -> bool:
        """Reload now if the files changed since the last look; True when new contents
        were delivered. The poll calls this every ``interval``."""
        stamps = await asyncio.to_thread(self._stamp_all)
        if stamps == self._stamps:
            return False
        self._stamps = stamps  # a failed attempt is retried on the next change only
        try:
            value = await asyncio.to_thread(self._load)
        except self._errors as exc:
            if not self._failing:
                self._logger.warning("cannot reload %s (keeping the last good contents): %s",
                                     self.what, _reason(exc))
            self._failing = True
            if self._on_error is not None:
                self._on_error(exc)
            return False
        if self._failing:
            self._logger.info("%s loaded again", self.what)
        self._failing = False
        await self._deliver(value)
        return True

    async def _deliver(self, value: T) -> None:
        result = self._on_change(value)
        if inspect.isawaitable(result):
            await result

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self.check()


class WatchedFile(WatchedFiles[bytes]):
    """``path``'s contents delivered to ``on_change`` at :meth:`start` and on every
    change; :meth:`start` raises OSError when the file cannot be read."""

    def __init__(self, path: str, on_change: Callable[[bytes], None],
                 logger: logging.Logger, interval: float = 1.0) -> None:
        super().__init__([path], lambda: read_limited(path), on_change, logger, interval)
        self.path = path

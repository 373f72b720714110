"""Errors of the storage package, grouped by what the caller can do."""

from __future__ import annotations

from otelpy.errors import OtelpyError

__all__ = ["StorageError", "StorageLocked", "LogClosed", "AppendFailed", "CorruptRecord"]


class StorageError(OtelpyError):
    """The storage could not do what was asked."""


class StorageLocked(StorageError):
    """Another process (or another open log in this one) holds the directory."""


class LogClosed(StorageError):
    """The log is closing or closed."""


class AppendFailed(StorageError):
    """An append failed: not written at all (``written`` False), or written but its fsync
    failed, so it is not known to be durable (``written`` True)."""

    def __init__(self, message: str, written: bool) -> None:
        super().__init__(message)
        self.written = written


class CorruptRecord(StorageError):
    """A record read back does not match its checksums or its expected place."""

"""Durable storage shared by components: an append-only segment log with checksums.

A storage extension (``file_storage``) implements :class:`LogStorage`; the exporter
helper's persistent sending queue opens one :class:`DurableLog` per exporter and signal
through it. ``otelpy storage check|repair DIR`` inspects and cleans such directories
(:mod:`otelpy.storage.inspect`). The format and the guarantees are described in
docs/guarantees.md.
"""

from otelpy.storage.api import LogStorage, log_directory
from otelpy.storage.errors import (
    AppendFailed,
    CorruptRecord,
    LogClosed,
    StorageError,
    StorageLocked,
)
from otelpy.storage.lock import DirectoryLock
from otelpy.storage.log import (
    CorruptHandler,
    DurableLog,
    FsyncPolicy,
    LogOptions,
    SyncFailureHandler,
)
from otelpy.storage.records import RecordRef

__all__ = [
    "AppendFailed",
    "CorruptHandler",
    "CorruptRecord",
    "DirectoryLock",
    "DurableLog",
    "FsyncPolicy",
    "LogClosed",
    "LogOptions",
    "LogStorage",
    "RecordRef",
    "StorageError",
    "StorageLocked",
    "SyncFailureHandler",
    "log_directory",
]

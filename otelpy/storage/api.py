"""What a storage extension offers components, and where each log lives on disk."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable
from urllib.parse import quote

from otelpy.storage.log import DurableLog

__all__ = ["LogStorage", "log_directory"]


@runtime_checkable
class LogStorage(Protocol):
    """A started extension that keeps durable logs (``file_storage``)."""

    async def open_log(self, owner: str, name: str) -> DurableLog:
        """Open (creating if needed) the log ``name`` of component ``owner``.

        Raises StorageLocked when it is open elsewhere, StorageError when the extension
        is not started, OSError when the directory is not usable.
        """
        ...

    def in_use_here(self, owner: str, name: str) -> bool:
        """True while another component of this process has that log open (the instance
        ``owner`` replaces during a config reload): :meth:`open_log` then waits for it."""
        ...


def log_directory(base: Path, owner: str, name: str) -> Path:
    """``<base>/<owner>/<name>``, with ``/`` in a component ID escaped (``otlp%2Fb``)."""
    return base / quote(owner, safe="") / quote(name, safe="")

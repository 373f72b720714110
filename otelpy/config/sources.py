"""Reading config text from disk with bounds: config files and ``${file:...}`` references.

A source larger than :data:`MAX_SOURCE_BYTES` is refused (a reference to ``/dev/zero`` or a
log file must not fill memory); text is UTF-8, and a leading byte-order mark is dropped.
"""

from __future__ import annotations

import os

__all__ = ["MAX_SOURCE_BYTES", "SourceError", "read_source"]

MAX_SOURCE_BYTES = 16 * 1024 * 1024


class SourceError(Exception):
    """A source that cannot be read: the message says why, for a config problem."""


def read_source(path: str) -> str:
    """The UTF-8 text of ``path``; raises SourceError when it is missing, unreadable, a
    directory, larger than MAX_SOURCE_BYTES, or not UTF-8."""
    try:
        with open(path, "rb") as fh:
            if os.path.isdir(path):
                raise SourceError("it is a directory")
            data = fh.read(MAX_SOURCE_BYTES + 1)
    except OSError as exc:
        raise SourceError(exc.strerror or str(exc)) from None
    if len(data) > MAX_SOURCE_BYTES:
        raise SourceError(f"larger than {MAX_SOURCE_BYTES // (1024 * 1024)} MiB")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(f"not UTF-8 text (byte {exc.start}: {exc.reason})") from None

"""Reading config text from disk with bounds: config files and ``${file:...}`` references.

A source larger than :data:`MAX_SOURCE_BYTES` is refused (a reference to ``/dev/zero`` or a
log file must not fill memory); text is UTF-8 (a leading byte-order mark is dropped) or,
as go-yaml reads it, UTF-16 with a byte-order mark.
"""

from __future__ import annotations

import os

__all__ = ["MAX_SOURCE_BYTES", "SourceError", "read_source"]

MAX_SOURCE_BYTES = 16 * 1024 * 1024


class SourceError(Exception):
    """A source that cannot be read: the message says why, for a config problem."""


def read_source(path: str) -> str:
    """The text of ``path``; raises SourceError when it is missing, unreadable, a
    directory, larger than MAX_SOURCE_BYTES, or not UTF-8 (or UTF-16 with a BOM)."""
    try:
        with open(path, "rb") as fh:
            if os.path.isdir(path):
                raise SourceError("it is a directory")
            data = fh.read(MAX_SOURCE_BYTES + 1)
    except OSError as exc:
        raise SourceError(exc.strerror or str(exc)) from None
    if len(data) > MAX_SOURCE_BYTES:
        raise SourceError(f"larger than {MAX_SOURCE_BYTES // (1024 * 1024)} MiB")
    encoding = "utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise SourceError(f"not {encoding.upper().removesuffix('-SIG')} text "
                          f"(byte {exc.start}: {exc.reason})") from None

"""One file being read: its open descriptor, fingerprint, offsets and unterminated tail.

All methods block (``os.pread``) and run in the file consumer's worker thread. Reads are
bounded: :meth:`Reader.read` takes at most ``budget`` bytes from the file per call.
"""

from __future__ import annotations

import itertools
import os
import stat
from dataclasses import dataclass, field
from typing import Any

from otelpy.fileconsumer.split import Splitter, Token

__all__ = ["Reader", "FileMeta", "fingerprint_of"]

_ids = itertools.count(1)
CHUNK = 256 * 1024


def fingerprint_of(fd: int, size: int) -> bytes:
    """The first ``size`` bytes of the open file ``fd``."""
    return os.pread(fd, size, 0)


@dataclass
class FileMeta:
    """What is remembered about a file: in the checkpoint, and after its reader closes."""

    fingerprint: bytes
    offset: int  # committed: every record before it was delivered
    path: str
    attributes: dict[str, Any] = field(default_factory=dict)
    polls_unseen: int = 0

    def matches(self, fp: bytes) -> bool:
        """True when ``fp`` (a file's first bytes now) is this file: it starts with the
        fingerprint remembered (the file grew) or equals it."""
        return bool(self.fingerprint) and fp.startswith(self.fingerprint)


class Reader:
    """An open file; ``offset`` is where reading goes on, ``meta.offset`` what is committed."""

    def __init__(self, meta: FileMeta, fd: int, splitter: Splitter) -> None:
        self.id = next(_ids)
        self.meta = meta
        self.fd = fd
        self.splitter = splitter
        self.offset = meta.offset  # start of ``tail``
        self.tail = b""
        self.skipping = False  # inside the rest of a line cut at max_log_size
        self.last_growth = 0.0  # monotonic time new bytes last arrived
        self.eof = False
        self.inode = os.fstat(fd).st_ino

    @property
    def read_pos(self) -> int:
        return self.offset + len(self.tail)

    def replace_fd(self, fd: int) -> None:
        """Continue in ``fd`` (the file now at the matched path), closing the old one."""
        if fd != self.fd:
            os.close(self.fd)
            self.fd = fd
            self.inode = os.fstat(fd).st_ino

    def size(self) -> int:
        info = os.fstat(self.fd)
        return info.st_size if stat.S_ISREG(info.st_mode) else 0

    def read(self, budget: int, now: float, force_flush_period: float) -> tuple[list[Token],
                                                                             bool]:
        """Tokens from at most ``budget`` new bytes, and whether the file has more."""
        tokens: list[Token] = []
        taken = 0
        while taken < budget:
            chunk = os.pread(self.fd, min(CHUNK, budget - taken), self.read_pos)
            if not chunk:
                break
            taken += len(chunk)
            self.last_growth = now
            self._feed(chunk, tokens, flush=False)
        self.eof = taken < budget
        if self.eof and self.tail and now - self.last_growth >= force_flush_period:
            self._feed(b"", tokens, flush=True)
        return tokens, not self.eof

    def _feed(self, chunk: bytes, tokens: list[Token], flush: bool) -> None:
        buf = self.tail + chunk if self.tail else chunk
        base = self.offset
        if self.skipping:
            i = self.splitter._find_newline(buf, 0)
            if i < 0:
                self.offset, self.tail = base + len(buf), b""
                return
            buf, base = buf[i + self.splitter.width:], base + i + self.splitter.width
            self.skipping = False
        found, used = self.splitter.split(buf, base, flush)
        tokens.extend(found)
        if found and found[-1].truncated and found[-1].end == base + len(buf) and not flush \
                and self.splitter.start_re is None and self.splitter.end_re is None:
            self.skipping = True
        self.offset = base + used
        self.tail = bytes(buf[used:])

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

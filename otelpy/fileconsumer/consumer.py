"""Finding, identifying and reading the files of a log receiver (the Collector's
pkg/stanza/fileconsumer, rewritten): everything here blocks and runs in one worker thread.

Each :meth:`FileConsumer.step` matches the ``include`` globs (minus ``exclude``), opens the
files in batches of ``max_concurrent_files`` (at most ``max_batches`` batches), identifies
each by its fingerprint (its first ``fingerprint_size`` bytes) and reads new bytes, at most
``budget`` bytes in all. A file is the same file when its first bytes start with the
fingerprint remembered, whatever its name: a rotated (renamed or moved) file goes on from
its offset; a copy made by copytruncate goes on from the offset too when it is matched; a
truncated original, or a new file at an old name, is read from its start. A file that is no
longer matched (renamed away, deleted) is read to its end through the descriptor still open,
unless it shrank below its offset (truncated). Directories and unreadable paths are skipped
and reported once per path. ``start_at: end`` applies to files found by the first poll only;
files that appear later are read from their start.
"""

from __future__ import annotations

import glob
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field

from otelpy.fileconsumer.reader import FileMeta, Reader, fingerprint_of
from otelpy.fileconsumer.split import Splitter, Token

__all__ = ["FileConsumer", "ConsumerOptions", "StepResult", "KEEP_POLLS"]

KEEP_POLLS = 3  # polls a file's metadata is kept after it was last matched (the Collector's)


@dataclass(frozen=True)
class ConsumerOptions:
    include: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    start_at: str = "end"
    fingerprint_size: int = 1000
    max_concurrent_files: int = 1024
    max_batches: int = 0
    force_flush_period: float = 0.5
    delete_after_read: bool = False
    include_file_name: bool = True
    include_file_path: bool = False
    include_file_name_resolved: bool = False
    include_file_path_resolved: bool = False


@dataclass
class StepResult:
    """What one step read: tokens per reader id, offsets reached, and what happened."""

    tokens: list[tuple[Reader, list[Token]]] = field(default_factory=list)
    more: bool = False  # a file has bytes left over the budget: step again without waiting
    events: list[tuple[str, str]] = field(default_factory=list)  # (kind, message)
    truncated_lines: int = 0


class FileConsumer:
    def __init__(self, options: ConsumerOptions, splitter: Callable[[], Splitter],
                 known: list[FileMeta] | None = None) -> None:
        self.o = options
        self.new_splitter = splitter
        self.open: list[Reader] = []
        self.draining: list[Reader] = []
        self.known: list[FileMeta] = list(known or [])
        self.first_poll = True
        self.reported: set[str] = set()
        self.by_id: dict[int, Reader] = {}

    # -- discovery -------------------------------------------------------------------------
    def match(self) -> list[str]:
        excluded: set[str] = set()
        for pattern in self.o.exclude:
            excluded.update(glob.glob(pattern, recursive=True))
        found: dict[str, None] = {}
        for pattern in self.o.include:
            for path in sorted(glob.glob(pattern, recursive=True)):
                if path not in excluded:
                    found[path] = None
        return list(found)

    def _open(self, path: str, result: StepResult) -> tuple[int, bytes] | None:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        except OSError as exc:
            self._report_once(path, result, f"cannot open {path}: {exc.strerror}")
            return None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
                self._report_once(path, result, f"skipping {path}: it is {kind}")
                os.close(fd)
                return None
            return fd, fingerprint_of(fd, self.o.fingerprint_size)
        except OSError as exc:
            os.close(fd)
            self._report_once(path, result, f"cannot read {path}: {exc.strerror}")
            return None

    def _report_once(self, path: str, result: StepResult, message: str) -> None:
        if path not in self.reported:
            self.reported.add(path)
            result.events.append(("skipped", message))

    def _attributes(self, path: str) -> dict[str, str]:
        o, attrs = self.o, {}
        if o.include_file_name:
            attrs["log.file.name"] = os.path.basename(path)
        if o.include_file_path:
            attrs["log.file.path"] = path
        if o.include_file_name_resolved or o.include_file_path_resolved:
            real = os.path.realpath(path)
            if o.include_file_name_resolved:
                attrs["log.file.name_resolved"] = os.path.basename(real)
            if o.include_file_path_resolved:
                attrs["log.file.path_resolved"] = real
        return attrs

    def _identify(self, path: str, fd: int, fp: bytes, result: StepResult) -> Reader:
        for reader in self.open:
            if reader.meta.matches(fp):
                self.open.remove(reader)
                reader.replace_fd(fd)
                if reader.meta.path != path:
                    result.events.append(("moved", f"{reader.meta.path} is now {path}"))
                    reader.meta.path = path
                    reader.meta.attributes = self._attributes(path)
                break
        else:
            meta = next((m for m in self.known if m.matches(fp)), None)
            if meta is not None:
                self.known.remove(meta)
                meta.path, meta.attributes = path, self._attributes(path)
            else:
                start = os.fstat(fd).st_size if (self.first_poll and
                                                 self.o.start_at == "end") else 0
                meta = FileMeta(fp, start, path, self._attributes(path))
            reader = Reader(meta, fd, self.new_splitter())
            self.by_id[reader.id] = reader
        if len(fp) > len(reader.meta.fingerprint):
            reader.meta.fingerprint = fp
        size = reader.size()
        if size < reader.read_pos:
            result.events.append(("truncated", f"{path} was truncated (size {size} < offset "
                                  f"{reader.read_pos}): reading it from the start"))
            reader.offset, reader.tail, reader.skipping = 0, b"", False
            reader.meta.offset = 0
        return reader

    def _discover(self, result: StepResult) -> None:
        paths = self.match()
        batch_size = max(self.o.max_concurrent_files, 1)
        batches = [paths[i:i + batch_size] for i in range(0, len(paths), batch_size)]
        if self.o.max_batches:
            batches = batches[:self.o.max_batches]
        matched: list[Reader] = []
        for batch in batches:
            for path in batch:
                opened = self._open(path, result)
                if opened is None:
                    continue
                fd, fp = opened
                if not fp or any(r.meta.matches(fp) or fp.startswith(r.meta.fingerprint)
                                 for r in matched):
                    os.close(fd)  # empty (no identity yet) or the same file twice
                    continue
                self.reported.discard(path)
                matched.append(self._identify(path, fd, fp, result))
        inodes = {r.inode for r in matched}
        for reader in self.open:  # lost: renamed away or deleted
            if reader.inode in inodes or reader.size() < reader.read_pos:
                result.events.append(("lost", f"{reader.meta.path}: truncated or replaced; "
                                      "its unread rest is skipped"))
                self._retire(reader)
            else:
                self.draining.append(reader)
        self.open = matched
        self.first_poll = False
        for meta in self.known:
            meta.polls_unseen += 1
        self.known = [m for m in self.known if m.polls_unseen <= KEEP_POLLS]

    def _retire(self, reader: Reader) -> None:
        reader.close()
        self.by_id.pop(reader.id, None)
        reader.meta.polls_unseen = 0
        self.known.append(reader.meta)

    # -- reading ---------------------------------------------------------------------------
    def step(self, budget: int, now: float, discover: bool) -> StepResult:
        """Discover (when ``discover``) and read at most ``budget`` bytes."""
        result = StepResult()
        if discover:
            self._discover(result)
        readers = self.draining + self.open
        share = max(budget // max(len(readers), 1), 64 * 1024)
        for reader in readers:
            tokens, more = reader.read(share, now, self.o.force_flush_period)
            result.more = result.more or more
            result.truncated_lines += sum(1 for t in tokens if t.truncated)
            result.tokens.append((reader, tokens))
        return result

    def finished(self, reader: Reader) -> bool:
        """True when ``reader`` is drained: lost and read to its end."""
        return reader in self.draining and reader.eof and not reader.tail

    def after_commit(self) -> list[str]:
        """Close drained lost readers; with delete_after_read, delete files read to their
        end. Returns the paths deleted."""
        for reader in [r for r in self.draining if self.finished(r)]:
            self.draining.remove(reader)
            self._retire(reader)
        deleted: list[str] = []
        if self.o.delete_after_read:
            for reader in [r for r in self.open if r.eof and not r.tail
                           and r.meta.offset >= r.read_pos]:
                try:
                    os.remove(reader.meta.path)
                    deleted.append(reader.meta.path)
                except OSError:
                    pass  # gone already, or not ours to delete: read again next poll
        return deleted

    def files(self) -> list[FileMeta]:
        """Every file known (open, draining, remembered), for the checkpoint."""
        return [r.meta for r in self.open + self.draining] + self.known

    def close(self) -> None:
        for reader in self.open + self.draining:
            reader.close()
        self.open, self.draining = [], []

"""Cutting a file's bytes into log tokens: newline-terminated lines (the newline written in
the file's encoding), or multiline records by ``line_start_pattern`` / ``line_end_pattern``;
``max_log_size`` bounds a token; decoding per ``encoding``.

A :class:`Splitter` is fed the bytes after a reader's committed offset and returns complete
tokens with their byte ranges. A line longer than ``max_log_size`` is cut to its first
``max_log_size`` bytes; the rest up to its newline is skipped without being kept in memory,
and the token is marked truncated. An unterminated tail is returned only when ``flush`` is
set (the reader's ``force_flush_period`` passed with no new data).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from otelpy.goregex import compile_go

__all__ = ["Splitter", "Token", "ENCODINGS", "decoder_for"]

# encoding name -> (Python codec or "" for raw bytes, newline bytes)
ENCODINGS: dict[str, tuple[str, bytes]] = {
    "utf-8": ("utf-8", b"\n"), "utf8": ("utf-8", b"\n"), "utf-8-raw": ("utf-8", b"\n"),
    "utf8-raw": ("utf-8", b"\n"), "ascii": ("ascii", b"\n"), "us-ascii": ("ascii", b"\n"),
    "latin-1": ("latin-1", b"\n"), "latin1": ("latin-1", b"\n"),
    "iso-8859-1": ("latin-1", b"\n"), "iso8859-1": ("latin-1", b"\n"),
    "utf-16le": ("utf-16-le", b"\n\x00"), "utf16le": ("utf-16-le", b"\n\x00"),
    "utf-16be": ("utf-16-be", b"\x00\n"), "utf16be": ("utf-16-be", b"\x00\n"),
    "nop": ("", b"\n")}


@dataclass(slots=True)
class Token:
    """One log record's bytes: ``data`` (up to max_log_size), ``start``/``end`` offsets in
    the file (``end`` after its terminator), ``truncated`` when the record was longer."""

    data: bytes
    start: int
    end: int
    truncated: bool = False


def decoder_for(encoding: str) -> tuple[str, bytes]:
    """(codec, newline) of a Collector encoding name; KeyError when unknown."""
    return ENCODINGS[encoding.lower()]


class Splitter:
    """Splits one file's bytes; keeps no file state besides a pending truncated token."""

    def __init__(self, encoding: str = "utf-8", max_log_size: int = 1024 * 1024,
                 line_start_pattern: str = "", line_end_pattern: str = "",
                 omit_pattern: bool = False) -> None:
        codec, newline = decoder_for(encoding)
        self.newline = newline
        self.width = len(newline)
        self.max = max_log_size if max_log_size > 0 else 1 << 62
        self.start_re = self._compile(line_start_pattern)
        self.end_re = self._compile(line_end_pattern)
        self.omit = omit_pattern
        self.codec = codec

    @staticmethod
    def _compile(pattern: str) -> re.Pattern[bytes] | None:
        if not pattern:
            return None
        return re.compile(compile_go(pattern).pattern.encode("utf-8"), re.MULTILINE)

    def _find_newline(self, buf: bytes | bytearray, pos: int) -> int:
        while True:
            i = buf.find(self.newline, pos)
            if i < 0 or self.width == 1 or i % 2 == 0:
                return i
            pos = i + 1

    def split(self, buf: bytes, base: int, flush: bool) -> tuple[list[Token], int]:
        """Tokens found in ``buf`` (which starts at file offset ``base``) and how many bytes
        of it they consumed."""
        if self.start_re is not None or self.end_re is not None:
            return self._split_multiline(buf, base, flush)
        tokens: list[Token] = []
        pos = 0
        limit = self.max
        n = len(buf)
        while pos < n:
            i = self._find_newline(buf, pos)
            if i < 0:
                if n - pos > limit:  # cut: the caller skips to the newline
                    tokens.append(Token(bytes(buf[pos:pos + limit]), base + pos, base + n,
                                        True))
                    return tokens, n
                if flush:
                    tokens.append(Token(bytes(buf[pos:n]), base + pos, base + n))
                    pos = n
                break
            line = buf[pos:i]
            end = i + self.width
            if len(line) > limit:
                tokens.append(Token(bytes(line[:limit]), base + pos, base + end, True))
            else:
                tokens.append(Token(bytes(line), base + pos, base + end))
            pos = end
        return tokens, pos

    def _split_multiline(self, buf: bytes, base: int, flush: bool) -> tuple[list[Token], int]:
        tokens: list[Token] = []
        pos = 0
        while pos < len(buf):
            cut = self._next_cut(buf, pos)
            if cut is None:
                rest = len(buf) - pos
                if rest > self.max or flush:
                    piece = bytes(buf[pos:pos + min(rest, self.max)])
                    tokens.append(Token(piece, base + pos, base + len(buf), rest > self.max))
                    pos = len(buf)
                break
            data_end, next_pos = cut
            data = bytes(buf[pos:data_end])
            truncated = len(data) > self.max
            tokens.append(Token(data[:self.max], base + pos, base + next_pos, truncated))
            pos = next_pos
        return tokens, pos

    def _next_cut(self, buf: bytes, pos: int) -> tuple[int, int] | None:
        """(end of the token's data, start of the next token) or None when incomplete."""
        if self.start_re is not None:
            first = self.start_re.search(buf, pos)
            if first is None:
                return None
            if first.start() > pos:  # text before the first start: a token of its own
                return first.start(), first.start()
            after = first.end() if first.end() > pos else pos + 1
            second = self.start_re.search(buf, after)
            if second is None:
                return None
            return second.start(), second.start()
        assert self.end_re is not None
        match = self.end_re.search(buf, pos)
        if match is None or match.end() == pos:
            return None
        return match.end(), match.end()

    def decode(self, data: bytes) -> str | bytes:
        """The token's text (invalid bytes replaced with U+FFFD), or the bytes with ``nop``."""
        if not self.codec:
            return data
        return data.decode(self.codec, "replace")

    def omit_pattern(self, data: bytes) -> bytes:
        """``data`` without the start or end pattern (``omit_pattern``)."""
        if self.start_re is not None:
            match = self.start_re.match(data)
            return data[match.end():] if match else data
        if self.end_re is not None:
            matches = list(self.end_re.finditer(data))
            return data[:matches[-1].start()] if matches else data
        return data

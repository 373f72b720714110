"""RFC 6587 framing of syslog over a byte stream (TCP): octet counting and non-transparent
framing (a trailer byte, LF or NUL), as the Collector's syslog input splits a connection.

A splitter takes bytes as they arrive (:meth:`feed`) and hands out complete frames; what is
left when the stream ends comes from :meth:`flush`. A frame longer than ``max_size`` raises
:class:`FrameTooLarge` (the Collector's scanner gives up on the connection the same way).
"""

from __future__ import annotations

import re

__all__ = ["FrameTooLarge", "OctetCountingSplitter", "TrailerSplitter"]

_LENGTH = re.compile(rb"([1-9]\d{0,8}) ")
_DIGITS = re.compile(rb"\d{0,9}")


class FrameTooLarge(ValueError):
    """A frame (or its announced length) exceeds the configured maximum."""


class TrailerSplitter:
    """Frames end with ``trailer``; for LF a ``\\r`` before it is dropped too. Frames are
    returned without their trailer; empty frames are skipped."""

    def __init__(self, trailer: bytes = b"\n", max_size: int = 1024 * 1024) -> None:
        self.trailer = trailer
        self.max_size = max_size
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        self._buf += data
        frames: list[bytes] = []
        start = 0
        while (end := self._buf.find(self.trailer, start)) >= 0:
            frame = bytes(self._buf[start:end])
            if self.trailer == b"\n" and frame.endswith(b"\r"):
                frame = frame[:-1]
            if len(frame) > self.max_size:
                raise FrameTooLarge(f"frame of {len(frame)} bytes exceeds {self.max_size}")
            if frame:
                frames.append(frame)
            start = end + 1
        del self._buf[:start]
        if len(self._buf) > self.max_size:
            raise FrameTooLarge(f"more than {self.max_size} bytes without a frame trailer")
        return frames

    def flush(self) -> bytes | None:
        rest, self._buf = bytes(self._buf), bytearray()
        return rest or None


class OctetCountingSplitter:
    """Frames are ``LENGTH SP MESSAGE`` and are returned whole, length included (the
    Collector's log body keeps it). Input that does not start with a length falls back to
    one LF-terminated line, as the Collector's split function does."""

    def __init__(self, max_size: int = 1024 * 1024) -> None:
        self.max_size = max_size
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        self._buf += data
        frames: list[bytes] = []
        while self._buf:
            frame = self._next()
            if frame is None:
                break
            if frame:
                frames.append(frame)
        if len(self._buf) > self.max_size + 10:
            raise FrameTooLarge(f"more than {self.max_size} bytes without a complete frame")
        return frames

    def _next(self) -> bytes | None:
        buf = self._buf
        m = _LENGTH.match(buf)
        if m is not None:
            end = m.end() + int(m.group(1))
            if end - m.end() > self.max_size:
                raise FrameTooLarge(f"frame length {int(m.group(1))} exceeds {self.max_size}")
            if len(buf) < end:
                return None
            frame = bytes(buf[:end])
            del buf[:end]
            if buf.startswith(b"\n"):  # some senders add LF after counted frames
                del buf[:1]
            return frame
        digits = _DIGITS.match(buf)
        if digits is not None and digits.end() == len(buf) and len(buf) < 10:
            return None  # the length may still be arriving
        newline = buf.find(b"\n")
        if newline < 0:
            return None
        frame = bytes(buf[:newline]).removesuffix(b"\r")
        del buf[:newline + 1]
        return frame

    def flush(self) -> bytes | None:
        rest, self._buf = bytes(self._buf), bytearray()
        return rest or None

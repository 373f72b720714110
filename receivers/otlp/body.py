"""Request bodies: Content-Encoding decoding that never inflates past a limit.

Decompression stops as soon as the output would exceed the limit, so a small
compressed "bomb" allocates at most ``limit + 1`` bytes before it is refused.
"""

from __future__ import annotations

import zlib

import zstandard

# Content-Encoding values understood (lower case); "" and identity mean "not encoded"
ENCODINGS = ("", "identity", "gzip", "x-gzip", "deflate", "zlib", "zstd")
_READ_CHUNK = 1 << 20  # most output of one decompress call
_IN_CHUNK = 64 * 1024  # most input of one zlib call
MAX_MEMBERS = 1024  # gzip members or zstd frames in one body (each costs a fresh decoder)
_ZSTD_BLOCK_MAX = 128 * 1024  # largest decompressed size of one zstd block


class BodyTooLarge(Exception):
    """The body, as received or once decompressed, is over the limit."""


class BadEncoding(Exception):
    """The Content-Encoding is not supported, or the body does not decode with it."""


def decode_body(encoding: str, data: bytes, limit: int) -> bytes:
    """``data`` decoded per its Content-Encoding, at most ``limit`` bytes long.

    Raises BodyTooLarge past ``limit`` and BadEncoding for an unknown encoding or a
    corrupt or truncated stream.
    """
    enc = encoding.strip().lower()
    if enc in ("", "identity"):
        if len(data) > limit:
            raise BodyTooLarge(f"body of {len(data)} bytes is over the limit of {limit}")
        return data
    if enc in ("gzip", "x-gzip"):
        return _inflate(data, 16 + zlib.MAX_WBITS, limit, multi_member=True)
    if enc in ("deflate", "zlib"):
        # RFC 9110 "deflate" is zlib-wrapped; some clients send raw deflate
        wbits = zlib.MAX_WBITS if _looks_zlib(data) else -zlib.MAX_WBITS
        return _inflate(data, wbits, limit, multi_member=False)
    if enc == "zstd":
        return _unzstd(data, limit)
    raise BadEncoding(f"unsupported Content-Encoding: {encoding}")


def _looks_zlib(data: bytes) -> bool:
    return len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0


def _inflate(data: bytes, wbits: int, limit: int, multi_member: bool) -> bytes:
    """zlib/gzip/raw deflate, fed in slices of a memoryview: linear in the body size even
    for many tiny gzip members (at most :data:`MAX_MEMBERS` of them)."""
    out: list[bytes] = []
    total = pos = 0
    members = 1
    view, end = memoryview(data), len(data)
    d = zlib.decompressobj(wbits)
    try:
        while True:
            piece = view[pos:pos + _IN_CHUNK]
            want = min(_READ_CHUNK, limit - total + 1)
            chunk = d.decompress(piece, want)
            pos += len(piece) - len(d.unconsumed_tail) - len(d.unused_data)
            total += len(chunk)
            if total > limit:
                raise BodyTooLarge(f"body inflates past the limit of {limit} bytes")
            out.append(chunk)
            if d.eof:
                if not multi_member or pos >= end:
                    break
                members += 1
                if members > MAX_MEMBERS:
                    raise BadEncoding(f"more than {MAX_MEMBERS} gzip members")
                d = zlib.decompressobj(wbits)
            elif pos >= end and not d.unconsumed_tail and len(chunk) < want:
                raise BadEncoding("compressed body is truncated")
    except zlib.error as exc:
        raise BadEncoding(f"cannot decompress body: {exc}") from None
    return b"".join(out)  # deflate: bytes after the stream are ignored, as Go's reader does


def _unzstd(data: bytes, limit: int) -> bytes:
    """zstd frames fed in slices small enough that no slice can inflate far past the limit.

    A zstd block inflates to at most 128 KiB and needs at least 4 input bytes, so a
    slice of ``4 * remaining // 128 KiB`` bytes cannot produce much more than ``remaining``.
    Slices are views of the body, so many tiny frames (at most :data:`MAX_MEMBERS`) cost
    time linear in the body size.
    """
    if not data:
        return b""
    # the window a frame may ask for: about the limit (at least 8 MiB, zstd's usual
    # streaming windows), so a frame cannot make us reserve far more than the body may be
    window = 1 << max(23, min(31, (limit - 1).bit_length()))
    dctx = zstandard.ZstdDecompressor(max_window_size=window)
    out: list[bytes] = []
    total = pos = 0
    frames = 1
    view, end = memoryview(data), len(data)
    dobj = dctx.decompressobj()
    try:
        while pos < end:
            size = max(64, 4 * ((limit - total) // _ZSTD_BLOCK_MAX))
            piece = view[pos:pos + size]
            chunk = dobj.decompress(piece)
            pos += len(piece)
            total += len(chunk)
            if total > limit:
                raise BodyTooLarge(f"body inflates past the limit of {limit} bytes")
            out.append(chunk)
            if dobj.eof:  # the frame ended: the rest of the input starts another one
                pos -= len(dobj.unused_data)
                if pos >= end:
                    break
                frames += 1
                if frames > MAX_MEMBERS:
                    raise BadEncoding(f"more than {MAX_MEMBERS} zstd frames")
                dobj = dctx.decompressobj()
        if not dobj.eof:
            raise BadEncoding("compressed body is truncated")
    except zstandard.ZstdError as exc:
        raise BadEncoding(f"cannot decompress body: {exc}") from None
    return b"".join(out)

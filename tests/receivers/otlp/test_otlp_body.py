"""Bounded Content-Encoding decoding of request bodies."""

from __future__ import annotations

import gzip
import os
import tracemalloc
import zlib
from collections.abc import Callable

import pytest
import zstandard

from otelpy.receivers.otlp.body import BadEncoding, BodyTooLarge, decode_body
from otelpy.testing.hostile import zstd_claiming

MIB = 1024 * 1024
ZSTD = zstandard.ZstdCompressor()


def _raw_deflate(data: bytes) -> bytes:
    c = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return c.compress(data) + c.flush()


def _zstd_stream(data: bytes) -> bytes:
    """A zstd frame without a content size, as streaming encoders write."""
    c = ZSTD.compressobj()
    return c.compress(data) + c.flush()


PAYLOAD = os.urandom(3000) * 20 + b"tail"
ROUND_TRIPS: list[tuple[str, str, Callable[[bytes], bytes]]] = [
    ("identity", "identity", lambda b: b),
    ("none", "", lambda b: b),
    ("gzip", "gzip", gzip.compress),
    ("x-gzip", "X-Gzip", gzip.compress),
    ("gzip-two-members", "gzip", lambda b: gzip.compress(b[:100]) + gzip.compress(b[100:])),
    ("deflate-zlib", "deflate", zlib.compress),
    ("deflate-raw", "deflate", _raw_deflate),
    ("zlib", "zlib", zlib.compress),
    ("zstd", "zstd", ZSTD.compress),
    ("zstd-stream", "zstd", _zstd_stream),
    ("zstd-two-frames", "zstd", lambda b: ZSTD.compress(b[:7]) + ZSTD.compress(b[7:])),
]


@pytest.mark.parametrize("encoding, compress", [r[1:] for r in ROUND_TRIPS],
                         ids=[r[0] for r in ROUND_TRIPS])
def test_round_trip(encoding: str, compress: Callable[[bytes], bytes]) -> None:
    assert decode_body(encoding, compress(PAYLOAD), len(PAYLOAD)) == PAYLOAD
    with pytest.raises(BodyTooLarge):
        decode_body(encoding, compress(PAYLOAD), len(PAYLOAD) - 1)


BOMBS: list[tuple[str, Callable[[bytes], bytes]]] = [
    ("gzip", gzip.compress), ("deflate", zlib.compress), ("zstd", ZSTD.compress),
    ("zstd", _zstd_stream)]


@pytest.mark.parametrize("encoding, compress", BOMBS, ids=["gzip", "deflate", "zstd",
                                                           "zstd-stream"])
def test_bomb_never_allocates_much_past_the_limit(encoding: str,
                                                  compress: Callable[[bytes], bytes]) -> None:
    bomb = compress(b"\x00" * (64 * MIB))
    limit = 4 * MIB
    tracemalloc.start()
    try:
        with pytest.raises(BodyTooLarge, match="inflates past the limit"):
            decode_body(encoding, bomb, limit)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < limit + 2 * MIB, f"peak {peak} bytes for a {limit} byte limit"


BROKEN = [
    ("gzip-truncated", "gzip", gzip.compress(PAYLOAD)[:-9]),
    ("gzip-garbage", "gzip", b"\x1f\x8b\x08\x00not really gzip"),
    ("gzip-empty", "gzip", b""),
    ("deflate-garbage", "deflate", b"\x78\x9c\xff\xff\xff"),
    ("zstd-truncated", "zstd", ZSTD.compress(PAYLOAD)[:-5]),
    ("zstd-garbage", "zstd", b"garbage"),
    ("zstd-trailing-garbage", "zstd", ZSTD.compress(b"x") + b"zz"),
    ("unknown", "br", b"\x00"),
    ("snappy", "snappy", b"\x00"),
]


@pytest.mark.parametrize("encoding, data", [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_broken_bodies(encoding: str, data: bytes) -> None:
    with pytest.raises(BadEncoding):
        decode_body(encoding, data, MIB)


def test_identity_over_limit() -> None:
    with pytest.raises(BodyTooLarge):
        decode_body("", b"x" * 11, 10)
    assert decode_body("zstd", b"", 10) == b""


def _zstd_stream_window(data: bytes, window_log: int) -> bytes:
    params = zstandard.ZstdCompressionParameters.from_level(3, window_log=window_log)
    c = zstandard.ZstdCompressor(compression_params=params).compressobj()
    return c.compress(data) + c.flush()


LIES = [
    # the header says 1000 bytes, the frame inflates to 64 MiB
    ("zstd-claims-small", zstd_claiming(b"\x00" * (64 * MIB), 1000)),
    # the header says 4 GiB, the frame is small: no 4 GiB buffer is reserved
    ("zstd-claims-huge", zstd_claiming(PAYLOAD * 100, 2**32 - 1)),
    # a window far above the limit (1 GiB window, as `zstd --long=30` writes)
    ("zstd-huge-window", _zstd_stream_window(PAYLOAD, 30)),
]


@pytest.mark.parametrize("data", [x[1] for x in LIES], ids=[x[0] for x in LIES])
def test_zstd_headers_that_lie_are_bounded(data: bytes) -> None:
    tracemalloc.start()
    try:
        with pytest.raises((BodyTooLarge, BadEncoding)):
            decode_body("zstd", data, 4 * MIB)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 6 * MIB, peak


MANY = [
    ("gzip", gzip.compress(b"")), ("zstd", ZSTD.compress(b"")),
]


@pytest.mark.parametrize("encoding, unit", MANY, ids=[m[0] for m in MANY])
def test_many_tiny_members_cost_linear_time(encoding: str, unit: bytes) -> None:
    """500k empty gzip members once took minutes of event-loop time (quadratic copying)."""
    import time
    assert decode_body(encoding, unit * 1000, MIB) == b""  # 1000 members are fine
    start = time.process_time()
    with pytest.raises(BadEncoding, match="more than 1024"):
        decode_body(encoding, unit * 500_000, 20 * MIB)
    assert time.process_time() - start < 0.5


def test_raw_deflate_bomb() -> None:
    with pytest.raises(BodyTooLarge):
        decode_body("deflate", _raw_deflate(b"\x00" * (64 * MIB)), 4 * MIB)

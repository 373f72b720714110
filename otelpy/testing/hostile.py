"""Hostile OTLP inputs for tests, fuzzers and benchmarks: deep nesting and lying compression.

Everything is built without recursion and without the generated classes, so inputs
deeper than protobuf or Python would ever build are possible.
"""

from __future__ import annotations

import zstandard

__all__ = ["varint", "nested_anyvalue_traces", "nested_anyvalue_json", "zstd_claiming"]


def varint(n: int) -> bytes:
    """``n`` as a protobuf varint."""
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        if n:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _field(tag: int, payload: bytes) -> bytes:
    """A length-delimited field (wire type 2) with field number ``tag``."""
    return varint(tag << 3 | 2) + varint(len(payload)) + payload


def nested_anyvalue_traces(depth: int) -> bytes:
    """An ExportTraceServiceRequest (wire bytes) with one span whose attribute ``a`` is an
    AnyValue nested ``depth`` times through kvlist_value (3 messages per level).

    Its framing is valid, so the receivers' skeleton check accepts it; a full parse
    refuses it once the message depth passes protobuf's limit (100: about 31 levels).
    """
    value = _field(1, b"leaf")  # AnyValue{string_value}
    for _ in range(depth):
        key_value = _field(1, b"k") + _field(2, value)  # KeyValue{key, value}
        value = _field(6, _field(1, key_value))  # AnyValue{kvlist_value{values: [kv]}}
    attribute = _field(1, b"a") + _field(2, value)
    span = (_field(1, b"\x01" * 16) + _field(2, b"\x02" * 8) + _field(5, b"deep")
            + _field(9, attribute))
    return _field(1, _field(2, _field(2, span)))  # resource_spans / scope_spans / spans


def nested_anyvalue_json(depth: int) -> bytes:
    """The OTLP/JSON form of :func:`nested_anyvalue_traces` (built as text)."""
    opening = '{"kvlistValue":{"values":[{"key":"k","value":' * depth
    closing = "}]}}" * depth
    value = f'{opening}{{"stringValue":"leaf"}}{closing}'
    span = ('{"traceId":"' + "01" * 16 + '","spanId":"' + "02" * 8 + '","name":"deep",'
            '"attributes":[{"key":"a","value":' + value + "}]}")
    return ('{"resourceSpans":[{"scopeSpans":[{"spans":[' + span + "]}]}]}").encode()


def zstd_claiming(data: bytes, claimed: int) -> bytes:
    """A zstd frame of ``data`` whose header claims ``claimed`` bytes of content.

    ``data`` must be at least 256 bytes (so the frame's content size field has 2, 4 or
    8 bytes) and ``claimed`` must fit in that field.
    """
    frame = zstandard.ZstdCompressor(write_content_size=True).compress(data)
    descriptor = frame[4]
    size = {1: 2, 2: 4, 3: 8}.get(descriptor >> 6)
    if size is None or descriptor & 0x03:
        raise ValueError("expected a frame with a 2, 4 or 8-byte content size, no dictionary")
    start = 5 if descriptor & 0x20 else 6  # single-segment frames have no window byte
    value = claimed - 256 if size == 2 else claimed
    return frame[:start] + value.to_bytes(size, "little") + frame[start + size:]

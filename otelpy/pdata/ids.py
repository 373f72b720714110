"""Trace and span IDs, and OTLP timestamps, converted the way every backend expects.

IDs travel as raw bytes in OTLP protobuf (16 for a trace, 8 for a span) and as lower-case
hex everywhere people read them (OTLP/JSON, Jaeger, Zipkin, logs). All-zero IDs are invalid.
Timestamps are ``fixed64`` nanoseconds since the Unix epoch; 0 means unset.
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = [
    "SPAN_ID_BYTES", "TRACE_ID_BYTES", "datetime_of", "hex_id", "id_from_hex", "is_valid_id",
    "nanos_of", "span_id_from_int", "span_id_to_int", "trace_id_from_int", "trace_id_to_int",
]

TRACE_ID_BYTES = 16
SPAN_ID_BYTES = 8


def hex_id(raw: bytes) -> str:
    """Lower-case hex of an ID ("" for an empty one)."""
    return raw.hex()


def id_from_hex(text: str, size: int) -> bytes:
    """The ``size`` bytes of a hex ID, either case; raises ValueError if it is not
    exactly ``2 * size`` hex digits."""
    if len(text) != 2 * size:
        raise ValueError(f"an ID of {size} bytes needs {2 * size} hex digits, got {len(text)}")
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise ValueError(f"not a hex ID: {text!r}") from None


def is_valid_id(raw: bytes, size: int) -> bool:
    """True for an ID of the right length that is not all zeros."""
    return len(raw) == size and any(raw)


def trace_id_to_int(raw: bytes) -> int:
    """A trace ID as an unsigned 128-bit integer (Zipkin and Jaeger split it in two)."""
    return int.from_bytes(raw, "big")


def trace_id_from_int(value: int) -> bytes:
    return value.to_bytes(TRACE_ID_BYTES, "big")


def span_id_to_int(raw: bytes) -> int:
    return int.from_bytes(raw, "big")


def span_id_from_int(value: int) -> bytes:
    return value.to_bytes(SPAN_ID_BYTES, "big")


def datetime_of(nanos: int) -> datetime:
    """An aware UTC datetime of an OTLP timestamp (microsecond precision)."""
    seconds, rest = divmod(nanos, 1_000_000_000)
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=rest // 1000)


def nanos_of(moment: datetime | float) -> int:
    """Nanoseconds since the epoch of an aware datetime or of seconds (a float clock)."""
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            raise ValueError("a naive datetime has no defined instant; give it a tzinfo")
        delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
        return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000
    return round(moment * 1_000_000_000)

"""Fluent forward protocol v1 events into OTLP log records, as the Collector's
fluentforwardreceiver converts them.

One decoded msgpack array is one event: Message ``[tag, time, record(, option)]``, Forward
``[tag, [[time, record], ...](, option)]`` or PackedForward ``[tag, entries(, option)]``
whose entries are concatenated msgpack ``[time, record]`` arrays, gzip-compressed when
``option.compressed`` is ``gzip`` (CompressedPackedForward). The mode is told by the type of
the second element, as the spec says. Time is integer seconds or the EventTime extension
(type 0: big-endian uint32 seconds and nanoseconds). Record fields become attributes except
``message`` and ``log``, which become the body; the tag is the ``fluent.tag`` attribute.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import msgpack
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord

from otelpy.pdata.values import Value, set_value

__all__ = ["MAX_UNPACKED", "EventTime", "ForwardEvent", "MalformedEvent", "event_of",
           "unpacker"]

TAG_KEY = "fluent.tag"
MAX_UNPACKED = 64 * 1024 * 1024  # one event, packed or decompressed, at most
_INT64_MAX = 2**63 - 1


class MalformedEvent(ValueError):
    """An event that is not what the forward protocol describes."""


@dataclass(frozen=True)
class EventTime:
    seconds: int
    nanoseconds: int


def _ext(code: int, data: bytes) -> Any:
    if code == 0 and len(data) == 8:
        return EventTime(*struct.unpack(">II", data))
    return msgpack.ExtType(code, data)


def unpacker() -> msgpack.Unpacker:
    """A streaming unpacker for one connection (strings and binaries both as bytes)."""
    return msgpack.Unpacker(raw=True, ext_hook=_ext, strict_map_key=False,
                            max_buffer_size=MAX_UNPACKED)


@dataclass
class ForwardEvent:
    """The records of one event and its ``chunk`` option (to acknowledge), if any."""

    records: list[LogRecord]
    chunk: str | None


def event_of(obj: Any) -> ForwardEvent:
    """The records of one decoded event; raises MalformedEvent."""
    if not isinstance(obj, list | tuple) or len(obj) < 2 or not isinstance(obj[0], bytes):
        raise MalformedEvent("an event is an array starting with a tag string")
    tag = obj[0].decode("utf-8", "replace")
    second = obj[1]
    if isinstance(second, int | EventTime | float):  # Message mode
        if len(obj) not in (3, 4):
            raise MalformedEvent(f"message mode has 3 or 4 elements, not {len(obj)}")
        option = _option(obj[3] if len(obj) == 4 else None)
        return ForwardEvent([_record(second, obj[2], tag, tag_first=True)], _chunk(option))
    if len(obj) not in (2, 3):
        raise MalformedEvent(f"forward modes have 2 or 3 elements, not {len(obj)}")
    option = _option(obj[2] if len(obj) == 3 else None)
    if isinstance(second, list | tuple):  # Forward mode
        records = [_entry(e, tag) for e in second]
    elif isinstance(second, bytes):  # PackedForward, maybe compressed
        packed = _gunzip(second) if option.get(b"compressed") == b"gzip" else second
        records = [_entry(e, tag) for e in _entries(packed)]
    else:
        raise MalformedEvent(f"cannot tell the event mode from a {type(second).__name__}")
    return ForwardEvent(records, _chunk(option))


def _chunk(option: dict[Any, Any]) -> str | None:
    chunk = option.get(b"chunk")
    return chunk.decode("utf-8", "replace") if isinstance(chunk, bytes) else None


def _option(obj: Any) -> dict[Any, Any]:
    if obj is None:
        return {}
    if not isinstance(obj, dict):
        raise MalformedEvent("option must be a map")
    return obj


def _entries(packed: bytes) -> Iterator[Any]:
    entries = msgpack.Unpacker(raw=True, ext_hook=_ext, strict_map_key=False,
                               max_buffer_size=MAX_UNPACKED)
    entries.feed(packed)
    try:
        yield from entries
    except (ValueError, msgpack.UnpackException) as exc:
        raise MalformedEvent(f"packed entries: {exc}") from None
    if entries.tell() != len(packed):
        raise MalformedEvent("packed entries end in the middle of an entry")


def _gunzip(data: bytes) -> bytes:
    """Every gzip member of ``data``, at most MAX_UNPACKED bytes in all."""
    out = bytearray()
    while data:
        inflater = zlib.decompressobj(wbits=31)
        try:
            out += inflater.decompress(data, MAX_UNPACKED + 1 - len(out))
        except zlib.error as exc:
            raise MalformedEvent(f"compressed entries: {exc}") from None
        if len(out) > MAX_UNPACKED or inflater.unconsumed_tail:
            raise MalformedEvent(f"compressed entries inflate past {MAX_UNPACKED} bytes")
        if not inflater.eof:
            raise MalformedEvent("compressed entries: truncated gzip stream")
        data = inflater.unused_data
    return bytes(out)


def _entry(entry: Any, tag: str) -> LogRecord:
    if not isinstance(entry, list | tuple) or len(entry) != 2:
        raise MalformedEvent("an entry is a [time, record] array")
    return _record(entry[0], entry[1], tag, tag_first=False)


def _record(when: Any, fields: Any, tag: str, tag_first: bool) -> LogRecord:
    record = LogRecord(time_unix_nano=_time_ns(when))
    if tag_first:
        record.attributes.add(key=TAG_KEY).value.string_value = tag
    if not isinstance(fields, dict):
        raise MalformedEvent("a record is a map")
    for raw_key, raw_value in fields.items():
        key = raw_key.decode("utf-8", "replace") if isinstance(raw_key, bytes) else str(raw_key)
        value = _value(raw_value)
        if key in ("message", "log"):
            record.ClearField("body")
            set_value(record.body, value)
        else:
            set_value(record.attributes.add(key=key).value, value)
    if not tag_first:
        record.attributes.add(key=TAG_KEY).value.string_value = tag
    return record


def _time_ns(when: Any) -> int:
    if isinstance(when, EventTime):
        return when.seconds * 1_000_000_000 + when.nanoseconds
    if isinstance(when, bool) or not isinstance(when, int | float) or when < 0:
        raise MalformedEvent(f"unknown type of time value: {when!r}")
    return int(when * 1_000_000_000) if isinstance(when, float) else when * 1_000_000_000


def _value(obj: Any) -> Value:
    """msgpack -> attribute value with the Collector's rules (bytes as strings, uint64
    past int64 as its decimal string, other types as their text)."""
    if obj is None or isinstance(obj, bool | float | str):
        return obj  # type: ignore[no-any-return]
    if isinstance(obj, bytes):
        return obj.decode("utf-8", "replace")
    if isinstance(obj, int):
        return obj if obj <= _INT64_MAX else str(obj)
    if isinstance(obj, dict):
        return {(k.decode("utf-8", "replace") if isinstance(k, bytes) else str(k)): _value(v)
                for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_value(v) for v in obj]
    if isinstance(obj, EventTime):
        return obj.seconds * 1_000_000_000 + obj.nanoseconds
    return str(obj)

"""A hot encoder: entries -> ExportLogsServiceRequest wire bytes, without building messages.

The filelog receiver turns every line into a LogRecord; building protobuf messages field by
field costs more than reading and splitting the file. This writes the same bytes the
generated classes would (``entries_to_batch(...).data``; a round-trip test pins it) for the
common values (str, bool, 64-bit int, float) and lets the generated classes encode the rest
(maps, lists, bytes, None), so every value keeps its exact OTLP form. One difference: a
str with a lone surrogate (from a JSON ``"\\ud800"`` escape), which the generated classes
refuse with UnicodeEncodeError, is written with U+FFFD in its place, as Go's JSON decoder
does, so a record is never lost and never invalid UTF-8.

Field numbers (opentelemetry/proto/logs/v1/logs.proto, common/v1/common.proto):
LogsData.resource_logs 1; ResourceLogs.resource 1, scope_logs 2; ScopeLogs.scope 1,
log_records 2; LogRecord time_unix_nano 1 (fixed64), severity_number 2, severity_text 3,
body 5, attributes 6, observed_time_unix_nano 11 (fixed64); KeyValue key 1, value 2;
AnyValue string 1, bool 2, int 3, double 4.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterable
from typing import Any

from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from otelpy.component import Signal
from otelpy.pdata import Batch
from otelpy.pdata.build import resource_of, scope_of
from otelpy.stanza.entry import Entry
from otelpy.stanza.records import resource_key, set_any

__all__ = ["varint", "encode_value", "encode_record", "encode_request", "entries_to_wire",
           "encode_attributes", "observed_field", "text_record", "records_batch"]

_SMALL = [bytes([i]) for i in range(128)]
_FIXED64 = struct.Struct("<Q").pack
_DOUBLE = struct.Struct("<d").pack
_INT64 = (-(1 << 63), (1 << 63) - 1)
_KEYS: dict[str, bytes] = {}  # attribute key -> its KeyValue.key field, bounded below
_MAX_KEYS = 4096
# attribute key -> [the bytes before a str value of n UTF-8 bytes, for every n that keeps
# both lengths one byte]: a str attribute is then heads[n] + value
_HEADS: dict[str, list[bytes]] = {}
_SURROGATE = re.compile("[\ud800-\udfff]")


def varint(n: int) -> bytes:
    """An unsigned varint (negative int64 as its two's complement, 10 bytes)."""
    if n < 128:
        if n >= 0:
            return _SMALL[n]
        n += 1 << 64
    out = bytearray()
    while n >= 128:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _field(tag: bytes, payload: bytes) -> bytes:
    n = len(payload)
    return tag + (_SMALL[n] if n < 128 else varint(n)) + payload


def encode_value(value: Any) -> bytes:
    """An AnyValue's bytes, as ``records.fill_record`` would set it."""
    kind = type(value)
    if kind is str:
        return _field(b"\x0a", _utf8(value))
    if kind is bool:
        return b"\x10\x01" if value else b"\x10\x00"  # a oneof member: written even if 0
    if kind is int and _INT64[0] <= value <= _INT64[1]:
        return b"\x18" + varint(value)
    if kind is float:
        return b"\x21" + _DOUBLE(value)
    any_value = AnyValue()
    set_any(any_value, value)
    return bytes(any_value.SerializeToString())


def _key(key: str) -> bytes:
    field = _KEYS.get(key)
    if field is None:
        if len(_KEYS) >= _MAX_KEYS:
            _KEYS.clear()
        field = _KEYS[key] = _field(b"\x0a", _utf8(key))
    return field


def _str_value(text: str) -> bytes:
    """A KeyValue.value / LogRecord.body field payload: an AnyValue holding ``text``."""
    raw = _utf8(text)
    n = len(raw)
    if n < 126:  # the AnyValue (2 + n bytes) also fits a one-byte length
        return _SMALL[n + 2] + b"\x0a" + _SMALL[n] + raw
    inner = b"\x0a" + varint(n) + raw
    return varint(len(inner)) + inner


def _utf8(text: str) -> bytes:
    try:
        return text.encode()
    except UnicodeEncodeError:  # lone surrogates (a JSON "\ud800" escape): U+FFFD, as Go
        return _SURROGATE.sub("\ufffd", text).encode()


def _heads(key: str) -> list[bytes]:
    heads = _HEADS.get(key)
    if heads is None:
        if len(_HEADS) >= _MAX_KEYS:
            _HEADS.clear()
        kf = _key(key)
        top = min(126, 124 - len(kf))
        heads = _HEADS[key] = [b"\x32" + _SMALL[len(kf) + 4 + n] + kf + b"\x12" + _SMALL[n + 2]
                               + b"\x0a" + _SMALL[n] for n in range(max(top, 0))]
    return heads


def _str_attribute(key: str, value: str) -> bytes:
    """A LogRecord.attributes field holding ``key``: ``value``."""
    raw = _utf8(value)
    heads = _HEADS.get(key) or _heads(key)
    if len(raw) < len(heads):
        return heads[len(raw)] + raw
    return _field(b"\x32", _key(key) + b"\x12" + _str_value(value))


def encode_record(entry: Entry) -> bytes:
    """One LogRecord's bytes (without its ScopeLogs.log_records tag)."""
    parts: list[bytes] = []
    append = parts.append
    if entry.timestamp:
        append(b"\x09" + _FIXED64(entry.timestamp))
    if entry.severity:
        append(b"\x10" + varint(entry.severity))
    if entry.severity_text:
        append(_field(b"\x1a", _utf8(entry.severity_text)))
    body = entry.body
    if type(body) is str:
        append(b"\x2a" + _str_value(body))
    elif body is not None:
        append(_field(b"\x2a", encode_value(body)))
    if entry.attributes:
        append(encode_attributes(entry.attributes))
    if entry.observed:
        append(b"\x59" + _FIXED64(entry.observed))
    return b"".join(parts)


def encode_attributes(attributes: dict[str, Any]) -> bytes:
    """LogRecord.attributes fields for ``attributes`` (to append after a body)."""
    out: list[bytes] = []
    append = out.append
    heads_of = _HEADS.get
    for key, value in attributes.items():
        if type(value) is str:
            raw = _utf8(value)
            heads = heads_of(key) or _heads(key)
            if len(raw) < len(heads):
                append(heads[len(raw)])
                append(raw)
            else:
                append(_str_attribute(key, value))
        else:
            append(_field(b"\x32", _key(key) + _field(b"\x12", encode_value(value))))
    return b"".join(out)


def observed_field(observed: int) -> bytes:
    """LogRecord.observed_time_unix_nano (nothing for 0)."""
    return b"\x59" + _FIXED64(observed) if observed else b""


def text_record(text: bytes, tail: bytes) -> bytes:
    """A LogRecord with the UTF-8 ``text`` as its string body, then ``tail`` (fields 6 and
    up: :func:`encode_attributes` + :func:`observed_field`), as :func:`encode_record` would
    write it for ``Entry(text.decode(), attributes, observed=observed)``."""
    n = len(text)
    if n < 126:
        return b"\x2a" + _SMALL[n + 2] + b"\x0a" + _SMALL[n] + text + tail
    inner = b"\x0a" + varint(n) + text
    return b"\x2a" + varint(len(inner)) + inner + tail


def records_batch(resource: dict[str, Any], records: list[bytes], scope: str = "") -> Batch:
    """A logs Batch of encoded ``records`` under one resource."""
    return Batch(Signal.LOGS, encode_request([(resource, records)], scope), None, len(records))


def encode_request(groups: Iterable[tuple[dict[str, Any], list[bytes]]],
                   scope: str = "") -> bytes:
    """An ExportLogsServiceRequest of (resource attributes, encoded records) groups."""
    scope_field = _field(b"\x0a", scope_of(scope).SerializeToString())
    out: list[bytes] = []
    for resource, records in groups:
        body = b"".join([scope_field, *(_field(b"\x12", r) for r in records)])
        res = _field(b"\x0a", resource_of(resource).SerializeToString())
        out.append(_field(b"\x0a", res + _field(b"\x12", body)))
    return b"".join(out)


def entries_to_wire(entries: Iterable[Entry], scope: str = "") -> Batch | None:
    """The same request as ``records.entries_to_batch``, encoded directly (None when empty)."""
    groups: dict[Any, tuple[dict[str, Any], list[bytes]]] = {}
    count = 0
    for entry in entries:
        key = resource_key(entry.resource)
        group = groups.get(key)
        if group is None:
            group = groups[key] = (entry.resource, [])
        group[1].append(encode_record(entry))
        count += 1
    if not count:
        return None
    return Batch(Signal.LOGS, encode_request(groups.values(), scope), None, count)

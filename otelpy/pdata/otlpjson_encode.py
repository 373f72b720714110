"""OTLP/JSON encoding: protobuf messages -> OTLP/JSON documents.

The rules are those of :mod:`otelpy.pdata.otlpjson` (which re-exports :func:`encode`
and :func:`encode_bytes`): hex trace and span IDs, base64 for other bytes, 64-bit
integers as strings, integer enums, lowerCamelCase keys. Encoders are built once per
field descriptor from the protobuf descriptors.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from google.protobuf import json_format
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

__all__ = ["ID_FIELDS", "PKG", "encode", "encode_bytes"]

PKG = "opentelemetry.proto."
# messages holding hex IDs: {message: {field: byte length}}
ID_FIELDS: dict[str, dict[str, int]] = {
    PKG + "trace.v1.Span": {"trace_id": 16, "span_id": 8, "parent_span_id": 8},
    PKG + "trace.v1.Span.Link": {"trace_id": 16, "span_id": 8},
    PKG + "logs.v1.LogRecord": {"trace_id": 16, "span_id": 8},
    PKG + "metrics.v1.Exemplar": {"trace_id": 16, "span_id": 8},
}

_F = FieldDescriptor


def _float_json(v: float) -> Any:
    if v != v:
        return "NaN"
    if v in (float("inf"), float("-inf")):
        return "Infinity" if v > 0 else "-Infinity"
    return v


def _b64_json(v: bytes) -> str:
    return base64.b64encode(v).decode("ascii")


def _hex_json(v: bytes) -> str:
    return v.hex()


def _same(v: Any) -> Any:
    return v


_INT64 = {_F.TYPE_INT64, _F.TYPE_UINT64, _F.TYPE_FIXED64, _F.TYPE_SFIXED64, _F.TYPE_SINT64}
# field descriptor -> (JSON key, value encoder, repeated)
_ENCODERS: dict[FieldDescriptor, tuple[str, Callable[[Any], Any], bool]] = {}


def _encoder(field: FieldDescriptor) -> tuple[str, Callable[[Any], Any], bool]:
    enc = _ENCODERS.get(field)
    if enc is None:
        conv: Callable[[Any], Any]
        if field.message_type is not None:
            conv = _encode_message
        elif field.type in _INT64:
            conv = str
        elif field.type in (_F.TYPE_DOUBLE, _F.TYPE_FLOAT):
            conv = _float_json
        elif field.type == _F.TYPE_BYTES:
            owner = field.containing_type
            ids = ID_FIELDS.get(owner.full_name, {}) if owner is not None else {}
            conv = _hex_json if field.name in ids else _b64_json
        else:  # strings, bools, 32-bit integers, enums (as integers)
            conv = _same
        enc = _ENCODERS[field] = (field.json_name, conv, field.is_repeated)
    return enc


def _encode_message(message: Message) -> dict[str, Any]:
    out: dict[str, Any] = {}
    encoders = _ENCODERS
    for field, value in message.ListFields():
        key, conv, repeated = encoders.get(field) or _encoder(field)
        out[key] = [conv(v) for v in value] if repeated else conv(value)
    return out


def encode(message: Message) -> dict[str, Any]:
    """A message -> its OTLP/JSON document: lowerCamelCase keys, hex trace/span IDs (in
    spans, links, log records and exemplars), other bytes in base64, integer enums, 64-bit
    integers as strings, NaN and infinities as "NaN"/"Infinity"/"-Infinity", default values
    omitted. Messages holding ``google.protobuf.Any`` (google.rpc.Status with details) get
    protobuf's own JSON mapping.
    """
    if any(f.message_type is not None and f.message_type.full_name == "google.protobuf.Any"
           for f in message.DESCRIPTOR.fields):
        doc: dict[str, Any] = json_format.MessageToDict(message, use_integers_for_enums=True)
        return doc
    return _encode_message(message)


def encode_bytes(message: Message) -> bytes:
    """:func:`encode` serialized as compact UTF-8 JSON."""
    return json.dumps(encode(message), separators=(",", ":"), ensure_ascii=False).encode()

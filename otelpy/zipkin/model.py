"""The neutral Zipkin v2 span, read from JSON or protobuf, and their decoders.

Every decoder raises :class:`MalformedZipkin` on input it cannot take (bad JSON, IDs of the
wrong length or not hex, wrong types).
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass, field
from typing import Any

from google.protobuf.message import DecodeError

from otelpy.protoschema import ProtoFile

KINDS = ("", "CLIENT", "SERVER", "PRODUCER", "CONSUMER")


class MalformedZipkin(ValueError):
    """The input is not a valid list of Zipkin spans."""


@dataclass(slots=True)
class Endpoint:
    service_name: str = ""
    ipv4: str = ""
    ipv6: str = ""
    port: int = 0


@dataclass(slots=True)
class ZSpan:
    trace_id: bytes  # 16 bytes (a 64-bit ID is left-padded with zeros)
    id: bytes  # 8 bytes
    parent_id: bytes | None = None
    kind: str = ""  # "", CLIENT, SERVER, PRODUCER, CONSUMER
    name: str = ""
    timestamp_us: int = 0  # 0 = absent
    duration_us: int = 0
    local: Endpoint | None = None
    remote: Endpoint | None = None
    annotations: list[tuple[int, str]] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    debug: bool = False
    shared: bool = False


def hex_id(text: Any, sizes: tuple[int, ...], what: str) -> bytes:
    """An ID from hex of one of ``sizes`` bytes, left-padded to the largest."""
    if not isinstance(text, str) or len(text) not in tuple(2 * s for s in sizes):
        raise MalformedZipkin(f"{what}: expected {' or '.join(str(2 * s) for s in sizes)} "
                              f"hex characters, got {text!r}")
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raise MalformedZipkin(f"{what}: not hex: {text!r}") from None
    return raw.rjust(max(sizes), b"\0")


def _int(value: Any, what: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedZipkin(f"{what}: expected an integer, got {value!r}")
    return value


def _str(value: Any, what: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise MalformedZipkin(f"{what}: expected a string, got {value!r}")
    return value


def json_endpoint(obj: Any, what: str) -> Endpoint | None:
    if obj is None:
        return None
    if not isinstance(obj, dict):
        raise MalformedZipkin(f"{what}: expected an object")
    return Endpoint(_str(obj.get("serviceName"), what), _str(obj.get("ipv4"), what),
                    _str(obj.get("ipv6"), what), _int(obj.get("port"), what))


def _json_span(obj: Any, i: int) -> ZSpan:
    where = f"span {i}"
    if not isinstance(obj, dict):
        raise MalformedZipkin(f"{where}: expected an object")
    tags = obj.get("tags") or {}
    if not isinstance(tags, dict) or not all(isinstance(v, str) for v in tags.values()):
        raise MalformedZipkin(f"{where}: tags must map strings to strings")
    annotations = []
    for a in obj.get("annotations") or ():
        if not isinstance(a, dict):
            raise MalformedZipkin(f"{where}: annotations must be objects")
        annotations.append((_int(a.get("timestamp"), where), _str(a.get("value"), where)))
    parent = obj.get("parentId")
    kind = _str(obj.get("kind"), where)
    return ZSpan(
        trace_id=hex_id(obj.get("traceId"), (8, 16), f"{where} traceId"),
        id=hex_id(obj.get("id"), (8,), f"{where} id"),
        parent_id=hex_id(parent, (8,), f"{where} parentId") if parent else None,
        kind=kind if kind in KINDS else "", name=_str(obj.get("name"), where),
        timestamp_us=_int(obj.get("timestamp"), where),
        duration_us=_int(obj.get("duration"), where),
        local=json_endpoint(obj.get("localEndpoint"), f"{where} localEndpoint"),
        remote=json_endpoint(obj.get("remoteEndpoint"), f"{where} remoteEndpoint"),
        annotations=annotations, tags=dict(tags), debug=obj.get("debug") is True,
        shared=obj.get("shared") is True)


def parse_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise MalformedZipkin(f"invalid JSON: {exc}") from None


def decode_json_v2(body: bytes) -> list[ZSpan]:
    """A JSON v2 list of spans."""
    spans = parse_json(body)
    if not isinstance(spans, list):
        raise MalformedZipkin("expected a JSON array of spans")
    return [_json_span(s, i) for i, s in enumerate(spans)]


def _schema() -> dict[str, Any]:
    f = ProtoFile("zipkin.proto3", "otelpy/zipkin/zipkin.proto")
    f.message("Endpoint", [("service_name", 1, "string"), ("ipv4", 2, "bytes"),
                           ("ipv6", 3, "bytes"), ("port", 4, "int32")])
    f.message("Annotation", [("timestamp", 1, "fixed64"), ("value", 2, "string")])
    f.message("Span", [
        ("trace_id", 1, "bytes"), ("parent_id", 2, "bytes"), ("id", 3, "bytes"),
        ("kind", 4, "enum:Span.Kind"), ("name", 5, "string"), ("timestamp", 6, "fixed64"),
        ("duration", 7, "uint64"), ("local_endpoint", 8, "Endpoint"),
        ("remote_endpoint", 9, "Endpoint"), ("annotations", 10, "Annotation", "repeated"),
        ("debug", 12, "bool"), ("shared", 13, "bool")], maps=[("tags", 11)])
    f.enum("Kind", ["SPAN_KIND_UNSPECIFIED", *KINDS[1:]], parent="Span")
    f.message("ListOfSpans", [("spans", 1, "Span", "repeated")])
    return f.build()


PROTO = _schema()
ListOfSpans: Any = PROTO["ListOfSpans"]


def _proto_endpoint(e: Any) -> Endpoint:
    try:
        v4 = str(ipaddress.IPv4Address(e.ipv4)) if e.ipv4 else ""
        v6 = str(ipaddress.IPv6Address(e.ipv6)) if e.ipv6 else ""
    except ValueError as exc:
        raise MalformedZipkin(f"endpoint address: {exc}") from None
    return Endpoint(e.service_name, v4, v6, e.port)


def _proto_id(raw: bytes, sizes: tuple[int, ...], what: str) -> bytes:
    if len(raw) not in sizes:
        raise MalformedZipkin(f"{what}: expected {' or '.join(map(str, sizes))} bytes, "
                              f"got {len(raw)}")
    return raw.rjust(max(sizes), b"\0")


def decode_proto(body: bytes, debug: bool = False) -> list[ZSpan]:
    """A protobuf ``ListOfSpans``; ``debug`` (the X-B3-Flags: 1 header) marks every span."""
    try:
        message = ListOfSpans.FromString(body)
    except DecodeError as exc:
        raise MalformedZipkin(f"malformed protobuf: {exc}") from None
    out = []
    for s in message.spans:
        out.append(ZSpan(
            trace_id=_proto_id(s.trace_id, (8, 16), "trace_id"),
            id=_proto_id(s.id, (8,), "id"),
            parent_id=_proto_id(s.parent_id, (8,), "parent_id") if s.parent_id else None,
            kind=KINDS[s.kind] if 0 <= s.kind < len(KINDS) else "", name=s.name,
            timestamp_us=s.timestamp, duration_us=s.duration,
            local=_proto_endpoint(s.local_endpoint) if s.HasField("local_endpoint") else None,
            remote=(_proto_endpoint(s.remote_endpoint) if s.HasField("remote_endpoint")
                    else None),
            annotations=[(a.timestamp, a.value) for a in s.annotations], tags=dict(s.tags),
            debug=debug or s.debug, shared=s.shared))
    return out

"""Sequence-numbered OTLP requests: written as protobuf wire bytes, read with generated classes.

Every span and log record carries the int attribute ``seq`` (a global counter) so the
sink can tell exactly which items arrived. The load generator builds requests by
concatenating pre-encoded pieces (only ``seq`` and the IDs derived from it change);
the sink decodes with the opentelemetry-proto classes, so a wrong encoding shows up
as a decode error or missing seqs. ``self_check()`` round-trips both request kinds.
"""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

TRACES, LOGS = "traces", "logs"
SEQ_KEY = "seq"
_START_NS = 1_700_000_000_000_000_000


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _len_field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _fixed64(number: int, value: int) -> bytes:
    return _varint(number << 3 | 1) + value.to_bytes(8, "little")


def _int_field(number: int, value: int) -> bytes:
    return _varint(number << 3) + _varint(value)


def _kv_str(key: str, value: str) -> bytes:
    return _len_field(1, key.encode()) + _len_field(2, _len_field(1, value.encode()))


def _kv_int(key: str, value: int) -> bytes:
    return _len_field(1, key.encode()) + _len_field(2, _int_field(3, value))


def _resource_and_scope(service: str) -> tuple[bytes, bytes]:
    resource = _len_field(1, b"".join(_len_field(1, kv) for kv in (
        _kv_str("service.name", service), _kv_str("host.name", "chaos-loadgen"))))
    scope = _len_field(1, _len_field(1, b"otelpy.chaos") + _len_field(2, b"1.0"))
    return resource, scope


_SPAN_ATTRS = b"".join(_len_field(9, kv) for kv in (
    _kv_str("http.request.method", "POST"), _kv_str("http.route", "/api/orders"),
    _kv_int("http.response.status_code", 200)))
_LOG_ATTRS = b"".join(_len_field(6, kv) for kv in (
    _kv_str("logger", "orders"), _kv_str("code.function", "place_order")))
_LOG_BODY = _len_field(5, _len_field(1, b"order placed for customer 4711 in region eu-west"))
_TRACE_RES, _TRACE_SCOPE = _resource_and_scope("chaos-traces")
_LOG_RES, _LOG_SCOPE = _resource_and_scope("chaos-logs")


_TRACE_ID_TAG = _varint(1 << 3 | 2) + _varint(16) + (0xC0FFEE).to_bytes(8, "big")
_SPAN_ID_TAG = _varint(2 << 3 | 2) + _varint(8)
_SPAN_FIXED = _len_field(5, b"POST /api/orders") + _int_field(6, 2)  # SPAN_KIND_SERVER
_SEQ_KEY = _len_field(1, SEQ_KEY.encode())
_INT_VALUE_TAG = _varint(3 << 3)


def _seq_attr(number: int, seq: int) -> bytes:
    value = _INT_VALUE_TAG + _varint(seq)
    kv = _SEQ_KEY + b"\x12" + bytes((len(value),)) + value  # field 2 (value), short length
    return _varint(number << 3 | 2) + bytes((len(kv),)) + kv


def _span(seq: int) -> bytes:
    start = _START_NS + seq * 1000
    body = b"".join((
        _TRACE_ID_TAG, seq.to_bytes(8, "big"), _SPAN_ID_TAG, (seq + 1).to_bytes(8, "big"),
        _SPAN_FIXED, b"\x39", start.to_bytes(8, "little"),  # 0x39: field 7, fixed64
        b"\x41", (start + 250_000).to_bytes(8, "little"),  # 0x41: field 8, fixed64
        _SPAN_ATTRS, _seq_attr(9, seq),
    ))
    return b"\x12" + _varint(len(body)) + body  # field 2 of ScopeSpans


_LOG_FIXED = _int_field(2, 9) + _len_field(3, b"INFO") + _LOG_BODY + _LOG_ATTRS


def _log(seq: int) -> bytes:
    when = (_START_NS + seq * 1000).to_bytes(8, "little")
    body = b"".join((b"\x09", when, _LOG_FIXED, _seq_attr(6, seq), b"\x59", when))
    return b"\x12" + _varint(len(body)) + body  # field 2 of ScopeLogs; 0x59: field 11


def encode(signal: str, seqs: Sequence[int]) -> bytes:
    """A serialized ExportTraceServiceRequest (``traces``) or ExportLogsServiceRequest
    (``logs``) with one item per seq, in one resource and scope."""
    if signal == TRACES:
        items, res, scope = b"".join(_span(s) for s in seqs), _TRACE_RES, _TRACE_SCOPE
    else:
        items, res, scope = b"".join(_log(s) for s in seqs), _LOG_RES, _LOG_SCOPE
    return _len_field(1, res + _len_field(2, scope + items))


def _seq_of(attributes: object) -> int | None:
    for kv in attributes:  # type: ignore[attr-defined]
        if kv.key == SEQ_KEY:
            return int(kv.value.int_value)
    return None


def decode_seqs(signal: str, data: bytes) -> tuple[list[int], int]:
    """(seqs, items without a seq) of a serialized request of ``signal``.

    Raises google.protobuf.message.DecodeError when ``data`` is not a valid request.
    """
    seqs: list[int] = []
    foreign = 0
    if signal == TRACES:
        req = ExportTraceServiceRequest.FromString(data)
        groups = [ss.spans for rs in req.resource_spans for ss in rs.scope_spans]
    else:
        logs = ExportLogsServiceRequest.FromString(data)
        groups = [sl.log_records for rl in logs.resource_logs for sl in rl.scope_logs]
    for group in groups:
        for item in group:
            seq = _seq_of(item.attributes)
            if seq is None:
                foreign += 1
            else:
                seqs.append(seq)
    return seqs, foreign


def self_check() -> None:
    """Round-trip both request kinds through the generated classes.

    Raises AssertionError when the hand-written encoding and the classes disagree.
    """
    seqs = [0, 1, 127, 128, 300, 2**32 + 5]
    for signal in (TRACES, LOGS):
        got, foreign = decode_seqs(signal, encode(signal, seqs))
        if got != seqs or foreign:
            raise AssertionError(f"{signal}: encoded {seqs}, decoded {got} (+{foreign} foreign)")
    span = ExportTraceServiceRequest.FromString(encode(TRACES, [7])).resource_spans[0]
    one = span.scope_spans[0].spans[0]
    if one.name != "POST /api/orders" or one.span_id != (8).to_bytes(8, "big") or \
            span.resource.attributes[0].value.string_value != "chaos-traces":
        raise AssertionError(f"span fields decoded wrongly: {one}")

"""Jaeger Thrift on the wire: agent datagrams (compact or binary ``Agent.emitBatch``),
collector bodies (binary ``jaeger.Batch``), and back.

Decoding uses the ``thrift`` package's C-accelerated protocols with string and container
lengths bounded by the input size, so a lying length prefix cannot allocate more than the
datagram or body holds. Every malformed input raises :class:`MalformedThrift`.
"""

from __future__ import annotations

import importlib
import struct
from typing import Any

from thrift.protocol.TBinaryProtocol import TBinaryProtocolAccelerated
from thrift.protocol.TCompactProtocol import TCompactProtocolAccelerated
from thrift.Thrift import TException, TMessageType
from thrift.transport.TTransport import TMemoryBuffer

from otelpy.jaeger.model import (
    BINARY,
    BOOL,
    DOUBLE,
    LONG,
    MASK64,
    STRING,
    JLog,
    JProcess,
    JRef,
    JSpan,
    Tag,
    signed64,
    tag_value,
)
from otelpy.jaeger.model import value_tag as _value_tag

__all__ = ["MalformedThrift", "decode_agent", "decode_batch", "encode_batch", "from_thrift"]

# generated code (otelpy/jaeger/gen/README.md), untyped: used as Any
Agent: Any = importlib.import_module("otelpy.jaeger.gen.agent.Agent")
ttypes: Any = importlib.import_module("otelpy.jaeger.gen.jaeger.ttypes")

_DECODE_ERRORS = (TException, EOFError, ValueError, TypeError, struct.error, OverflowError,
                  UnicodeDecodeError, AttributeError, MemoryError)


class MalformedThrift(ValueError):
    """The bytes are not the Thrift message they should be."""


def _protocol(data: bytes, compact: bool) -> Any:
    transport = TMemoryBuffer(data)
    limit = len(data)
    if compact:
        return TCompactProtocolAccelerated(transport, string_length_limit=limit,
                                           container_length_limit=limit)
    return TBinaryProtocolAccelerated(transport, string_length_limit=limit,
                                      container_length_limit=limit)


def decode_agent(data: bytes, compact: bool) -> Any:
    """The ``jaeger.Batch`` of an agent datagram (``emitBatch``); MalformedThrift when it is
    anything else (``emitZipkinBatch`` included: the Collector does not take it either)."""
    try:
        proto = _protocol(data, compact)
        name, mtype, _ = proto.readMessageBegin()
        if name != "emitBatch" or mtype not in (TMessageType.ONEWAY, TMessageType.CALL):
            raise MalformedThrift(f"unsupported agent method {name!r}")
        args = Agent.emitBatch_args()
        args.read(proto)
        proto.readMessageEnd()
    except _DECODE_ERRORS as exc:
        raise MalformedThrift(
            f"malformed Thrift agent message: {type(exc).__name__}: {exc}") from None
    if args.batch is None:
        raise MalformedThrift("emitBatch without a batch")
    return args.batch


def decode_batch(body: bytes) -> Any:
    """A binary-protocol ``jaeger.Batch`` (the collector's ``POST /api/traces`` body)."""
    batch = ttypes.Batch()
    try:
        batch.read(_protocol(body, compact=False))
        batch.validate()
    except _DECODE_ERRORS as exc:
        raise MalformedThrift(f"malformed Thrift batch: {type(exc).__name__}: {exc}") from None
    return batch


def encode_batch(batch: Any) -> bytes:
    """A ``jaeger.Batch`` in the binary protocol."""
    buffer = TMemoryBuffer()
    batch.write(TBinaryProtocolAccelerated(buffer))
    return bytes(buffer.getvalue())


# Thrift TagType -> api_v2.ValueType numbers, and back
_FROM_THRIFT = {ttypes.TagType.STRING: STRING, ttypes.TagType.DOUBLE: DOUBLE,
                ttypes.TagType.BOOL: BOOL, ttypes.TagType.LONG: LONG,
                ttypes.TagType.BINARY: BINARY}
_TO_THRIFT = {v: k for k, v in _FROM_THRIFT.items()}
_FIELD = {STRING: "vStr", BOOL: "vBool", LONG: "vLong", DOUBLE: "vDouble", BINARY: "vBinary"}


def _tag(t: Any) -> Tag:
    vtype = _FROM_THRIFT.get(t.vType)
    if vtype is None:
        return t.key or "", f'<Unknown Jaeger TagType "{t.vType}">'
    return t.key or "", tag_value(vtype, t.vStr, t.vDouble, t.vBool, t.vLong, t.vBinary)


def _tags(tags: list[Any] | None) -> list[Tag]:
    return [_tag(t) for t in tags or () if t is not None]


def _span(s: Any) -> JSpan:
    return JSpan(
        trace_high=(s.traceIdHigh or 0) & MASK64, trace_low=(s.traceIdLow or 0) & MASK64,
        span_id=(s.spanId or 0) & MASK64, parent_span_id=(s.parentSpanId or 0) & MASK64,
        operation_name=s.operationName or "", start_ns=(s.startTime or 0) * 1000,
        duration_ns=(s.duration or 0) * 1000, tags=_tags(s.tags),
        logs=[JLog((log.timestamp or 0) * 1000, _tags(log.fields))
              for log in s.logs or () if log is not None],
        references=[JRef((r.traceIdHigh or 0) & MASK64, (r.traceIdLow or 0) & MASK64,
                         (r.spanId or 0) & MASK64, r.refType or 0)
                    for r in s.references or () if r is not None],
        flags=s.flags or 0)


_BLANK = ttypes.Span()


def from_thrift(batch: Any) -> tuple[JProcess | None, list[JSpan]]:
    """The neutral form of a ``jaeger.Batch``; blank spans are skipped, as the Collector
    skips them."""
    p = batch.process
    process = None if p is None else JProcess(
        p.serviceName or "", None if p.tags is None else _tags(p.tags))
    spans = [_span(s) for s in batch.spans or () if s is not None and s != _BLANK]
    return process, spans


def thrift_tag(key: str, value: Any) -> Any:
    """A ``jaeger.Tag`` for an attribute value."""
    vtype, v = _value_tag(value)
    tag = ttypes.Tag(key=key, vType=_TO_THRIFT[vtype])
    setattr(tag, _FIELD[vtype], v)
    return tag


def thrift_span(trace_id: bytes, span_id: bytes, parent_id: bytes, name: str,
                start_us: int, duration_us: int) -> Any:
    """A ``jaeger.Span`` with IDs from OTLP bytes (tags, logs and references to fill)."""
    high = int.from_bytes(trace_id[:8], "big") if len(trace_id) == 16 else 0
    low = int.from_bytes(trace_id[8:], "big") if len(trace_id) == 16 else 0
    return ttypes.Span(
        traceIdHigh=signed64(high), traceIdLow=signed64(low),
        spanId=signed64(int.from_bytes(span_id, "big") if len(span_id) == 8 else 0),
        parentSpanId=signed64(int.from_bytes(parent_id, "big") if len(parent_id) == 8 else 0),
        operationName=name, flags=1, startTime=start_us, duration=duration_us)

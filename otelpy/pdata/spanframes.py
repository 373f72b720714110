"""Spans kept as wire bytes under their resource and scope, for components that hold spans
a while (tail sampling) and forward some of them later.

Holding a decoded span keeps the whole decoded request it came from alive (upb messages
share their request's arena). Here a request is cut into compact pieces instead: per
scope, its :class:`Envelope` (the resource and scope as bytes, with their schema URLs),
each span's bytes already framed as an entry of ``ScopeSpans.spans`` (a *frame*), and each
span's trace ID (:func:`scopes`), or the frames joined per trace (:func:`by_trace`). Frames
are decoded back only when something needs to read them (:func:`decode_spans`, or the
lighter :func:`decode_summaries`), and new requests are written by concatenation
(:func:`encode_request`): repeated fields append, so no span is re-serialized.

    for envelope, runs in by_trace(batch.data):
        for run in runs:                     # run.trace_id, run.frames (joined), run.spans
            ...
    data = encode_request([(envelope, [run.frames for run in runs])])
    batch = Batch(Signal.TRACES, data, None, sum(run.spans for run in runs))
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from operator import attrgetter
from typing import Any, NamedTuple

from google.protobuf.message import DecodeError
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans

from otelpy.errors import PermanentError
from otelpy.pdata import skeleton as sk
from otelpy.pdata.values import Value, to_value

__all__ = ["Envelope", "TraceRun", "by_trace", "count_spans", "decode_envelope",
           "decode_spans", "decode_summaries", "encode_request", "frame_size", "light_value",
           "scopes"]

_SPANS_TAG = b"\x12"  # ScopeSpans.spans: field 2, length-delimited
_trace_id = attrgetter("trace_id")
_FramedScopeSpans = sk.FramedScopeSpans
_SummaryScopeSpans = sk.SummaryScopeSpans


def _varint(n: int) -> bytes:
    out = bytearray()
    while n > 0x7F:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


_HEADERS = [_SPANS_TAG + _varint(n) for n in range(4096)]


def _field(tag: bytes, payload: bytes) -> bytes:
    return tag + _varint(len(payload)) + payload if payload else b""


class Envelope(NamedTuple):
    """The resource and scope a run of spans sits under, as wire bytes."""

    resource: bytes  # a serialized Resource
    resource_schema_url: str
    scope: bytes  # a serialized InstrumentationScope
    scope_schema_url: str


def scopes(data: bytes) -> Iterator[tuple[Envelope, list[bytes], list[bytes]]]:
    """Per scope of a serialized trace request, in order: its envelope, its spans as frames
    and their trace IDs (same order). Expects bytes :meth:`Batch.from_bytes` accepted.

    Raises PermanentError when ``data`` is not a well-formed request.
    """
    try:
        framed = sk.FramedTraces.FromString(data)
        keyed = sk.TraceIdTraces.FromString(data)
    except DecodeError as exc:
        raise PermanentError(f"malformed ExportTraceServiceRequest: {exc}") from None
    headers, limit = _HEADERS, len(_HEADERS)
    for res, res_ids in zip(framed.resource_spans, keyed.resource_spans, strict=True):
        for scope, scope_ids in zip(res.scope_spans, res_ids.scope_spans, strict=True):
            envelope = Envelope(res.resource, res.schema_url, scope.scope, scope.schema_url)
            frames = [headers[len(s)] + s if len(s) < limit else _SPANS_TAG + _varint(len(s)) + s
                      for s in scope.spans]
            yield envelope, frames, list(map(_trace_id, scope_ids.spans))


class TraceRun(NamedTuple):
    """The spans of one trace within one scope of a request: their frames joined."""

    trace_id: bytes
    frames: bytes
    spans: int


def by_trace(data: bytes) -> Iterator[tuple[Envelope, list[TraceRun]]]:
    """Per scope of a serialized trace request, in order: its envelope and its spans
    grouped by trace ID (traces in order of their first span, spans in order).

    Raises PermanentError when ``data`` is not a well-formed request.
    """
    for envelope, frames, trace_ids in scopes(data):
        if len(frames) == 1:
            yield envelope, [TraceRun(trace_ids[0], frames[0], 1)]
            continue
        chunks: dict[bytes, list[bytes]] = {}
        for tid, frame in zip(trace_ids, frames, strict=True):
            chunk = chunks.get(tid)
            if chunk is None:
                chunks[tid] = [frame]
            else:
                chunk.append(frame)
        yield envelope, [TraceRun(tid, b"".join(c), len(c)) for tid, c in chunks.items()]


def frame_size(frames: Iterable[bytes]) -> int:
    """Bytes the frames (single or joined) take inside a ScopeSpans (what protobuf's
    ByteSize counts)."""
    return sum(map(len, frames))


def count_spans(frames: Iterable[bytes]) -> int:
    """How many spans the frames (single or joined) hold."""
    return len(_FramedScopeSpans.FromString(b"".join(frames)).spans)


def encode_request(parts: Iterable[tuple[Envelope, Sequence[bytes]]]) -> bytes:
    """A serialized ``ExportTraceServiceRequest`` with one ResourceSpans (holding one
    ScopeSpans) per part, in order; frames single or joined. An empty resource or scope is
    written as absent (the same in OTLP)."""
    out = []
    for envelope, frames in parts:
        scope = (_field(b"\x0a", envelope.scope) + b"".join(frames)
                 + _field(b"\x1a", envelope.scope_schema_url.encode()))
        resource = (_field(b"\x0a", envelope.resource) + b"\x12" + _varint(len(scope)) + scope
                    + _field(b"\x1a", envelope.resource_schema_url.encode()))
        out.append(b"\x0a" + _varint(len(resource)) + resource)
    return b"".join(out)


def decode_spans(frames: Sequence[bytes]) -> Any:
    """The frames (single or joined) as decoded ``Span`` messages (a repeated field of one
    new ScopeSpans).

    Raises DecodeError when a span does not parse in full (values nested deeper than
    protobuf's recursion limit: the framing checks of Batch.from_bytes do not look there).
    """
    return ScopeSpans.FromString(b"".join(frames)).spans


def decode_summaries(frames: Sequence[bytes]) -> Any:
    """The frames decoded down to what a span's ``trace_state``, ``start_time_unix_nano``,
    ``end_time_unix_nano`` and ``status.code`` say (same names as ``Span``; about a third
    of a full decode). Raises DecodeError as :func:`decode_spans`."""
    return _SummaryScopeSpans.FromString(b"".join(frames)).spans


def decode_envelope(envelope: Envelope) -> tuple[Any, Any]:
    """A new ``ResourceSpans`` and ``ScopeSpans`` (without spans) for ``envelope``: what
    :mod:`otelpy.pdata.items` calls an item's ``resource`` and ``scope``."""
    resource = ResourceSpans(schema_url=envelope.resource_schema_url)
    resource.resource.ParseFromString(envelope.resource)
    scope = ScopeSpans(schema_url=envelope.scope_schema_url)
    scope.scope.ParseFromString(envelope.scope)
    return resource, scope


def light_value(value: bytes) -> Value:
    """The Python value of a serialized ``AnyValue`` (see :mod:`otelpy.pdata.values`).

    Raises DecodeError when the bytes are not an AnyValue."""
    return to_value(AnyValue.FromString(value))

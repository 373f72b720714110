"""What the tail sampler keeps: traces waiting for their decision as span bytes (bounded by
num_traces, oldest evicted first), the pipe of decision batches (one per second of
decision_wait), and the LRU caches of past decisions."""

from __future__ import annotations

from collections import OrderedDict, deque
from enum import IntEnum
from typing import Any
from weakref import WeakValueDictionary

from cramjam import lz4
from google.protobuf.message import DecodeError

from otelpy.pdata.spanframes import Envelope, decode_envelope, decode_spans, decode_summaries


class Decision(IntEnum):
    """A policy's verdict (the Collector's sampling.Decision)."""

    UNSPECIFIED = 0
    SAMPLED = 1
    NOT_SAMPLED = 2
    DROPPED = 3
    INVERT_SAMPLED = 4
    INVERT_NOT_SAMPLED = 5


class PolicyError(Exception):
    """A policy failed on a trace (an OTTL condition under error_mode: propagate, or spans
    that do not decode)."""


class Group:
    """The resource and scope a run of spans arrived under, as bytes (one object per
    distinct envelope while a trace holds it); decoded on first use by a policy."""

    __slots__ = ("envelope", "_decoded", "__weakref__")

    def __init__(self, envelope: Envelope) -> None:
        self.envelope = envelope
        self._decoded: tuple[Any, Any] | None = None

    def _envelopes(self) -> tuple[Any, Any]:
        if self._decoded is None:
            try:
                self._decoded = decode_envelope(self.envelope)
            except DecodeError as exc:
                raise PolicyError(f"resource or scope does not decode: {exc}") from None
        return self._decoded

    @property
    def resource(self) -> Any:
        """The ``ResourceSpans`` envelope (without scopes), as items.SpanItem holds it."""
        return self._envelopes()[0]

    @property
    def scope(self) -> Any:
        """The ``ScopeSpans`` envelope (without spans)."""
        return self._envelopes()[1]


class Groups:
    """One :class:`Group` per distinct envelope among the spans held (weakly kept)."""

    def __init__(self) -> None:
        self._groups: WeakValueDictionary[Envelope, Group] = WeakValueDictionary()

    def get(self, envelope: Envelope) -> Group:
        group = self._groups.get(envelope)
        if group is None:
            group = self._groups[envelope] = Group(envelope)
        return group


PACK_MIN = 1024  # joined frames this long are kept LZ4-compressed (about 3.5x smaller)
_PACKED = 0  # first byte of a packed blob (frames start with a field tag, 0x12)


def pack(frames: bytes) -> bytes:
    """``frames`` as held: LZ4-compressed (marked) when long enough to gain."""
    if len(frames) < PACK_MIN:
        return frames
    return b"\x00" + bytes(lz4.compress_block(frames))


def unpack(blob: bytes) -> bytes:
    """The frames a held blob stands for."""
    if blob[0] != _PACKED:
        return blob
    return bytes(lz4.decompress_block(memoryview(blob)[1:]))


def unpacked_size(blob: bytes) -> int:
    """len(unpack(blob)), without decompressing (the block's stored size)."""
    return int.from_bytes(blob[1:5], "little") if blob[0] == _PACKED else len(blob)


class Trace:
    """One trace in memory until decided: its spans as joined frames (wire bytes, see
    :mod:`otelpy.pdata.spanframes`; long ones packed) per group, in arrival order."""

    __slots__ = ("alive", "arrival", "buffered", "decided_at", "decision", "runs",
                 "span_count", "trace_id", "_items", "_summaries")

    def __init__(self, trace_id: bytes, arrival: float) -> None:
        self.trace_id = trace_id
        self.arrival = arrival
        self.runs: list[tuple[Group, list[bytes]]] = []
        self.buffered = 0  # spans held (0 once decided)
        self.span_count = 0  # spans seen, late ones included
        self.decision = Decision.UNSPECIFIED
        self.decided_at = 0.0
        self.alive = True
        self._items: list[tuple[Group, Any]] | None = None
        self._summaries: Any = None

    def add(self, group: Group, frames: bytes, spans: int) -> None:
        """Buffer ``spans`` spans, ``frames`` joined."""
        runs, blob = self.runs, pack(frames)
        if runs and runs[-1][0] is group:
            runs[-1][1].append(blob)
        else:
            runs.append((group, [blob]))
        self.buffered += spans

    @property
    def items(self) -> list[tuple[Group, Any]]:
        """(group, decoded Span) per buffered span in arrival order, decoded on first use.

        Raises PolicyError when a span does not decode."""
        if self._items is None:
            items: list[tuple[Group, Any]] = []
            try:
                for group, blobs in self.runs:
                    spans = decode_spans([unpack(blob) for blob in blobs])
                    items.extend((group, span) for span in spans)
            except DecodeError as exc:
                raise PolicyError(f"a span does not decode: {exc}") from None
            self._items = items
        return self._items

    @property
    def summaries(self) -> Any:
        """Per buffered span in arrival order, its ``trace_state``, ``start_time_unix_nano``,
        ``end_time_unix_nano`` and ``status.code`` (a lighter decode than :attr:`items`).

        Raises PolicyError when a span does not decode."""
        if self._summaries is None:
            try:
                self._summaries = decode_summaries(
                    [unpack(blob) for _, blobs in self.runs for blob in blobs])
            except DecodeError as exc:
                raise PolicyError(f"a span does not decode: {exc}") from None
        return self._summaries

    def release(self) -> tuple[list[tuple[Group, list[bytes]]], int]:
        """Hand out the buffered runs (blobs to :func:`unpack`) and their span count, and
        forget them."""
        runs, spans = self.runs, self.buffered
        self.runs, self.buffered, self._items, self._summaries = [], 0, None, None
        return runs, spans


class DecisionCache:
    """Trace IDs of past decisions, least recently used evicted; size 0 keeps nothing."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._ids: OrderedDict[bytes, None] = OrderedDict()

    def __contains__(self, trace_id: bytes) -> bool:
        if trace_id in self._ids:
            self._ids.move_to_end(trace_id)
            return True
        return False

    def put(self, trace_id: bytes) -> bool:
        """Remember ``trace_id``; False when the cache is off."""
        if not self.size:
            return False
        self._ids[trace_id] = None
        self._ids.move_to_end(trace_id)
        while len(self._ids) > self.size:
            self._ids.popitem(last=False)
        return True


class TraceTable:
    """Traces by ID, at most ``capacity`` arrivals deep: the trace that arrived
    ``capacity`` new traces ago is evicted (the Collector's drop-old limiter)."""

    def __init__(self, capacity: int, batches: int) -> None:
        self.capacity = capacity
        self.traces: dict[bytes, Trace] = {}
        self._arrivals: deque[Trace] = deque()
        self.pipe: deque[list[Trace]] = deque([] for _ in range(batches))
        self.current: list[Trace] = []

    def add(self, trace_id: bytes, now: float) -> tuple[Trace, Trace | None]:
        """A new trace, and the trace it evicted (None when nothing was)."""
        trace = self.traces[trace_id] = Trace(trace_id, now)
        self.current.append(trace)
        self._arrivals.append(trace)
        evicted = None
        if len(self._arrivals) > self.capacity:
            old = self._arrivals.popleft()
            if old.alive:
                self.remove(old)
                evicted = old
        return trace, evicted

    def remove(self, trace: Trace) -> None:
        if trace.alive:
            trace.alive = False
            if self.traces.get(trace.trace_id) is trace:
                del self.traces[trace.trace_id]

    def due(self) -> list[Trace]:
        """The oldest decision batch; the batch being filled joins the end of the pipe."""
        batch = self.pipe.popleft()
        self.pipe.append(self.current)
        self.current = []
        return batch

    def pending(self) -> list[Trace]:
        """Every trace still waiting for its decision (for shutdown), oldest first."""
        out = [t for batch in self.pipe for t in batch] + self.current
        self.pipe = deque([] for _ in self.pipe)
        self.current = []
        return [t for t in out if t.alive and t.decision is Decision.UNSPECIFIED]

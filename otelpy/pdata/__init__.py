"""Telemetry batches over OTLP protobuf that keep wire bytes and decode lazily.

A :class:`Batch` holds the serialized ``Export*ServiceRequest`` bytes it arrived
as, the decoded message, or both. It decodes only when something asks for
:attr:`Batch.message` and serializes only when something asks for
:attr:`Batch.data`. Batches merge by concatenating bytes (protobuf repeated
fields append) and split along resource/scope/item boundaries without decoding
items. :meth:`Batch.from_bytes` checks the wire framing down to each item's
own fields (see :mod:`otelpy.pdata.skeleton`) so a malformed request is refused
before it can be merged with others.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from google.protobuf.message import DecodeError, Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from otelpy.component import Signal
from otelpy.errors import PermanentError
from otelpy.pdata import skeleton as sk
from otelpy.pdata.metadata import ClientMetadata

__all__ = ["Batch", "ClientMetadata", "SignalSpec", "SPECS"]


@dataclass(frozen=True)
class SignalSpec:
    """Names and classes that differ between the three signals."""

    signal: Signal
    request: type[Message]
    checked: Any
    framed: Any
    framed_resource: Any
    resources: str  # field name of the resource list in the request
    scopes: str  # field name of the scope list in a resource
    items: str  # field name of the item list in a scope
    item_name: str  # what one counted item is called ("spans", "data points", ...)


SPECS: dict[Signal, SignalSpec] = {
    Signal.TRACES: SignalSpec(
        Signal.TRACES, ExportTraceServiceRequest, sk.CheckedTraces, sk.FramedTraces,
        sk.FramedResourceSpans, "resource_spans", "scope_spans", "spans", "spans",
    ),
    Signal.METRICS: SignalSpec(
        Signal.METRICS, ExportMetricsServiceRequest, sk.CheckedMetrics, sk.FramedMetrics,
        sk.FramedResourceMetrics, "resource_metrics", "scope_metrics", "metrics", "data points",
    ),
    Signal.LOGS: SignalSpec(
        Signal.LOGS, ExportLogsServiceRequest, sk.CheckedLogs, sk.FramedLogs,
        sk.FramedResourceLogs, "resource_logs", "scope_logs", "log_records", "log records",
    ),
}

_POINT_FIELDS = ("gauge", "sum", "histogram", "exponential_histogram", "summary")


def _metric_points(metric: Any) -> int:
    """Data points in one skeleton Metric (checked form)."""
    total = 0
    for name in _POINT_FIELDS:
        if metric.HasField(name):
            total += len(getattr(metric, name).data_points)
    return total


def _count(spec: SignalSpec, checked: Any) -> int:
    total = 0
    if spec.signal is Signal.METRICS:
        for res in checked.resource_metrics:
            for scope in res.scope_metrics:
                for metric in scope.metrics:
                    total += _metric_points(metric)
        return total
    for res in getattr(checked, spec.resources):
        for scope in getattr(res, spec.scopes):
            total += len(getattr(scope, spec.items))
    return total


class Batch:
    """One OTLP export request of one signal, as bytes, as a message, or both."""

    __slots__ = ("signal", "_data", "_message", "_count", "metadata", "__weakref__")

    def __init__(
        self,
        signal: Signal,
        data: bytes | None = None,
        message: Message | None = None,
        count: int | None = None,
        metadata: ClientMetadata | None = None,
    ) -> None:
        if data is None and message is None:
            raise ValueError("a Batch needs bytes or a message")
        self.signal = signal
        self._data = data
        self._message = message
        self._count = count
        # the client's request metadata, when the receiver has include_metadata on
        self.metadata = metadata

    # -- construction -------------------------------------------------------------------
    @classmethod
    def from_bytes(cls, signal: Signal, data: bytes) -> Batch:
        """A batch from wire bytes, checked down to each item's fields and counted.

        Raises PermanentError when the bytes are not a well-formed request.
        """
        spec = SPECS[signal]
        try:
            checked = spec.checked.FromString(data)
        except DecodeError as exc:
            raise PermanentError(f"malformed {spec.request.DESCRIPTOR.name}: {exc}") from None
        return cls(signal, data, None, _count(spec, checked))

    @classmethod
    def from_message(cls, signal: Signal, message: Message) -> Batch:
        return cls(signal, None, message, None)

    @classmethod
    def empty(cls, signal: Signal) -> Batch:
        return cls(signal, b"", None, 0)

    # -- views --------------------------------------------------------------------------
    @property
    def data(self) -> bytes:
        """The serialized request (serialized on first use, then cached)."""
        if self._data is None:
            assert self._message is not None
            self._data = self._message.SerializeToString()
        return self._data

    @property
    def message(self) -> Any:
        """The decoded request, for reading. Use :meth:`mutable_message` to change it.

        Raises PermanentError when the bytes do not parse in full (the skeleton check of
        :meth:`from_bytes` does not look inside attributes: values nested deeper than
        protobuf's recursion limit are refused only here).
        """
        if self._message is None:
            assert self._data is not None
            spec = SPECS[self.signal]
            msg = spec.request()
            try:
                msg.ParseFromString(self._data)
            except DecodeError as exc:
                raise PermanentError(
                    f"malformed {spec.request.DESCRIPTOR.name}: {exc}") from None
            self._message = msg
        return self._message

    def set_data(self, data: bytes, removed: int = 0) -> None:
        """Replace the request with ``data``, changed without decoding (C paths) and holding
        ``removed`` items fewer; a decoded message is dropped."""
        self._data, self._message = data, None
        if self._count is not None:
            self._count -= removed

    def mutable_message(self) -> Any:
        """The decoded request for changing in place; cached bytes and count are dropped."""
        msg = self.message
        self._data = None
        self._count = None
        return msg

    @property
    def item_count(self) -> int:
        """Spans, metric data points or log records in the batch."""
        if self._count is None:
            spec = SPECS[self.signal]
            self._count = _count(spec, spec.checked.FromString(self.data))
        return self._count

    def envelope_counts(self) -> tuple[int, int]:
        """(resources, metrics) in the batch, counted on the wire framing without decoding
        items; metrics is 0 for traces and logs."""
        spec = SPECS[self.signal]
        resources = getattr(spec.framed.FromString(self.data), spec.resources)
        if self.signal is not Signal.METRICS:
            return len(resources), 0
        return len(resources), sum(len(s.metrics) for r in resources for s in r.scope_metrics)

    @property
    def byte_size(self) -> int:
        return len(self.data)

    def copy(self) -> Batch:
        """An independent copy (bytes are immutable and shared; a message is cloned)."""
        if self._data is not None:
            return Batch(self.signal, self._data, None, self._count, self.metadata)
        clone = SPECS[self.signal].request()
        clone.CopyFrom(self.message)
        return Batch(self.signal, None, clone, self._count, self.metadata)

    def with_metadata(self, metadata: ClientMetadata | None) -> Batch:
        """The same data carrying ``metadata`` instead (bytes are shared; a batch held only
        as a message shares that message, so change neither afterwards)."""
        if self._data is not None:
            return Batch(self.signal, self._data, None, self._count, metadata)
        return Batch(self.signal, None, self._message, self._count, metadata)

    def __repr__(self) -> str:
        return f"Batch({self.signal}, items={self._count}, bytes={len(self._data or b'')})"

    # -- merge and split ----------------------------------------------------------------
    @classmethod
    def merge(cls, signal: Signal, batches: Iterable[Batch]) -> Batch:
        """One batch holding every resource of ``batches``, by byte concatenation; it keeps
        their client metadata only when every part carries the same."""
        parts = list(batches)
        if len(parts) == 1:
            return parts[0]
        data = b"".join(b.data for b in parts)
        first = parts[0].metadata
        metadata = first if all(b.metadata == first for b in parts) else None
        return cls(signal, data, None, sum(b.item_count for b in parts), metadata)

    def split(self, max_items: int) -> list[Batch]:
        """Batches of at most ``max_items`` items each, in order, cutting between items.

        A metric is never cut: one metric with more data points than ``max_items``
        becomes a batch of its own.
        """
        if max_items <= 0 or self.item_count <= max_items:
            return [self]
        parts = _Splitter(SPECS[self.signal], max_items).split(self.data)
        if self.metadata is not None:
            for part in parts:
                part.metadata = self.metadata
        return parts


class _Splitter:
    """Cuts a framed request into requests of at most ``max_items`` items."""

    def __init__(self, spec: SignalSpec, max_items: int) -> None:
        self.spec = spec
        self.max_items = max_items
        self.out: list[Batch] = []
        self.cur = spec.framed()
        self.cur_count = 0
        self._open_res: Any = None

    def _flush(self) -> None:
        if self.cur_count:
            self.out.append(Batch(self.spec.signal, self.cur.SerializeToString(), None,
                                  self.cur_count))
        self.cur = self.spec.framed()
        self.cur_count = 0
        self._open_res = None

    def _weight(self, item: bytes) -> int:
        if self.spec.signal is Signal.METRICS:
            return _metric_points(sk.Metric.FromString(item))
        return 1

    def split(self, data: bytes) -> list[Batch]:
        spec = self.spec
        for res in getattr(spec.framed.FromString(data), spec.resources):
            for scope in getattr(res, spec.scopes):
                target_scope = None
                for item in getattr(scope, spec.items):
                    weight = self._weight(item)
                    if self.cur_count and self.cur_count + weight > self.max_items:
                        self._flush()
                        target_scope = None
                    if target_scope is None:
                        target_scope = self._open_scope(res, scope)
                    getattr(target_scope, spec.items).append(item)
                    self.cur_count += weight
        self._flush()
        return self.out

    def _open_scope(self, res: Any, scope: Any) -> Any:
        """A new scope in the current output, under a copy of ``res`` opened once per output."""
        spec = self.spec
        resources = getattr(self.cur, spec.resources)
        if self._open_res is not res or not resources:
            new_res = resources.add()
            new_res.resource = res.resource
            new_res.schema_url = res.schema_url
            self._open_res = res
        target = getattr(resources[-1], spec.scopes).add()
        target.scope = scope.scope
        target.schema_url = scope.schema_url
        return target

"""A neutral Jaeger span: what Thrift ``jaeger.Span`` and protobuf ``api_v2.Span`` both say.

Both wire forms are read into :class:`JSpan` / :class:`JProcess` first, so one translation
(:mod:`otelpy.jaeger.to_otlp`) serves the Thrift agent and collector protocols and gRPC.
IDs are unsigned integers (Thrift's signed i64 are reinterpreted), times are nanoseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from otelpy.pdata.asstring import as_string
from otelpy.pdata.values import Value

MASK64 = (1 << 64) - 1
CHILD_OF = 0
FOLLOWS_FROM = 1
# value types as protobuf's api_v2.ValueType numbers them (Thrift's TagType differs:
# otelpy.jaeger.thriftcodec maps)
STRING, BOOL, LONG, DOUBLE, BINARY = range(5)

Tag = tuple[str, Value]


@dataclass(slots=True)
class JRef:
    trace_high: int
    trace_low: int
    span_id: int
    ref_type: int


@dataclass(slots=True)
class JLog:
    time_ns: int
    fields: list[Tag]


@dataclass(slots=True)
class JProcess:
    service_name: str
    tags: list[Tag] | None  # None: no tags field at all (the Collector tells nil from empty)

    def key(self) -> tuple[Any, ...]:
        """Identity for grouping spans under one resource."""
        return (self.service_name, tuple((k, type(v).__name__, repr(v))
                                         for k, v in self.tags or ()))


@dataclass(slots=True)
class JSpan:
    trace_high: int
    trace_low: int
    span_id: int
    parent_span_id: int  # the Thrift field; protobuf has none (0)
    operation_name: str
    start_ns: int
    duration_ns: int
    tags: list[Tag] = field(default_factory=list)
    logs: list[JLog] = field(default_factory=list)
    references: list[JRef] = field(default_factory=list)
    flags: int = 0
    process: JProcess | None = None  # protobuf spans may carry their own

    def parent_id(self) -> int:
        """The parent as Jaeger infers it: the parent field, else the first CHILD_OF
        reference of the same trace, else the first FOLLOWS_FROM one; 0 when none."""
        if self.parent_span_id:
            return self.parent_span_id
        follows = 0
        for ref in self.references:
            if ref.trace_high != self.trace_high or ref.trace_low != self.trace_low:
                continue
            if ref.ref_type == CHILD_OF:
                return ref.span_id
            if not follows and ref.ref_type == FOLLOWS_FROM:
                follows = ref.span_id
        return follows


def tag_value(vtype: int, v_str: str | None, v_double: float | None, v_bool: bool | None,
              v_long: int | None, v_binary: bytes | None) -> Value:
    """A tag's value by its declared type; unknown types become the Collector's text."""
    if vtype == STRING:
        return v_str or ""
    if vtype == BOOL:
        return bool(v_bool)
    if vtype == LONG:
        return int(v_long or 0)
    if vtype == DOUBLE:
        return float(v_double if v_double is not None else 0.0)
    if vtype == BINARY:
        return bytes(v_binary or b"")
    return f'<Unknown Jaeger TagType "{vtype}">'


def value_tag(value: Value) -> tuple[int, Any]:
    """(type, value) of an OTLP attribute as a Jaeger tag: maps and lists as their
    Collector text (``as_string``), None as an empty string."""
    if isinstance(value, bool):
        return BOOL, value
    if isinstance(value, int):
        return LONG, value
    if isinstance(value, float):
        return DOUBLE, value
    if isinstance(value, bytes):
        return BINARY, value
    if isinstance(value, str):
        return STRING, value
    return STRING, as_string(value)


def signed64(value: int) -> int:
    """An unsigned 64-bit ID as Thrift's signed i64."""
    value &= MASK64
    return value - (1 << 64) if value >= 1 << 63 else value

"""OTLP/JSON: the JSON encoding of OTLP export requests, to and from protobuf messages.

OTLP/JSON is protobuf's JSON mapping with OTLP's own rules on top:

* ``traceId``, ``spanId`` and ``parentSpanId`` (in spans, span links, log records and
  metric exemplars) are hex strings, not base64. Decoding accepts upper and lower
  case; an empty string means "absent". Other ``bytes`` (``bytesValue``) stay base64.
* 64-bit integers may be JSON strings or numbers; enums are integers (their names are
  accepted too); keys are lowerCamelCase (snake_case is accepted too).
* Unknown fields, unknown enum names and ``null`` values are ignored.

Decoding an ID that is not a hex string of the right length (16 bytes for trace IDs,
8 for span IDs) is an error in :func:`decode`. :func:`decode_partial` instead drops the
item holding it (the span, the log record, or the metric data point whose exemplar
holds it) and reports how many items it dropped, for OTLP partial success.

Both directions (encoding in :mod:`otelpy.pdata.otlpjson_encode`, re-exported
here) are driven by the protobuf descriptors (not ``json_format``, which is
several times slower and gets the IDs wrong): decoding turns the JSON document into
constructor arguments and builds the message with one constructor call, in C.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor
from google.protobuf.message import Message

from otelpy.component import Signal
from otelpy.errors import PermanentError
from otelpy.pdata import SPECS
from otelpy.pdata.otlpjson_encode import ID_FIELDS, encode, encode_bytes
from otelpy.pdata.otlpjson_encode import PKG as _PKG

__all__ = ["Decoded", "decode", "decode_dict", "decode_partial", "encode", "encode_bytes"]

# deepest message nesting accepted (the request is depth 1): what protobuf's parser (upb)
# accepts, so that whatever is decoded from JSON can be parsed again from its bytes
MAX_DEPTH = 100
# the items a bad ID drops in partial decoding (counted as OTLP partial success counts them)
_ITEMS = {_PKG + name for name in (
    "trace.v1.Span", "logs.v1.LogRecord", "metrics.v1.NumberDataPoint",
    "metrics.v1.HistogramDataPoint", "metrics.v1.ExponentialHistogramDataPoint")}


@dataclass(frozen=True)
class Decoded:
    """A decoded request and what was dropped from it (``rejected`` items, first reason)."""

    message: Any
    rejected: int = 0
    error_message: str = ""


# -- decoding --------------------------------------------------------------------------
class _Bad(Exception):
    """Invalid input; ``path`` collects JSON keys and indexes, innermost first."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.path: list[str] = []

    def where(self) -> str:
        text = "".join(p if p.startswith("[") else "." + p for p in reversed(self.path))
        return text.removeprefix(".")


class _BadID(_Bad):
    """An ID that is not a hex string of the right length."""


class _Skip(Exception):
    """The value is to be ignored (an unknown enum name)."""


class _Context:
    """Per-decode state: whether bad IDs drop items, what was dropped, message depth."""

    __slots__ = ("partial", "rejected", "first_error", "depth")

    def __init__(self, partial: bool) -> None:
        self.partial = partial
        self.rejected = 0
        self.first_error = ""
        self.depth = 0


_Convert = Callable[[Any, _Context], Any]


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _string(v: Any, ctx: _Context) -> Any:
    if type(v) is str:
        return v
    raise _Bad(f"expected a string, got {_type_name(v)}")


def _bool(v: Any, ctx: _Context) -> Any:
    if type(v) is bool:
        return v
    raise _Bad(f"expected true or false, got {_type_name(v)}")


def _integer(lo: int, hi: int) -> _Convert:
    def convert(v: Any, ctx: _Context) -> Any:
        t = type(v)
        if t is int:
            n = v
        elif t is str and v and " " not in v:
            try:
                n = int(v)
            except ValueError:
                raise _Bad(f"expected an integer, got {v!r:.40}") from None
        elif t is float and v.is_integer():
            n = int(v)
        else:
            raise _Bad(f"expected an integer, got {v!r:.40}")
        if lo <= n <= hi:
            return n
        raise _Bad(f"{n} is out of range [{lo}, {hi}]")
    return convert


_F = FieldDescriptor
_INT_RANGES = {
    **dict.fromkeys((_F.TYPE_INT32, _F.TYPE_SINT32, _F.TYPE_SFIXED32), (-(2**31), 2**31 - 1)),
    **dict.fromkeys((_F.TYPE_UINT32, _F.TYPE_FIXED32), (0, 2**32 - 1)),
    **dict.fromkeys((_F.TYPE_INT64, _F.TYPE_SINT64, _F.TYPE_SFIXED64), (-(2**63), 2**63 - 1)),
    **dict.fromkeys((_F.TYPE_UINT64, _F.TYPE_FIXED64), (0, 2**64 - 1)),
}


_FLOAT_WORDS = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}


def _double(v: Any, ctx: _Context) -> Any:
    t = type(v)
    if t is float or t is int:
        return v
    if t is str:
        if v in _FLOAT_WORDS:
            return _FLOAT_WORDS[v]
        try:
            return float(v)
        except ValueError:
            pass
    raise _Bad(f"expected a number, got {v!r:.40}")


def _base64(v: Any, ctx: _Context) -> Any:
    if type(v) is str:
        text = v.replace("-", "+").replace("_", "/")
        try:
            return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
        except binascii.Error:
            pass
    raise _Bad(f"expected base64 bytes, got {v!r:.40}")


def _hex_id(size: int) -> _Convert:
    def convert(v: Any, ctx: _Context) -> Any:
        if type(v) is not str:
            raise _Bad(f"expected a hex string, got {_type_name(v)}")
        try:
            raw = binascii.unhexlify(v)
        except ValueError:
            raw = b""
        if len(raw) != size and v:
            raise _BadID(f"invalid ID {v[:64]!r}: expected {size * 2} hex digits")
        return raw
    return convert


def _enum(enum_type: EnumDescriptor) -> _Convert:
    by_name = {name: value.number for name, value in enum_type.values_by_name.items()}

    def convert(v: Any, ctx: _Context) -> Any:
        if type(v) is int:
            if -(2**31) <= v < 2**31:
                return v
            raise _Bad(f"enum value {v} is out of range")
        if type(v) is str:
            if v in by_name:
                return by_name[v]
            try:
                number = int(v)
            except ValueError:
                raise _Skip() from None  # an enum name from a newer schema: ignored
            return convert(number, ctx)
        raise _Bad(f"expected an enum number or name, got {_type_name(v)}")
    return convert


_SCALARS: dict[int, _Convert] = {
    _F.TYPE_STRING: _string, _F.TYPE_BOOL: _bool, _F.TYPE_BYTES: _base64,
    _F.TYPE_DOUBLE: _double, _F.TYPE_FLOAT: _double,
    **{t: _integer(lo, hi) for t, (lo, hi) in _INT_RANGES.items()},
}


def _descriptor(message_type: type[Message]) -> Descriptor:
    """The message type's descriptor. (The stubs type it as the pure-Python or the upb
    class; at runtime the upb one is an instance of ``descriptor.Descriptor``.)"""
    desc = message_type.DESCRIPTOR
    if not isinstance(desc, Descriptor):
        raise TypeError(f"{desc.full_name}: not a message descriptor")
    return desc


class _Plan:
    """How to turn the JSON object of one message type into constructor arguments."""

    __slots__ = ("fields",)
    _cache: dict[str, _Plan] = {}

    def __init__(self) -> None:
        # JSON key (camelCase and snake_case) -> (field name, convert, repeated, is item)
        self.fields: dict[str, tuple[str, _Convert, bool, bool]] = {}

    @classmethod
    def of(cls, desc: Descriptor) -> _Plan:
        plan = cls._cache.get(desc.full_name)
        if plan is None:
            plan = cls._cache[desc.full_name] = cls()  # cached first: types recurse
            ids = ID_FIELDS.get(desc.full_name, {})
            for f in desc.fields:
                spec = (f.name, _converter(f, ids), f.is_repeated,
                        f.message_type is not None and f.message_type.full_name in _ITEMS)
                plan.fields[f.json_name] = plan.fields[f.name] = spec
        return plan

    def convert(self, obj: Any, ctx: _Context) -> dict[str, Any]:
        if type(obj) is not dict:
            raise _Bad(f"expected a JSON object, got {_type_name(obj)}")
        ctx.depth += 1  # not restored on errors: they end the decoding
        if ctx.depth > MAX_DEPTH:
            raise _Bad(f"messages nested more than {MAX_DEPTH} deep")
        out: dict[str, Any] = {}
        fields = self.fields
        for key, value in obj.items():
            spec = fields.get(key)
            if spec is None or value is None:
                continue
            name, conv, repeated, items = spec
            try:
                out[name] = (_repeated(conv, value, ctx, key, items) if repeated
                             else conv(value, ctx))
            except _Skip:
                continue
            except _Bad as exc:
                exc.path.append(key)
                raise
        ctx.depth -= 1
        return out


def _converter(field: FieldDescriptor, ids: dict[str, int]) -> _Convert:
    if field.name in ids:
        return _hex_id(ids[field.name])
    if field.message_type is not None:
        if field.message_type.GetOptions().map_entry:
            raise TypeError(f"{field.full_name}: map fields are not supported")
        return _Plan.of(field.message_type).convert
    if field.enum_type is not None:
        return _enum(field.enum_type)
    return _SCALARS[field.type]


def _repeated(conv: _Convert, value: Any, ctx: _Context, key: str, items: bool) -> list[Any]:
    if type(value) is not list:
        raise _Bad(f"expected a JSON array, got {_type_name(value)}")
    out = []
    depth = ctx.depth
    for i, v in enumerate(value):
        try:
            if v is None:
                raise _Bad("null is not allowed in an array")
            out.append(conv(v, ctx))
        except _Skip:
            continue
        except _BadID as exc:
            exc.path.append(f"[{i}]")
            if not (items and ctx.partial):
                raise
            ctx.rejected += 1
            ctx.depth = depth  # the dropped item's conversion ended early
            ctx.first_error = ctx.first_error or f"{key}{exc.where()}: {exc.reason}"
        except _Bad as exc:
            exc.path.append(f"[{i}]")
            raise
    return out


def _loads(data: bytes | str) -> Any:
    try:
        return json.loads(data)
    except RecursionError:
        raise PermanentError("invalid OTLP/JSON: nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        raise PermanentError(f"invalid OTLP/JSON: {exc}") from None


def decode_dict(signal: Signal, obj: Any, *, partial: bool = False) -> Decoded:
    """Decode an already-parsed OTLP/JSON document (not modified) into the request message.

    With ``partial``, items holding an invalid ID are dropped and counted in the result;
    otherwise an invalid ID raises. Raises PermanentError on anything that is not a valid
    OTLP/JSON request of ``signal``.
    """
    spec = SPECS[signal]
    request = spec.request
    name = request.DESCRIPTOR.name
    ctx = _Context(partial)
    try:
        message = request(**_Plan.of(_descriptor(request)).convert(obj, ctx))
    except _Bad as exc:
        where = exc.where()
        raise PermanentError(f"invalid OTLP/JSON {name}: "
                             f"{where + ': ' if where else ''}{exc.reason}") from None
    except RecursionError:
        raise PermanentError(f"invalid OTLP/JSON {name}: nested too deeply") from None
    except (TypeError, ValueError) as exc:  # range checks of the constructor
        raise PermanentError(f"invalid OTLP/JSON {name}: {exc}") from None
    error = ""
    if ctx.rejected:
        error = f"{spec.item_name} with invalid IDs dropped: {ctx.rejected} " \
                f"(first: {ctx.first_error})"
    return Decoded(message, ctx.rejected, error)


def decode(signal: Signal, data: bytes | str) -> Any:
    """OTLP/JSON bytes -> the Export*ServiceRequest message of ``signal``.

    Raises PermanentError when ``data`` is not valid JSON, not an OTLP/JSON request,
    or holds an ID that is not a hex string of the right length.
    """
    return decode_dict(signal, _loads(data)).message


def decode_partial(signal: Signal, data: bytes | str) -> Decoded:
    """Like :func:`decode`, but items with invalid IDs are dropped and counted, not refused.

    Raises PermanentError for everything else :func:`decode` refuses.
    """
    return decode_dict(signal, _loads(data), partial=True)

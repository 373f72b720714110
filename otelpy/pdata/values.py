"""OTLP attribute values as Python values, both ways, and attributes as a mapping.

``AnyValue`` <-> :data:`Value`:

=================  =====================================
AnyValue           Python
=================  =====================================
(empty)            ``None``
string_value       ``str``
bool_value         ``bool``
int_value          ``int`` (signed 64-bit)
double_value       ``float``
bytes_value        ``bytes``
array_value        ``list`` of values
kvlist_value       ``dict`` of str -> value
=================  =====================================

:class:`Attributes` is a ``MutableMapping[str, Value]`` over a repeated ``KeyValue`` field
(span, resource, scope, log record, data point attributes), with the Collector's ``pcommon.Map``
semantics: a key appears once; setting an existing key replaces its value in place (order
kept); a new key is appended. Reading never changes the message.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from typing import Any, TypeAlias

from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

__all__ = ["INT64_MAX", "INT64_MIN", "Attributes", "Value", "set_value", "to_value",
           "value_of"]

Value: TypeAlias = (
    "str | bool | int | float | bytes | list[Value] | dict[str, Value] | None"
)

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


def to_value(any_value: Any) -> Value:
    """The Python value of an ``AnyValue`` (lists and dicts are new objects)."""
    kind = any_value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [to_value(v) for v in any_value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: to_value(kv.value) for kv in any_value.kvlist_value.values}
    if kind == "string_value_strindex":  # only meaningful with a profiles dictionary
        return None
    result: Value = getattr(any_value, kind)
    return result


def set_value(any_value: Any, value: Value) -> None:
    """Store ``value`` in the ``AnyValue`` message ``any_value`` (cleared first).

    Raises TypeError for a value with no AnyValue form, and OverflowError for an int
    outside signed 64 bits.
    """
    any_value.Clear()
    if value is None:
        return
    if isinstance(value, bool):  # before int: bool is an int
        any_value.bool_value = value
    elif isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            raise OverflowError(f"{value} does not fit in a signed 64-bit int")
        any_value.int_value = value
    elif isinstance(value, str):
        any_value.string_value = value
    elif isinstance(value, float):
        any_value.double_value = value
    elif isinstance(value, (bytes, bytearray)):
        any_value.bytes_value = bytes(value)
    elif isinstance(value, Mapping):
        kvs = any_value.kvlist_value
        kvs.SetInParent()
        for key, item in value.items():
            set_value(kvs.values.add(key=str(key)).value, item)
    elif isinstance(value, Sequence):
        array = any_value.array_value
        array.SetInParent()
        for item in value:
            set_value(array.values.add(), item)
    else:
        raise TypeError(f"no OTLP AnyValue for {type(value).__name__}")


def value_of(value: Value) -> AnyValue:
    """A new ``AnyValue`` holding ``value``."""
    out = AnyValue()
    set_value(out, value)
    return out


class Attributes(MutableMapping[str, Value]):
    """A live view of a repeated ``KeyValue`` field as ``str -> Value``.

    Lookups scan the list (attribute lists are short; the Collector does the same).
    Values read are copies: change an attribute by assigning to it.
    """

    __slots__ = ("_kvs",)

    def __init__(self, key_values: Any) -> None:
        self._kvs = key_values

    def _find(self, key: str) -> KeyValue | None:
        for kv in self._kvs:
            if kv.key == key:
                return kv  # type: ignore[no-any-return]
        return None

    def __getitem__(self, key: str) -> Value:
        kv = self._find(key)
        if kv is None:
            raise KeyError(key)
        return to_value(kv.value)

    def __setitem__(self, key: str, value: Value) -> None:
        kv = self._find(key)
        if kv is None:
            kv = self._kvs.add(key=key)
        set_value(kv.value, value)

    def __delitem__(self, key: str) -> None:
        for index, kv in enumerate(self._kvs):
            if kv.key == key:
                del self._kvs[index]
                return
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._find(key) is not None

    def __iter__(self) -> Iterator[str]:
        return iter([kv.key for kv in self._kvs])

    def __len__(self) -> int:
        return len(self._kvs)

    @property
    def key_values(self) -> Any:
        """The live repeated ``KeyValue`` field under this mapping (for loops that read or
        change many entries without converting them)."""
        return self._kvs

    def any_value(self, key: str) -> AnyValue | None:
        """The stored ``AnyValue`` message of ``key`` (live: changes show), or None."""
        kv = self._find(key)
        return None if kv is None else kv.value

    def retain(self, keep: set[str] | frozenset[str]) -> int:
        """Drop every key not in ``keep``; returns how many were dropped."""
        kept = [kv for kv in self._kvs if kv.key in keep]
        dropped = len(self._kvs) - len(kept)
        if dropped:
            copies = [KeyValue(key=kv.key, value=kv.value) for kv in kept]
            del self._kvs[:]
            self._kvs.extend(copies)
        return dropped

    def as_dict(self) -> dict[str, Value]:
        """Every attribute as a plain dict (the first value wins for a repeated key)."""
        out: dict[str, Value] = {}
        for kv in self._kvs:
            out.setdefault(kv.key, to_value(kv.value))
        return out

    def __repr__(self) -> str:
        return f"Attributes({self.as_dict()!r})"

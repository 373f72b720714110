"""Paths to telemetry fields, resolved once per statement into getter/setter closures.

A path is evaluated against one pdata item (:mod:`otelpy.pdata.items`: ``SpanItem``,
``LogItem``, ...) and the statement group's cache map. ``span.attributes["k"]`` names the
context first (the Collector's current syntax); a path without a context name
(``attributes["k"]``, the older syntax of ``context:`` groups and the filter processor's
per-context lists) belongs to the context it is evaluated in. A context can reach its
parents: a span reaches its scope and resource, a data point its metric.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from otelpy.ottl import keyindex
from otelpy.ottl import syntax as s
from otelpy.ottl.errors import EvalError, ParseError
from otelpy.ottl.values import Time
from otelpy.pdata.values import Attributes, set_value, to_value

Getter = Callable[[Any, dict[str, Any]], Any]
Setter = Callable[[Any, dict[str, Any], Any], None]
Builder = Callable[[tuple[s.PathField, ...]], "Accessor"]

#: each context and its parent (None for resource)
PARENT: dict[str, str | None] = {
    "resource": None, "scope": "resource", "span": "scope", "spanevent": "span",
    "log": "scope", "metric": "scope", "datapoint": "metric",
}
ALIASES = {"instrumentation_scope": "scope"}
#: the message of each context, from an item
MESSAGE = {
    "resource": attrgetter("resource.resource"), "scope": attrgetter("scope.scope"),
    "span": attrgetter("span"), "spanevent": attrgetter("event"), "log": attrgetter("record"),
    "metric": attrgetter("metric"), "datapoint": attrgetter("point"),
}


@dataclass(frozen=True)
class Accessor:
    """How to read (and, unless ``set`` is None, write) one path. ``live`` is true when
    ``get`` returns a mutable view of the telemetry (an attribute map), so editors that
    change it in place need not write it back."""

    get: Getter
    set: Setter | None
    context: str
    live: bool = False
    #: for attribute maps: the raw ``KeyValue`` list of an item (see ``keyindex``)
    key_values: Callable[[Any], Any] | None = None
    #: fast paths (``Compiler(fast=True)``): for ``attributes["k"]``, the live ``KeyValue``
    #: of ``k`` or None
    entry: Callable[[Any], Any] | None = None


def reachable(context: str) -> list[str]:
    """``context`` and its ancestors."""
    out: list[str] = []
    current: str | None = context
    while current is not None:
        out.append(current)
        current = PARENT[current]
    return out


def path_context(path: s.Path) -> str | None:
    """The context a path names first (``span`` in ``span.name``), or None."""
    first = path.fields[0]
    name = ALIASES.get(first.name, first.name)
    if name in PARENT and not first.keys and len(path.fields) > 1:
        return name
    return None


def resolve(path: s.Path, context: str, tables: Mapping[str, Mapping[str, Builder]]) -> Accessor:
    """The accessor of ``path`` evaluated in ``context``; raises ParseError (with the
    path's column) for a path the context does not have."""
    named = path_context(path)
    target, fields = (named, path.fields[1:]) if named else (context, path.fields)
    if target not in reachable(context):
        raise ParseError(f'path "{path.text()}" is not available in the {context} context',
                         path.column)
    head = fields[0]
    if head.name == "cache":
        return cache_accessor(head.keys, target, fields[1:], path)
    builder = tables[target].get(head.name)
    if builder is None:
        raise ParseError(f'the {target} context has no path "{head.name}"', head.column)
    return builder(fields)


def no_subfields(fields: tuple[s.PathField, ...]) -> None:
    if len(fields) > 1:
        raise ParseError(f'"{fields[0].name}" has no field "{fields[1].name}"', fields[1].column)


def no_keys(field: s.PathField) -> None:
    if field.keys:
        raise ParseError(f'"{field.name}" cannot be indexed', field.column)


# -- indexing maps and lists -------------------------------------------------------------
def index(value: Any, keys: tuple[s.Key, ...]) -> Any:
    """``value[k1][k2]...``: nil for a missing map key; EvalError for a bad index."""
    for key in keys:
        if value is None:
            return None
        if isinstance(key, str):
            if not isinstance(value, Mapping):
                raise EvalError(f"type {type(value).__name__} does not support string indexing")
            value = value.get(key)
        else:
            if not isinstance(value, list):
                raise EvalError(f"type {type(value).__name__} does not support int indexing")
            if not 0 <= key < len(value):
                raise EvalError(f"index {key} out of bounds")
            value = value[key]
    return value


def assign(container: Any, keys: tuple[s.Key, ...], new: Any) -> None:
    """``container[k1]...[kn] = new`` in a dict/list tree, creating missing maps."""
    for i, key in enumerate(keys):
        last = i == len(keys) - 1
        if isinstance(key, str):
            if not isinstance(container, dict):
                raise EvalError(f"type {type(container).__name__} does not support string "
                                "indexing")
            if last:
                container[key] = new
                return
            if container.get(key) is None:
                container[key] = {}
            container = container[key]
        else:
            if not isinstance(container, list) or not 0 <= key < len(container):
                raise EvalError(f"index {key} out of bounds")
            if last:
                container[key] = new
                return
            container = container[key]


def plain(value: Any) -> Any:
    """A value fit to keep (in the cache or a map): attribute views become dicts."""
    if isinstance(value, Attributes):
        return value.as_dict()
    return value


def store(any_value: Any, value: Any) -> None:
    """``set_value`` with the language's errors."""
    try:
        set_value(any_value, plain(value))
    except (TypeError, OverflowError) as exc:
        raise EvalError(str(exc)) from None


# -- cache and attribute maps --------------------------------------------------------------
def cache_accessor(keys: tuple[s.Key, ...], context: str, rest: tuple[s.PathField, ...],
                   path: s.Path) -> Accessor:
    if rest:
        raise ParseError('"cache" has no fields', rest[0].column)
    if not keys:
        def set_all(item: Any, cache: dict[str, Any], value: Any) -> None:
            if isinstance(value, Mapping):
                cache.clear()
                cache.update(plain(value))
        return Accessor(lambda item, cache: cache, set_all, context, live=True)
    if not isinstance(keys[0], str):
        raise ParseError("cache must be indexed by a string", path.column)
    return Accessor(lambda item, cache: index(cache, keys),
                    lambda item, cache, value: assign(cache, keys, plain(value)), context)


_SCALAR_KINDS = frozenset(["string_value", "bool_value", "int_value", "double_value",
                           "bytes_value"])


def attributes(select: Callable[[Any], Any], context: str,
               fields: tuple[s.PathField, ...]) -> Accessor:
    """``attributes`` or ``attributes["k"]...`` of the message ``select(item)``; keys are
    found through :mod:`otelpy.ottl.keyindex`."""
    no_subfields(fields)
    keys = fields[0].keys
    if not keys:
        return _attribute_map(select, context)
    first, rest = keys[0], keys[1:]
    if not isinstance(first, str):
        raise ParseError("attributes must be indexed by a string", fields[0].column)

    if not rest:
        lookup, index_of = keyindex.lookup, keyindex.index_of

        def get_key(item: Any, cache: dict[str, Any]) -> Any:
            kv = lookup(select(item).attributes, first)
            if kv is None:
                return None
            value = kv.value
            kind = value.WhichOneof("value")
            if kind in _SCALAR_KINDS:  # to_value, inline for the common case
                return getattr(value, kind)
            return to_value(value)

        def set_key(item: Any, cache: dict[str, Any], value: Any) -> None:
            if type(value) is not str and isinstance(value, Attributes):  # ABC check: slow
                value = value.as_dict()
            index_of(select(item).attributes).put(first, value)
        return Accessor(get_key, set_key, context,
                        entry=lambda item: keyindex.lookup(select(item).attributes, first))

    def get_nested(item: Any, cache: dict[str, Any]) -> Any:
        kv = keyindex.lookup(select(item).attributes, first)
        return None if kv is None else index(to_value(kv.value), rest)

    def set_nested(item: Any, cache: dict[str, Any], value: Any) -> None:
        found = keyindex.index_of(select(item).attributes)
        kv = found.get(first)
        current = None if kv is None else to_value(kv.value)
        tree = {} if current is None else current
        assign(tree, rest, plain(value))
        found.put(first, tree)
    return Accessor(get_nested, set_nested, context)


def _attribute_map(select: Callable[[Any], Any], context: str) -> Accessor:
    """The whole map: a live view (editors change it in place, so the key index of the
    list is forgotten), or the raw list for editors that go through the key index."""
    def get_map(item: Any, cache: dict[str, Any]) -> Any:
        kvs = select(item).attributes
        keyindex.forget(kvs)
        return Attributes(kvs)

    def set_map(item: Any, cache: dict[str, Any], value: Any) -> None:
        kvs = select(item).attributes
        if isinstance(value, Mapping) and not (
                isinstance(value, Attributes) and value.key_values is kvs):
            new = plain(value)
            keyindex.forget(kvs)
            del kvs[:]
            target = Attributes(kvs)
            for k, v in new.items():
                _store_attr(target, k, v)
    return Accessor(get_map, set_map, context, live=True,
                    key_values=lambda item: select(item).attributes)


def _store_attr(attrs: Attributes, key: str, value: Any) -> None:
    try:
        attrs[key] = plain(value)
    except (TypeError, OverflowError) as exc:
        raise EvalError(str(exc)) from None


# -- scalar fields -------------------------------------------------------------------------
def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def scalar(select: Callable[[Any], Any], attr: str, kind: type, context: str,
           fields: tuple[s.PathField, ...]) -> Accessor:
    """A string, int, float or bool field; a value of another type is not set (as the
    Collector's setters ignore it)."""
    no_subfields(fields)
    no_keys(fields[0])
    getter = attrgetter(attr)

    def get(item: Any, cache: dict[str, Any]) -> Any:
        return getter(select(item))

    def set_(item: Any, cache: dict[str, Any], value: Any) -> None:
        if kind is int and not is_int(value):
            return
        if kind is float and not isinstance(value, float):
            return
        if kind in (str, bool) and not isinstance(value, kind):
            return
        try:
            setattr(select(item), attr, value)
        except ValueError as exc:  # out of range for the proto field
            raise EvalError(f"{attr}: {exc}") from None
    return Accessor(get, set_, context)


def time_of(select: Callable[[Any], Any], attr: str, context: str,
            fields: tuple[s.PathField, ...]) -> Accessor:
    """``start_time`` style paths: the nanosecond field as a Time."""
    no_subfields(fields)
    no_keys(fields[0])

    def set_(item: Any, cache: dict[str, Any], value: Any) -> None:
        if isinstance(value, Time):
            if value.ns < 0:
                raise EvalError("a time before 1970 cannot be stored")
            setattr(select(item), attr, value.ns)
    return Accessor(lambda item, cache: Time(getattr(select(item), attr)), set_, context)


def resource_fields() -> dict[str, Builder]:
    msg, env = MESSAGE["resource"], attrgetter("resource")
    return {
        "attributes": lambda f: attributes(msg, "resource", f),
        "dropped_attributes_count": lambda f: scalar(msg, "dropped_attributes_count", int,
                                                     "resource", f),
        "schema_url": lambda f: scalar(env, "schema_url", str, "resource", f),
    }


def scope_fields() -> dict[str, Builder]:
    msg, env = MESSAGE["scope"], attrgetter("scope")
    return {
        "attributes": lambda f: attributes(msg, "scope", f),
        "name": lambda f: scalar(msg, "name", str, "scope", f),
        "version": lambda f: scalar(msg, "version", str, "scope", f),
        "dropped_attributes_count": lambda f: scalar(msg, "dropped_attributes_count", int,
                                                     "scope", f),
        "schema_url": lambda f: scalar(env, "schema_url", str, "scope", f),
    }

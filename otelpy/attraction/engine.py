"""Attribute actions compiled once and applied to attribute maps (the Collector's AttrProc).

``AttrProc(actions)`` checks and compiles a list of :class:`ActionKeyValue` (ValueError
listing the problems when the list is invalid); ``process(attrs)`` applies every action in
order to one :class:`~otelpy.pdata.values.Attributes` mapping, in place:

=========  ==================================================================================
insert     set ``key`` from the source when ``key`` is absent
update     set ``key`` from the source when ``key`` is present
upsert     set ``key`` from the source either way
delete     remove ``key``, then every key the ``pattern`` matches
hash       hash ``key``'s value, then the value of every key the ``pattern`` matches (a key
           that is both is hashed twice, as in the Collector)
extract    match ``pattern`` against ``key``'s string value; set one string attribute per
           named group (overwriting; a group that took no part gives ``""``)
convert    change ``key``'s value type (see :mod:`otelpy.attraction.convert`)
=========  ==================================================================================

The source of insert/update/upsert is ``value``; else ``from_attribute`` (nothing when it is
absent), then ``default_value`` when the first gave nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from otelpy.attraction.config import ActionKeyValue, action_problems
from otelpy.attraction.convert import convert_value, hash_value
from otelpy.goregex import compile_go
from otelpy.pdata.metadata import ClientMetadata
from otelpy.pdata.values import Attributes, value_of

__all__ = ["AttrProc"]


@dataclass(frozen=True)
class _Compiled:
    key: str
    apply: Callable[[_Compiled, Attributes, ClientMetadata | None], None]
    value: AnyValue | None = None
    from_attribute: str = ""
    default: AnyValue | None = None
    regex: re.Pattern[str] | None = None
    converted_type: str = ""
    group_names: tuple[str, ...] = ()  # extract: the name of group 1, 2, ...
    from_context: str = ""  # the client metadata key (without "metadata.")

    def source(self, attrs: Attributes, metadata: ClientMetadata | None) -> AnyValue | None:
        if self.value is not None:
            return self.value
        if self.from_context:
            values = metadata.get(self.from_context, ()) if metadata is not None else ()
            return value_of(";".join(values)) if values else self.default
        if self.from_attribute:
            found = attrs.any_value(self.from_attribute)
            if found is not None:
                copy = AnyValue()
                copy.CopyFrom(found)  # the target may be the source's own slot
                return copy
        return self.default

    def matching_keys(self, attrs: Attributes) -> list[str]:
        regex = self.regex
        return [] if regex is None else [k for k in attrs if regex.search(k)]


def _put(attrs: Attributes, key: str, source: AnyValue) -> None:
    slot = attrs.any_value(key)
    if slot is None:
        attrs[key] = None
        slot = attrs.any_value(key)
    assert slot is not None
    slot.CopyFrom(source)


def _insert(a: _Compiled, attrs: Attributes, metadata: ClientMetadata | None) -> None:
    source = a.source(attrs, metadata)
    if source is not None and a.key not in attrs:
        _put(attrs, a.key, source)


def _update(a: _Compiled, attrs: Attributes, metadata: ClientMetadata | None) -> None:
    source = a.source(attrs, metadata)
    if source is not None and a.key in attrs:
        _put(attrs, a.key, source)


def _upsert(a: _Compiled, attrs: Attributes, metadata: ClientMetadata | None) -> None:
    source = a.source(attrs, metadata)
    if source is not None:
        _put(attrs, a.key, source)


def _delete(a: _Compiled, attrs: Attributes, metadata: ClientMetadata | None) -> None:
    attrs.pop(a.key, None)
    for key in a.matching_keys(attrs):
        attrs.pop(key, None)


def _hash_one(attrs: Attributes, key: str) -> None:
    if key in attrs:
        attrs[key] = hash_value(attrs[key])


def _hash(a: _Compiled, attrs: Attributes, metadata: ClientMetadata | None) -> None:
    _hash_one(attrs, a.key)
    for key in a.matching_keys(attrs):
        _hash_one(attrs, key)


def _extract(a: _Compiled, attrs: Attributes, metadata: ClientMetadata | None) -> None:
    slot = attrs.any_value(a.key)
    if slot is None or slot.WhichOneof("value") != "string_value" or a.regex is None:
        return
    match = a.regex.search(slot.string_value)
    if match is None:
        return
    for index, name in enumerate(a.group_names, start=1):
        attrs[name] = match.group(index) or ""


def _convert(a: _Compiled, attrs: Attributes, metadata: ClientMetadata | None) -> None:
    if a.key in attrs:
        before = attrs[a.key]
        after = convert_value(before, a.converted_type)
        if after is not before:
            attrs[a.key] = after


_APPLY = {"insert": _insert, "update": _update, "upsert": _upsert, "delete": _delete,
          "hash": _hash, "extract": _extract, "convert": _convert}


def _compile(a: ActionKeyValue) -> _Compiled:
    action = a.action.lower()
    regex = compile_go(a.pattern) if a.pattern else None
    names = {index: name for name, index in regex.groupindex.items()} if regex else {}
    return _Compiled(
        key=a.key, apply=_APPLY[action],
        value=None if a.value is None else value_of(a.value),
        from_attribute=a.from_attribute,
        default=None if a.default_value is None else value_of(a.default_value),
        regex=regex,
        converted_type=a.converted_type,
        group_names=tuple(names[i] for i in sorted(names)) if action == "extract" else (),
        from_context=a.from_context.removeprefix("metadata."),
    )


class AttrProc:
    """A checked, compiled list of actions."""

    def __init__(self, actions: Sequence[ActionKeyValue], field: str = "actions") -> None:
        problems = action_problems(actions, field)
        if problems:
            raise ValueError("; ".join(problems))
        self._actions = [_compile(a) for a in actions]

    def process(self, attrs: Attributes, metadata: ClientMetadata | None = None) -> None:
        """Apply every action in order to ``attrs`` (changed in place); ``from_context``
        reads ``metadata``, the client metadata of the batch."""
        for action in self._actions:
            action.apply(action, attrs, metadata)


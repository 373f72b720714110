"""Key lookups on an item's attribute list (a repeated ``KeyValue`` field), shared by the
statements that run on one item.

Reading an element of a protobuf repeated field makes a Python wrapper each time (about a
quarter of a microsecond), so scanning a span's attributes once per statement costs more
than the statements themselves. Here the first read of a list in an item scans it; the
second read (or any change) builds an index: the element wrappers and their keys, kept in
step with the changes made through it (``put``, ``delete``). A key is found by a C-level
search of a list of strings.

The index is only valid while nothing else changes the list: the evaluator calls
:func:`reset` before and after a run over a request and :func:`next_item` before each
item, and :func:`forget` is called by every other way of changing a list during a run
(live attribute maps handed to editors, whole-map assignment). Entries hold their list, so
an ``id`` is never reused while its entry lives. Evaluation runs on one thread (the event
loop), and so does this module's state.
"""

from __future__ import annotations

from typing import Any

from otelpy.ottl.errors import EvalError
from otelpy.pdata.values import set_value

__all__ = ["KeyIndex", "delete", "elements", "forget", "index_of", "lookup", "next_item",
           "reset"]


class KeyIndex:
    """The elements of one attribute list and their keys, in order."""

    __slots__ = ("field", "keys", "kvs")

    def __init__(self, field: Any) -> None:
        self.field = field
        self.kvs = list(field)
        self.keys = [kv.key for kv in self.kvs]

    def get(self, key: str) -> Any:
        """The ``KeyValue`` of ``key`` (live), or None."""
        keys = self.keys
        return self.kvs[keys.index(key)] if key in keys else None

    def put(self, key: str, value: Any) -> None:
        """Set ``key`` (in place when present, else appended), as ``pcommon.Map.Put*``.
        Raises EvalError for a value with no attribute form."""
        keys = self.keys
        if key in keys:
            kv = self.kvs[keys.index(key)]
        else:
            kv = self.field.add(key=key)
            self.kvs.append(kv)
            keys.append(key)
        if type(value) is str:  # setting one member of the oneof clears the others
            kv.value.string_value = value
            return
        try:
            set_value(kv.value, value)
        except (TypeError, OverflowError) as exc:
            raise EvalError(str(exc)) from None

    def delete(self, key: str) -> bool:
        """Remove ``key``; False when it was absent."""
        keys = self.keys
        if key not in keys:
            return False
        at = keys.index(key)
        del self.field[at]
        del self.kvs[at]
        del keys[at]
        return True


#: id(field) -> (field, its index or None after a first scan); the field is held so that
#: its id is not reused while the entry lives
_MEMO: dict[int, tuple[Any, KeyIndex | None]] = {}


#: resource and scope values read in a deeper context, per (getter, envelope) with the
#: envelope held (see ``otelpy.ottl.compiler``); forgotten with the lists
PARENT_VALUES: dict[tuple[int, int], tuple[Any, Any]] = {}


def reset() -> None:
    """Forget every list and kept value (a new run over a request, or its end)."""
    _MEMO.clear()
    PARENT_VALUES.clear()


def next_item() -> None:
    """Forget every list (the statements of a run move to the next item): its wrappers are
    freed at once instead of living to the end of the request, where the garbage collector
    would walk them again and again (kept parent values stay)."""
    _MEMO.clear()


def forget(field: Any) -> None:
    """``field`` is about to change by other means than a :class:`KeyIndex`."""
    _MEMO.pop(id(field), None)


def index_of(field: Any) -> KeyIndex:
    """The index of ``field``, built on first use."""
    entry = _MEMO.get(id(field))
    if entry is not None and entry[1] is not None:
        return entry[1]
    built = KeyIndex(field)
    _MEMO[id(field)] = (field, built)
    return built


def lookup(field: Any, key: str) -> Any:
    """The ``KeyValue`` of ``key`` in ``field`` (live), or None: a scan the first time
    ``field`` is read for the current item, the index from the second time on."""
    entry = _MEMO.get(id(field))
    if entry is None:
        _MEMO[id(field)] = (field, None)
        for kv in field:
            if kv.key == key:
                return kv
        return None
    built = entry[1]
    if built is None:
        built = KeyIndex(field)
        _MEMO[id(field)] = (field, built)
    keys = built.keys  # KeyIndex.get, inline: this runs for most reads of a statement
    return built.kvs[keys.index(key)] if key in keys else None


def delete(field: Any, key: str) -> None:
    """Remove ``key`` from ``field``: through its index when it has one, else by a scan."""
    entry = _MEMO.get(id(field))
    if entry is not None and entry[1] is not None:
        entry[1].delete(key)
        return
    for at, kv in enumerate(field):
        if kv.key == key:
            del field[at]
            return


def elements(field: Any) -> Any:
    """The ``KeyValue`` elements of ``field``: the index's wrappers when it has one."""
    entry = _MEMO.get(id(field))
    return field if entry is None or entry[1] is None else entry[1].kvs

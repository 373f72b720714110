"""The entry operators work on, and fields that point into it (the Collector's stanza ``entry``).

An :class:`Entry` is one log record while operators parse it: a body (any JSON-like value),
``attributes`` and ``resource`` maps, a timestamp, a severity. A :class:`Field` is written as
in the Collector's configs (pkg/stanza/docs/types/field.md): ``body``, ``body.a.b``,
``attributes.x``, ``resource.x``, ``attributes["k8s.pod.name"]``; a field that names none of
the three roots is under ``body`` (``message`` is ``body.message``). Setting a map where a map
already is merges the two, as the Collector does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple

__all__ = ["Entry", "Field", "FieldError", "parse_field", "Origin"]

ROOTS = ("body", "attributes", "resource")
_PART = re.compile(r"""\[\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\s*\]|\.?([^.\[\]]+)""")


class FieldError(ValueError):
    """A field that cannot be parsed, or a value that cannot be set there."""


class Origin(NamedTuple):
    """Where an entry's text came from: a reader of the file consumer and the byte range
    (a tuple: one is made per line, and a frozen dataclass costs several times more)."""

    source: int
    start: int
    end: int


@dataclass(slots=True)
class Entry:
    """One log record being processed."""

    body: Any = None
    attributes: dict[str, Any] = field(default_factory=dict)
    resource: dict[str, Any] = field(default_factory=dict)
    timestamp: int = 0  # ns since the epoch; 0 = unset
    observed: int = 0
    severity: int = 0
    severity_text: str = ""
    origin: Origin | None = None

    def copy(self) -> Entry:
        import copy
        return Entry(copy.deepcopy(self.body), copy.deepcopy(self.attributes),
                     copy.deepcopy(self.resource), self.timestamp, self.observed,
                     self.severity, self.severity_text, self.origin)


@dataclass(frozen=True)
class Field:
    """A path into an entry: ``root`` is body, attributes or resource; ``keys`` below it."""

    root: str
    keys: tuple[str, ...] = ()

    def __str__(self) -> str:
        out = self.root
        for key in self.keys:
            out += f"[{key!r}]" if "." in key or "[" in key else f".{key}"
        return out

    def _container(self, entry: Entry) -> Any:
        return getattr(entry, self.root)

    def get(self, entry: Entry) -> tuple[Any, bool]:
        """(value, True) or (None, False) when there is nothing at this field."""
        value = self._container(entry)
        if self.root == "body" and not self.keys:
            return value, value is not None
        for key in self.keys:
            if not isinstance(value, dict) or key not in value:
                return None, False
            value = value[key]
        return value, True

    def set(self, entry: Entry, value: Any) -> None:
        """Write ``value`` here (merging a map into a map); raises FieldError when the
        attributes or resource root would get a value that is not a map."""
        if not self.keys:
            current = self._container(entry)
            if isinstance(value, dict) and isinstance(current, dict):
                current.update(value)
            elif self.root == "body":
                entry.body = value
            elif isinstance(value, dict):
                setattr(entry, self.root, dict(value))
            else:
                raise FieldError(f"cannot set a {type(value).__name__} as {self.root}: "
                                 "only a map can be")
            return
        if self.root == "body" and not isinstance(entry.body, dict):
            entry.body = {}
        parent = self._container(entry)
        for key in self.keys[:-1]:
            child = parent.get(key)
            if not isinstance(child, dict):
                child = parent[key] = {}
            parent = child
        last = self.keys[-1]
        old = parent.get(last)
        if isinstance(value, dict) and isinstance(old, dict):
            old.update(value)
        else:
            parent[last] = value

    def delete(self, entry: Entry) -> tuple[Any, bool]:
        """Remove and return what is here ((None, False) when nothing was)."""
        if not self.keys:
            value = self._container(entry)
            if self.root == "body":
                entry.body = None
                return value, value is not None
            setattr(entry, self.root, {})
            return value, True
        parent = self._container(entry)
        for key in self.keys[:-1]:
            if not isinstance(parent, dict) or key not in parent:
                return None, False
            parent = parent[key]
        if not isinstance(parent, dict) or self.keys[-1] not in parent:
            return None, False
        return parent.pop(self.keys[-1]), True


def parse_field(text: str) -> Field:
    """A field from its config text; raises FieldError when it is malformed."""
    text = text.strip()
    if not text:
        raise FieldError("empty field")
    if text.startswith("$"):  # the old stanza spellings: $body, $attributes, $resource, $record
        text = text[1:]
        for old, new in (("record", "body"), ("labels", "attributes")):
            if text == old or text.startswith(old + ".") or text.startswith(old + "["):
                text = new + text[len(old):]
        if text == "" or text.startswith("."):
            text = "body" + text
    parts: list[str] = []
    pos = 0
    while pos < len(text):
        match = _PART.match(text, pos)
        if match is None or match.end() == pos:
            raise FieldError(f"field {text!r}: unexpected {text[pos:]!r}")
        quoted = match.group(1) if match.group(1) is not None else match.group(2)
        parts.append(quoted.replace('\\"', '"').replace("\\'", "'")
                     if quoted is not None else match.group(3))
        pos = match.end()
    if parts[0] in ROOTS and not text.startswith("["):
        return Field(parts[0], tuple(parts[1:]))
    return Field("body", tuple(parts))

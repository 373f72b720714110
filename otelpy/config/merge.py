"""Merging config sources left to right, and ``--set`` overrides.

As in the Collector (confmap.Merge): maps merge key by key, recursively; anything
else in the later source (a list, a scalar, null) replaces the earlier value.
"""

from __future__ import annotations

from typing import Any

from otelpy.config.loader import Parsed, parse_yaml
from otelpy.config.problems import (
    SET_SOURCE,
    Path,
    Position,
    Problem,
    copy_under,
    drop_under,
)


def merge_into(base: Parsed, later: Parsed) -> None:
    """Merge ``later`` into ``base`` in place (values, positions and problems)."""
    if later.value is None:
        base.problems.extend(later.problems)
        return
    if base.value is None:
        base.value = {}
    base.value = _merge(base.value, later.value, (), base.positions, later.positions)
    base.problems.extend(later.problems)


def _merge(
    a: Any, b: Any, path: Path, apos: dict[Path, Position], bpos: dict[Path, Position]
) -> Any:
    if isinstance(a, dict) and isinstance(b, dict):
        if path not in apos and path in bpos:
            apos[path] = bpos[path]
        for key, value in b.items():
            sub = path + (key,)
            if key in a:
                a[key] = _merge(a[key], value, sub, apos, bpos)
            else:
                a[key] = value
                copy_under(bpos, apos, sub)
        return a
    drop_under(apos, path)
    copy_under(bpos, apos, path)
    return b


def parse_set(text: str) -> Parsed:
    """``a::b::c=value`` (value parsed as YAML) -> a source holding ``{a: {b: {c: value}}}``.

    A malformed override gives a problem (positioned at ``--set``) and an empty source.
    """
    here = Position(SET_SOURCE)
    key, eq, raw = text.partition("=")
    keys: Path = tuple(k.strip() for k in key.split("::"))
    if not eq or not all(keys):
        return Parsed(None, problems=[Problem(here, (), (
            f'invalid --set "{text}": expected key::subkey=value (keys separated by "::")'))])
    parsed = parse_yaml(raw, SET_SOURCE)
    if parsed.problems:
        detail = "; ".join(p.message for p in parsed.problems)
        message = f'invalid --set value "{raw}": {detail}'
        return Parsed(None, problems=[Problem(here, keys, message)])
    value: Any = parsed.value
    for k in reversed(keys):
        value = {k: value}
    positions = {keys[:i]: here for i in range(len(keys) + 1)}
    positions.update({keys + p: here for p in parsed.positions})
    return Parsed(value, positions)

"""Where a config value came from, and how a finding about it reads.

Every finding is printed as ``file:line:column: yaml::path: message``, the path
joined with ``::`` as the Collector prints it.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

Path = tuple[str | int, ...]

SET_SOURCE = "--set"


@dataclass(frozen=True)
class Position:
    """A place in a config source; ``line == 0`` means the source has no lines (``--set``)."""

    source: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        return f"{self.source}:{self.line}:{self.column}" if self.line else self.source


@dataclass(frozen=True)
class Problem:
    """One finding: where, which YAML path, what is wrong."""

    position: Position
    path: Path
    message: str

    def __str__(self) -> str:
        if self.path:
            return f"{self.position}: {format_path(self.path)}: {self.message}"
        return f"{self.position}: {self.message}"


def drop_under(positions: dict[Path, Position], prefix: Path) -> None:
    """Forget positions at and below ``prefix`` (the value there was replaced)."""
    n = len(prefix)
    for p in [p for p in positions if p[:n] == prefix]:
        del positions[p]


def copy_under(src: dict[Path, Position], dst: dict[Path, Position], prefix: Path) -> None:
    """Copy positions at and below ``prefix`` from ``src`` into ``dst``."""
    n = len(prefix)
    dst.update({p: pos for p, pos in src.items() if p[:n] == prefix})


def nearest(positions: Mapping[Path, Position], path: Path) -> Position | None:
    """The position of ``path`` or of its nearest ancestor that has one."""
    for n in range(len(path), -1, -1):
        pos = positions.get(path[:n])
        if pos is not None:
            return pos
    return None


def format_path(path: Path) -> str:
    """``("processors", "batch/2", "timeout")`` -> ``processors::batch/2::timeout``."""
    return "::".join(str(p) for p in path)


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """``; did you mean "x"?`` for the closest candidate, or an empty string."""
    match = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f'; did you mean "{match[0]}"?' if match else ""


def show(value: Any, limit: int = 60) -> str:
    """A short JSON-ish rendering of a config value for messages."""
    try:
        text = json.dumps(value, default=str, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def sort_problems(problems: Iterable[Problem], sources: list[str]) -> list[str]:
    """Formatted, de-duplicated, in source order then line order (``--set`` last)."""
    order = {name: i for i, name in enumerate(sources)}

    def key(p: Problem) -> tuple[int, int, int]:
        return (order.get(p.position.source, len(order)), p.position.line, p.position.column)

    return list(dict.fromkeys(str(p) for p in sorted(problems, key=key)))

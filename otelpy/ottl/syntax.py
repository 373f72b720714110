"""The syntax tree of OTTL statements and conditions, with the column of every node.

Columns are 1-based positions in the statement text, as the Collector's parser reports
them. The tree is built by :mod:`otelpy.ottl.parser` and turned into closures by
:mod:`otelpy.ottl.compiler`; nothing here evaluates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeAlias

Key: TypeAlias = "str | int"


@dataclass(frozen=True)
class Literal:
    """nil, a string, int, float, bool or bytes literal."""

    value: str | int | float | bool | bytes | None
    column: int


@dataclass(frozen=True)
class Symbol:
    """An upper-case name that is not called: an enum (``SPAN_KIND_SERVER``) or a function
    passed as an argument (``SHA256``); the compiler decides which from where it appears."""

    name: str
    column: int


@dataclass(frozen=True)
class PathField:
    name: str
    keys: tuple[Key, ...]
    column: int


@dataclass(frozen=True)
class Path:
    """``span.attributes["k"]``: fields, each with its index keys."""

    fields: tuple[PathField, ...]
    column: int

    def text(self) -> str:
        out = []
        for f in self.fields:
            out.append(f.name + "".join(f"[{k!r}]" if isinstance(k, int) else f'["{k}"]'
                                        for k in f.keys))
        return ".".join(out)


@dataclass(frozen=True)
class Argument:
    value: Value
    name: str | None
    column: int


@dataclass(frozen=True)
class Call:
    """An editor (lower-case) or converter (upper-case) call; converters may be indexed."""

    name: str
    args: tuple[Argument, ...]
    keys: tuple[Key, ...]
    column: int


@dataclass(frozen=True)
class ListValue:
    items: tuple[Value, ...]
    column: int


@dataclass(frozen=True)
class MapValue:
    items: tuple[tuple[str, Value], ...]
    column: int


@dataclass(frozen=True)
class Math:
    """``left op right`` with op one of ``+ - * /``; unary minus is ``0 - x`` with
    ``unary=True``."""

    op: str
    left: Value
    right: Value
    column: int
    unary: bool = False


Value: TypeAlias = "Literal | Symbol | Path | Call | ListValue | MapValue | Math"


@dataclass(frozen=True)
class Comparison:
    op: str
    left: Value
    right: Value
    column: int


@dataclass(frozen=True)
class Not:
    operand: BoolExpr
    column: int


@dataclass(frozen=True)
class And:
    operands: tuple[BoolExpr, ...]


@dataclass(frozen=True)
class Or:
    operands: tuple[BoolExpr, ...]


@dataclass(frozen=True)
class BoolConst:
    """``true``/``false`` or a converter call used as a condition."""

    value: Literal | Call


BoolExpr: TypeAlias = "Comparison | Not | And | Or | BoolConst"


@dataclass(frozen=True)
class Statement:
    editor: Call
    where: BoolExpr | None
    text: str = field(default="", compare=False)

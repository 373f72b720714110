"""How editors and converters are declared: their parameters and what each kind of
parameter receives when a statement is compiled.

A function is a factory: given its compiled arguments it returns the closure that runs per
item (an editor's closure changes the item; a converter's returns a value). Arguments that
the Collector requires to be literals (regular expressions, keys, limits) arrive as Python
values, so a bad pattern is a config error, not a per-item one.
"""

from __future__ import annotations

import json
import math
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any

from otelpy.ottl.errors import EvalError, ParseError
from otelpy.ottl.paths import Accessor, Getter
from otelpy.ottl.values import Duration, Time
from otelpy.pdata.values import Attributes

Run = Callable[[Any, dict[str, Any]], Any]


class Kind(Enum):
    TARGET = "a path"            # Accessor; the function may write it
    GETTER = "a value"           # Getter
    STRING = "a string literal"  # str
    INT = "an int literal"       # int
    BOOL = "a bool literal"      # bool
    BYTES = "a bytes literal"    # bytes
    GETTERS = "a list"           # list[Getter] (a list literal)
    STRINGS = "a list of string literals"  # list[str]
    FUNCTION = "a converter name"  # Callable[[Any], Any]


@dataclass(frozen=True)
class Param:
    name: str
    kind: Kind
    optional: bool = False


@dataclass(frozen=True)
class Function:
    """``factory(args, column)`` gets one entry per parameter (None for an omitted
    optional one) and returns the per-item closure; it raises ParseError for arguments
    it refuses."""

    params: tuple[Param, ...]
    factory: Callable[[list[Any], int], Run]


def fn(*params: Param) -> Callable[[Callable[[list[Any], int], Run]], Function]:
    def wrap(factory: Callable[[list[Any], int], Run]) -> Function:
        return Function(params, factory)
    return wrap


def p(name: str, kind: Kind, optional: bool = False) -> Param:
    return Param(name, kind, optional)


def compile_regex(pattern: str, column: int) -> Any:
    """A Go RE2 pattern as a Python regex (``(?<name>`` named groups accepted)."""
    import re

    try:
        return re.compile(pattern.replace("(?<", "(?P<").replace("(?P<=", "(?<=")
                          .replace("(?P<!", "(?<!"))
    except re.error as exc:
        raise ParseError(f"invalid regular expression {pattern!r}: {exc}", column) from None


# -- value conversions shared by the functions ----------------------------------------------
def format_float(value: float) -> str:
    """Go's strconv.FormatFloat(v, 'f', -1, 64): the shortest exact digits, no exponent."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    text = format(Decimal(repr(value)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" and value == 0 and math.copysign(1, value) > 0 else text


def _json_ready(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    if isinstance(value, bytes):
        return value.hex()
    return value


def string_like(value: Any) -> str | None:
    """The Collector's StringLikeGetter: a string form of scalars, maps and lists (JSON),
    bytes (hex); nil stays nil."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, (Mapping, list)):
        return json.dumps(_json_ready(value), separators=(",", ":"), sort_keys=False)
    if isinstance(value, (Time, Duration)):
        return str(value.ns)
    raise EvalError(f"unsupported type {type(value).__name__}")


def expect_str(value: Any, what: str = "value") -> str:
    if not isinstance(value, str):
        raise EvalError(f"{what}: expected string but got {_type_name(value)}")
    return value


def expect_int(value: Any, what: str = "value") -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise EvalError(f"{what}: expected int but got {_type_name(value)}")
    return value


def expect_map(value: Any, what: str = "target") -> Any:
    if not isinstance(value, Mapping):
        raise EvalError(f"{what}: expected a map but got {_type_name(value)}")
    return value


def _type_name(value: Any) -> str:
    return "nil" if value is None else type(value).__name__


def is_attributes(value: Any) -> bool:
    return isinstance(value, Attributes)


def write_back(target: Accessor, item: Any, cache: dict[str, Any], value: Any) -> None:
    """After changing a map in place: store it unless it is the live telemetry itself."""
    if not target.live and target.set is not None:
        target.set(item, cache, value)


#: the value of each getter made by :func:`constant` (functions may look at it once, when
#: they are compiled, to prepare a literal argument)
_LITERALS: weakref.WeakKeyDictionary[Getter, Any] = weakref.WeakKeyDictionary()


def constant(value: Any) -> Getter:
    getter: Getter = lambda item, cache: value  # noqa: E731
    _LITERALS[getter] = value
    return getter


def literal_str(getter: Getter) -> str | None:
    """The string a getter always gives when it is a string literal, else None."""
    value = _LITERALS.get(getter)
    return value if isinstance(value, str) else None

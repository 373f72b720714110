"""Run-time values of the transform language beyond the attribute values of
:mod:`otelpy.pdata.values`: times and durations (Go's ``time.Time`` and ``time.Duration``,
kept as integer nanoseconds), and the comparison and arithmetic rules of the Collector's
OTTL (``compare.go``, ``math.go``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from otelpy.ottl.errors import EvalError
from otelpy.pdata.values import INT64_MAX, INT64_MIN


@dataclass(frozen=True, slots=True, order=True)
class Time:
    """An instant as nanoseconds since the Unix epoch (UTC)."""

    ns: int


@dataclass(frozen=True, slots=True, order=True)
class Duration:
    """A length of time in nanoseconds (may be negative)."""

    ns: int


def wrap_int64(value: int) -> int:
    """Go's int64 overflow: wrap around."""
    if INT64_MIN <= value <= INT64_MAX:
        return value
    return (value - INT64_MIN) % 2**64 + INT64_MIN


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _ordered(left: Any, right: Any) -> bool:
    """Both sides compare with < and > in OTTL (numbers, strings, bytes, times)."""
    if (_is_int(left) or isinstance(left, float)) and (_is_int(right) or isinstance(right, float)):
        return True
    return type(left) is type(right) and isinstance(left, (str, bytes, Time, Duration))


def _equal(left: Any, right: Any) -> bool:
    if left is None or right is None:
        return left is None and right is None
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if _ordered(left, right):
        return bool(left == right)
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        return dict(left) == dict(right)
    if isinstance(left, Sequence) and isinstance(right, Sequence) \
            and not isinstance(left, (str, bytes)) and not isinstance(right, (str, bytes)):
        return list(left) == list(right)
    return False


def compare(left: Any, op: str, right: Any) -> bool:
    """``left op right`` with OTTL's rules: values of different kinds are never equal and
    never ordered; nil equals only nil; ints and floats compare as numbers."""
    if op == "==":
        return _equal(left, right)
    if op == "!=":
        return not _equal(left, right)
    if not _ordered(left, right):
        return False
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    if op == ">":
        return bool(left > right)
    return bool(left >= right)


def _numeric(left: Any, op: str, right: Any) -> Any:
    if _is_int(left) and _is_int(right):
        if op == "+":
            return wrap_int64(left + right)
        if op == "-":
            return wrap_int64(left - right)
        if op == "*":
            return wrap_int64(left * right)
        if right == 0:
            raise EvalError("attempted to divide by 0")
        quotient = abs(left) // abs(right)  # Go truncates toward zero
        return wrap_int64(quotient if (left >= 0) == (right >= 0) else -quotient)
    a, b = float(left), float(right)
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if b == 0:
        raise EvalError("attempted to divide by 0")
    return a / b


def arithmetic(left: Any, op: str, right: Any) -> Any:
    """``left op right`` for ints, floats, times and durations; raises EvalError otherwise."""
    number = (int, float)
    if isinstance(left, number) and not isinstance(left, bool):
        if not isinstance(right, number) or isinstance(right, bool):
            raise EvalError(f"{right!r} must be int64 or float64")
        return _numeric(left, op, right)
    if isinstance(left, Time):
        if op == "+" and isinstance(right, Duration):
            return Time(left.ns + right.ns)
        if op == "-" and isinstance(right, Time):
            return Duration(left.ns - right.ns)
        if op == "-" and isinstance(right, Duration):
            return Time(left.ns - right.ns)
        raise EvalError(f"cannot apply {op} to a time and {right!r}")
    if isinstance(left, Duration):
        if op == "+" and isinstance(right, Duration):
            return Duration(left.ns + right.ns)
        if op == "+" and isinstance(right, Time):
            return Time(right.ns + left.ns)
        if op == "-" and isinstance(right, Duration):
            return Duration(left.ns - right.ns)
        raise EvalError(f"cannot apply {op} to a duration and {right!r}")
    raise EvalError(f"{left!r} must be int64, float64, time.Time or time.Duration")

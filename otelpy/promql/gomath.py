"""Go's ``math`` semantics for the operations PromQL uses: IEEE results (Inf, NaN) where
Python's ``math`` raises."""

from __future__ import annotations

import math

NAN = math.nan
INF = math.inf


def div(a: float, b: float) -> float:
    if b == 0:
        if a == 0 or a != a:
            return NAN
        return math.copysign(INF, a) * math.copysign(1.0, b)
    return a / b


def mod(a: float, b: float) -> float:
    if b == 0 or math.isinf(a) or a != a or b != b:
        return NAN
    if math.isinf(b):
        return a
    return math.fmod(a, b)


def pow_(a: float, b: float) -> float:
    try:
        result = math.pow(a, b)
    except OverflowError:
        if a < 0 and b == math.floor(b) and int(b) % 2 == 1:
            return -INF
        return INF
    except ValueError:
        if a == 0 and b < 0:
            return INF if b == math.floor(b) and int(b) % 2 == 1 and math.copysign(1, a) > 0 \
                else (-INF if b == math.floor(b) and int(b) % 2 == 1 else INF)
        return NAN
    return result


def log(v: float) -> float:
    if v != v or v < 0:
        return NAN
    if v == 0:
        return -INF
    return math.log(v)


def log2(v: float) -> float:
    if v != v or v < 0:
        return NAN
    if v == 0:
        return -INF
    return math.log2(v)


def log10(v: float) -> float:
    if v != v or v < 0:
        return NAN
    if v == 0:
        return -INF
    return math.log10(v)


def sqrt(v: float) -> float:
    return NAN if v < 0 or v != v else math.sqrt(v)


def exp(v: float) -> float:
    try:
        return math.exp(v)
    except OverflowError:
        return INF


def _guard(fn):  # type: ignore[no-untyped-def]
    def wrapped(v: float) -> float:
        try:
            result: float = fn(v)
        except (ValueError, OverflowError):
            return NAN
        return result
    return wrapped


def ceil(v: float) -> float:
    return v if math.isinf(v) or v != v else float(math.ceil(v))


def floor(v: float) -> float:
    return v if math.isinf(v) or v != v else float(math.floor(v))


def sgn(v: float) -> float:
    if v < 0:
        return -1.0
    if v > 0:
        return 1.0
    return v


SIMPLE = {
    "abs": abs, "ceil": ceil, "floor": floor, "exp": exp, "sqrt": sqrt, "ln": log,
    "log2": log2, "log10": log10, "sgn": sgn,
    "sin": _guard(math.sin), "cos": _guard(math.cos), "tan": _guard(math.tan),
    "asin": _guard(math.asin), "acos": _guard(math.acos), "atan": _guard(math.atan),
    "sinh": _guard(math.sinh), "cosh": _guard(math.cosh), "tanh": _guard(math.tanh),
    "asinh": _guard(math.asinh), "acosh": _guard(math.acosh), "atanh": _guard(math.atanh),
    "deg": lambda v: v * 180 / math.pi, "rad": lambda v: v * math.pi / 180,
}

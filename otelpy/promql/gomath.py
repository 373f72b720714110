"""Go's ``math`` semantics for the operations PromQL uses: IEEE results (Inf, NaN) where
Python's ``math`` raises."""

from __future__ import annotations

import math
from collections.abc import Callable

from otelpy.promql import gotrig

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


def pow_(x: float, y: float) -> float:
    """Go's ``math.Pow``: special cases, then x**frac via exp(log) and x**int by repeated
    squaring of the mantissa, so results match Go bit for bit where exp/log do."""
    if y == 0 or x == 1:
        return 1.0
    if y == 1:
        return x
    if x != x or y != y:
        return NAN
    if x == 0:
        if y < 0:
            odd = y == math.floor(y) and math.fmod(y, 2) != 0
            return math.copysign(INF, x) if odd else INF
        odd = y == math.floor(y) and math.fmod(y, 2) != 0
        return x if odd else 0.0
    if math.isinf(y):
        if x == -1:
            return 1.0
        return 0.0 if (abs(x) < 1) == (y > 0) else INF
    if math.isinf(x):
        if x < 0:
            return pow_(1 / x, -y)
        return 0.0 if y < 0 else INF
    if y == 0.5:
        return sqrt(x)
    if y == -0.5:
        return 1 / sqrt(x)
    yf, yi = math.modf(abs(y))
    if yf != 0 and x < 0:
        return NAN
    if yi >= 2**63:
        if x == -1:
            return 1.0
        return 0.0 if (abs(x) < 1) == (y > 0) else INF
    a1, ae = 1.0, 0
    if yf != 0:
        if yf > 0.5:
            yf -= 1
            yi += 1
        a1 = exp(yf * log(x))
    x1, xe = math.frexp(x)
    i = int(yi)
    while i != 0:
        if xe < -(1 << 12) or (1 << 12) < xe:
            ae += xe
            break
        if i & 1:
            a1 *= x1
            ae += xe
        x1 *= x1
        xe <<= 1
        if x1 < 0.5:
            x1 += x1
            xe -= 1
        i >>= 1
    if y < 0:
        a1 = 1 / a1
        ae = -ae
    try:
        return math.ldexp(a1, ae)
    except OverflowError:
        return math.copysign(INF, a1)


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


def _guard(fn: Callable[[float], float]) -> Callable[[float], float]:
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


SIMPLE: dict[str, Callable[[float], float]] = {
    "abs": abs, "ceil": ceil, "floor": floor, "exp": exp, "sqrt": sqrt, "ln": log,
    "log2": log2, "log10": log10, "sgn": sgn,
    "sin": gotrig.sin, "cos": gotrig.cos, "tan": _guard(math.tan),
    "asin": _guard(math.asin), "acos": _guard(math.acos), "atan": _guard(math.atan),
    "sinh": _guard(math.sinh), "cosh": _guard(math.cosh), "tanh": _guard(math.tanh),
    "asinh": _guard(math.asinh), "acosh": _guard(math.acosh), "atanh": _guard(math.atanh),
    "deg": lambda v: v * 180 / math.pi, "rad": lambda v: v * math.pi / 180,
}

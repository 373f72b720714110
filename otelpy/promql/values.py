"""Values of PromQL evaluation, label sets, stale markers and Go's float formatting."""

from __future__ import annotations

import math
import struct
from decimal import Decimal

#: a label set: (name, value) pairs sorted by name; ``__name__`` is the metric name
Labels = tuple[tuple[str, str], ...]

STALE_NAN: float = struct.unpack(">d", bytes.fromhex("7ff0000000000002"))[0]
_STALE_BITS = bytes.fromhex("7ff0000000000002")


def is_stale(v: float) -> bool:
    """True for Prometheus's staleness marker (a NaN with a specific payload)."""
    return v != v and struct.pack(">d", v) == _STALE_BITS


class Sample:
    __slots__ = ("metric", "v")

    def __init__(self, metric: Labels, v: float) -> None:
        self.metric = metric
        self.v = v

    def __repr__(self) -> str:
        return f"{format_labels(self.metric)} {self.v!r}"


class Vector(list[Sample]):
    """An instant vector."""


class Series:
    __slots__ = ("metric", "ts", "vs")

    def __init__(self, metric: Labels, ts: list[int], vs: list[float]) -> None:
        self.metric = metric
        self.ts = ts
        self.vs = vs


class Matrix(list[Series]):
    """A range vector: series with their points in the range."""


class Scalar:
    __slots__ = ("v",)

    def __init__(self, v: float) -> None:
        self.v = v


class String:
    __slots__ = ("v",)

    def __init__(self, v: str) -> None:
        self.v = v


Value = Vector | Matrix | Scalar | String


def labels_from(mapping: dict[str, str]) -> Labels:
    """A label set from a mapping; empty values are dropped as Prometheus does."""
    return tuple(sorted((k, v) for k, v in mapping.items() if v != ""))


def get(metric: Labels, name: str) -> str:
    for k, v in metric:
        if k == name:
            return v
    return ""


def drop_name(metric: Labels) -> Labels:
    if metric and metric[0][0] == "__name__":
        return metric[1:]
    return tuple(p for p in metric if p[0] != "__name__")


def go_quote(s: str) -> str:
    """Go's ``strconv.Quote`` for the printable ASCII and common escapes."""
    out = ['"']
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def format_labels(metric: Labels) -> str:
    """``{a="b", c="d"}`` as Prometheus's ``labels.Labels.String``."""
    return "{" + ", ".join(f"{k}={go_quote(v)}" for k, v in metric) + "}"


def _digits(v: float) -> tuple[str, int]:
    """Shortest round-trip decimal digits and the decimal point position (Go's ``dp``)."""
    _, digits, exp = Decimal(repr(abs(v))).as_tuple()
    assert isinstance(exp, int)
    ds = "".join(map(str, digits)).lstrip("0")
    if not ds:
        return "0", 1
    return ds.rstrip("0"), len(ds) + exp


def _special(v: float) -> str | None:
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return None


def format_e(v: float) -> str:
    """Go's ``strconv.FormatFloat(v, 'E', -1, 64)``."""
    special = _special(v)
    if special:
        return special
    digits, dp = _digits(v)
    exp = dp - 1 if digits != "0" else 0
    mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    sign = "-" if math.copysign(1, v) < 0 else ""
    return f"{sign}{mant}E{'-' if exp < 0 else '+'}{abs(exp):02d}"


def format_f(v: float) -> str:
    """Go's ``strconv.FormatFloat(v, 'f', -1, 64)``."""
    special = _special(v)
    if special:
        return special
    digits, dp = _digits(v)
    sign = "-" if math.copysign(1, v) < 0 else ""
    if digits == "0":
        return sign + "0"
    if dp <= 0:
        return f"{sign}0.{'0' * -dp}{digits}"
    if dp >= len(digits):
        return sign + digits + "0" * (dp - len(digits))
    return f"{sign}{digits[:dp]}.{digits[dp:]}"


def format_g(v: float) -> str:
    """Go's ``%v`` / ``strconv.FormatFloat(v, 'g', -1, 64)``."""
    special = _special(v)
    if special:
        return special
    digits, dp = _digits(v)
    exp = dp - 1
    if digits != "0" and (exp < -4 or exp >= 6):
        mant = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        sign = "-" if v < 0 else ""
        return f"{sign}{mant}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    return format_f(v)


def format_json(v: float) -> str:
    """A sample value as Prometheus's HTTP API writes it (``marshalValue``): ``'f'``, but
    ``'e'`` below 1e-6 and from 1e21 in magnitude."""
    magnitude = abs(v)
    if magnitude != 0 and (magnitude < 1e-6 or magnitude >= 1e21) and not math.isinf(v):
        return format_e(v).replace("E", "e")
    return format_f(v)

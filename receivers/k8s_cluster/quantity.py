"""Kubernetes resource quantities ("500m", "1.5", "128Mi", "2G", "1e3") as exact numbers,
rounded up as the API's Quantity.Value() / MilliValue() do."""

from __future__ import annotations

import math
import re
from fractions import Fraction

__all__ = ["milli_value", "parse_quantity", "value"]

_SUFFIXES = {"": Fraction(1), "n": Fraction(1, 10**9), "u": Fraction(1, 10**6),
             "m": Fraction(1, 1000), "k": Fraction(10**3), "M": Fraction(10**6),
             "G": Fraction(10**9), "T": Fraction(10**12), "P": Fraction(10**15),
             "E": Fraction(10**18), "Ki": Fraction(2**10), "Mi": Fraction(2**20),
             "Gi": Fraction(2**30), "Ti": Fraction(2**40), "Pi": Fraction(2**50),
             "Ei": Fraction(2**60)}
_QUANTITY = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|"
                       r"[numkMGTPE])?)$")


def parse_quantity(text: object) -> Fraction | None:
    """The exact amount, or None when ``text`` is not a quantity."""
    if isinstance(text, bool):
        return None
    if isinstance(text, int):
        return Fraction(text)
    if not isinstance(text, str):
        return None
    match = _QUANTITY.match(text.strip())
    if match is None:
        return None
    number = Fraction(match.group(1))
    if match.group(2):
        exponent = int(match.group(2)[1:])
        if abs(exponent) > 30:
            return None
        return number * Fraction(10) ** exponent
    return number * _SUFFIXES[match.group(3) or ""]


def value(amount: Fraction) -> int:
    return math.ceil(amount)


def milli_value(amount: Fraction) -> int:
    return math.ceil(amount * 1000)

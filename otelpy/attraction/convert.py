"""The value rewrites of the ``hash`` and ``convert`` actions, with the Collector's results.

``hash`` replaces a value with the lowercase hex SHA-256 of its canonical bytes: a string's
UTF-8 bytes, a bool as one byte (1 or 0), an int as 8 bytes little-endian two's complement,
a double as the 8 little-endian bytes of its IEEE-754 bits. Any other value (bytes, list,
map, empty) and the empty string become the empty string, as the Collector's hasher does.

``convert`` follows the Collector's type converter: to ``int`` (double truncated toward zero,
bools 1/0, strings parsed as Go's ``strconv.ParseInt(s, 10, 64)``), to ``double`` (ints,
bools, strings parsed as Go's ``strconv.ParseFloat``), to ``string`` (the Collector's
``AsString``). What cannot be converted is left unchanged.
"""

from __future__ import annotations

import hashlib
import math
import re
import struct

from otelpy.pdata.asstring import as_string
from otelpy.pdata.values import INT64_MAX, INT64_MIN, Value

__all__ = ["convert_value", "hash_value", "parse_go_float", "parse_go_int"]


def hash_value(value: Value) -> str:
    """The Collector's SHA-256 hash text of ``value`` (see the module docstring)."""
    if isinstance(value, str):
        data = value.encode()
    elif isinstance(value, bool):
        data = b"\x01" if value else b"\x00"
    elif isinstance(value, int):
        data = struct.pack("<q", value)
    elif isinstance(value, float):
        data = struct.pack("<d", value)
    else:
        data = b""
    return hashlib.sha256(data).hexdigest() if data else ""


_GO_INT = re.compile(r"[+-]?[0-9]+")
_GO_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_GO_HEX = re.compile(r"[+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?[0-9]+")
_GO_SPECIAL = {"inf": math.inf, "+inf": math.inf, "-inf": -math.inf, "infinity": math.inf,
               "+infinity": math.inf, "-infinity": -math.inf, "nan": math.nan}


def parse_go_int(text: str) -> int | None:
    """``strconv.ParseInt(text, 10, 64)``, or None where Go returns an error."""
    if not _GO_INT.fullmatch(text):
        return None
    number = int(text)
    return number if INT64_MIN <= number <= INT64_MAX else None


def parse_go_float(text: str) -> float | None:
    """``strconv.ParseFloat(text, 64)``, or None where Go returns an error (syntax, or a
    finite literal too large for a double)."""
    special = _GO_SPECIAL.get(text.lower())
    if special is not None:
        return special
    if _GO_DECIMAL.fullmatch(text):
        number = float(text)
    elif _GO_HEX.fullmatch(text):
        sign = -1.0 if text.startswith("-") else 1.0
        try:
            number = sign * float.fromhex(text.lstrip("+-"))
        except OverflowError:
            return None
    else:
        return None
    return None if math.isinf(number) else number


def _go_int64_of(number: float) -> int:
    """Go's ``int64(f)`` on amd64: truncation; NaN and out-of-range give the minimum int."""
    if math.isnan(number) or not -(2.0**63) <= number < 2.0**63:
        return INT64_MIN
    return int(number)


def _to_int(value: Value) -> Value:
    if isinstance(value, bool):
        return 1 if value else 0
    if isinstance(value, float):
        return _go_int64_of(value)
    if isinstance(value, str):
        parsed = parse_go_int(value)
        return value if parsed is None else parsed
    return value


def _to_double(value: Value) -> Value:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int):
        return float(value)
    if isinstance(value, str):
        parsed = parse_go_float(value)
        return value if parsed is None else parsed
    return value


def convert_value(value: Value, to: str) -> Value:
    """``value`` converted to ``int``, ``double`` or ``string`` (unchanged when it cannot be)."""
    if to == "int":
        return _to_int(value)
    if to == "double":
        return _to_double(value)
    if to == "string":
        return value if isinstance(value, str) else as_string(value)
    return value

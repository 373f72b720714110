"""Attribute values as text, the way the Collector's ``pcommon.Value.AsString`` writes them.

Used where a Collector component turns any value into a string (``convert`` to string,
matching a service name or a log body): the text must be the Collector's byte for byte.

=============  ==============================================================
value          text
=============  ==============================================================
``None``       ``""``
``str``        itself
``bool``       ``true`` / ``false``
``int``        decimal
``float``      shortest round-trip digits, fixed notation unless the magnitude is
               below 1e-6 or at least 1e21 (then ``1e+21``, ``1.5e-7``): the
               ECMAScript rule Go's JSON encoder follows; NaN and infinities give
               ``json: unsupported value: NaN`` / ``+Inf`` / ``-Inf`` as Go does
``bytes``      standard base64
``list``       compact JSON (Go's ``encoding/json``: ``<``, ``>``, ``&`` escaped
``dict``       as ``\\u003c`` ...; map keys sorted; bytes as base64 strings);
               a NaN or infinity anywhere inside makes the whole text empty
=============  ==============================================================
"""

from __future__ import annotations

import base64
import math
from decimal import Decimal

from otelpy.pdata.values import Value

__all__ = ["as_string", "format_float_fixed", "format_float_json"]


def format_float_fixed(number: float) -> str:
    """Go's ``strconv.FormatFloat(f, 'f', -1, 64)``: shortest digits, never an exponent."""
    text = format(Decimal(repr(number)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _format_float_exp(number: float) -> str:
    """Go's ``FormatFloat(f, 'e', -1, 64)`` with the exponent's leading zero dropped."""
    sign, digits, exponent = Decimal(repr(number)).normalize().as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digits))
    power = exponent + len(text) - 1
    mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
    return f"{'-' if sign else ''}{mantissa}e{'-' if power < 0 else '+'}{abs(power)}"


def format_float_json(number: float) -> str:
    """A finite float as Go's JSON encoder (and ``AsString``) writes it."""
    magnitude = abs(number)
    if magnitude != 0 and (magnitude < 1e-6 or magnitude >= 1e21):
        return _format_float_exp(number)
    return format_float_fixed(number)


class _NotJSON(ValueError):
    """A NaN or infinity inside a list or map (Go's json.Marshal fails on it)."""


_JSON_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t",
                 "\b": "\\b", "\f": "\\f", "<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                 "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _json_string(text: str) -> str:
    out = []
    for char in text:
        escaped = _JSON_ESCAPES.get(char)
        if escaped is not None:
            out.append(escaped)
        elif char < " ":
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _json(value: Value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise _NotJSON
        return format_float_json(value)
    if isinstance(value, str):
        return _json_string(value)
    if isinstance(value, (bytes, bytearray)):
        return '"' + base64.b64encode(value).decode() + '"'
    if isinstance(value, dict):
        return "{" + ",".join(f"{_json_string(k)}:{_json(value[k])}"
                              for k in sorted(value)) + "}"
    return "[" + ",".join(_json(v) for v in value) + "]"


def as_string(value: Value) -> str:
    """The Collector's text for ``value`` (see the module table)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "json: unsupported value: NaN"
        if math.isinf(value):
            return f"json: unsupported value: {'+' if value > 0 else '-'}Inf"
        return format_float_json(value)
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()
    try:
        return _json(value)
    except _NotJSON:
        return ""

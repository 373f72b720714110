"""pcommon ``Value.AsString`` text, byte for byte (expected strings are Go's outputs:
strconv.FormatFloat and encoding/json)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from otelpy.pdata.asstring import as_string, format_float_fixed

CASES: list[tuple[Any, str]] = [
    (None, ""), ("x", "x"), (True, "true"), (-12, "-12"),
    (1.0, "1"), (0.1, "0.1"), (-0.0, "-0"), (123456789.125, "123456789.125"),
    (1e20, "100000000000000000000"), (1e21, "1e+21"), (1.5e-7, "1.5e-7"), (1e-6, "0.000001"),
    (2.5e-10, "2.5e-10"), (1.7976931348623157e308, "1.7976931348623157e+308"),
    (math.nan, "json: unsupported value: NaN"), (math.inf, "json: unsupported value: +Inf"),
    (-math.inf, "json: unsupported value: -Inf"),
    (b"hi", "aGk="),
    ({"z": [1, 0.5, None], "a": {"b": b"\x00"}}, '{"a":{"b":"AA=="},"z":[1,0.5,null]}'),
    (["<&>", "é\u2028\x01\n"], '["\\u003c\\u0026\\u003e","é\\u2028\\u0001\\n"]'),
    ([1.0, 1e21], "[1,1e+21]"), ([math.nan], ""),
]


@pytest.mark.parametrize(("value", "text"), CASES, ids=[repr(c[0])[:30] for c in CASES])
def test_as_string(value: Any, text: str) -> None:
    assert as_string(value) == text


def test_fixed_never_uses_an_exponent() -> None:
    assert format_float_fixed(1e21) == "1000000000000000000000"
    assert format_float_fixed(1.5e-7) == "0.00000015"

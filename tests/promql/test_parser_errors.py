"""Parse errors carry Prometheus's line:col; each case checked against promtool 2.42's text."""

from __future__ import annotations

import pytest

from otelpy.promql.errors import ParseError
from otelpy.promql.parser import parse

CASES = [
    ("sum(rate(foo[5m]) by (x)", "1:19: parse error: unexpected <by> in aggregation"),
    ('abs("x")', '1:5: parse error: expected type instant vector in call to function "abs", '
                 "got string"),
    ("x[1m] + 1", "1:1: parse error: binary expression must contain only scalar and instant "
                  "vector types"),
    ("{}", "1:1: parse error: vector selector must contain at least one non-empty matcher"),
    ("1 > 2", "1:3: parse error: comparisons between scalars must use BOOL modifier"),
    ("foo and 1", '1:1: parse error: set operator "and" not allowed in binary scalar '
                  "expression"),
]


@pytest.mark.parametrize(("query", "message"), CASES, ids=[c[0] for c in CASES])
def test_error_column(query: str, message: str) -> None:
    with pytest.raises(ParseError) as info:
        parse(query)
    assert info.value.render(query) == message


def test_multiline_column() -> None:
    query = "sum(\n  rate(foo[5m]) +\n)"
    with pytest.raises(ParseError) as info:
        parse(query)
    assert info.value.render(query).startswith("3:1: parse error:")

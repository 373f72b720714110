"""The OTTL parser: valid statements and conditions, and invalid ones with the exact
1-based column of the error; compile errors (unknown paths, functions, enums, bad
literal arguments) with their columns too."""

from __future__ import annotations

import pytest

from otelpy.component import Signal
from otelpy.ottl import CompileError, ParseError, StatementGroup, parse_condition, parse_statement
from otelpy.ottl import syntax as s

VALID_STATEMENTS = [
    'set(span.name, "x")',
    'set(span.attributes["a"]["b"], 1) where span.name == "x"',
    'set(span.attributes["n"], -1.5e3 * (2 + span.attributes["m"]))',
    'set(log.body, {"a": [1, 2.5, true, nil, 0xFF], "b": {}})',
    'replace_pattern(span.name, "a(?<x>b)", "$x", SHA256, "h-%s")',
    'set(span.attributes["p"], Split(span.name, "/")[1])',
    'keep_keys(span.attributes, [])',
    'limit(target=span.attributes, limit=3, priority_keys=["a"])',
    'set(span.status.code, STATUS_CODE_ERROR) where not (span.kind == SPAN_KIND_SERVER or '
    'IsMatch(span.name, "x")) and true',
    'set(span.attributes["e"], "quote \\" and \\\\ and \\u00e9")',
]


@pytest.mark.parametrize("text", VALID_STATEMENTS)
def test_valid_statements_parse(text: str) -> None:
    tree = parse_statement(text)
    assert isinstance(tree.editor, s.Call) and tree.editor.name[0].islower()


def test_tree_shape_and_precedence() -> None:
    tree = parse_statement('set(x.y, 1 + 2 * 3) where a.b == 1 or c.d == 2 and not e.f != 3')
    value = tree.editor.args[1].value
    assert isinstance(value, s.Math) and value.op == "+" and isinstance(value.right, s.Math)
    assert isinstance(tree.where, s.Or) and isinstance(tree.where.operands[1], s.And)
    assert parse_statement('set(a.b, "\\u00e9\\n")').editor.args[1].value == s.Literal("é\n", 10)


INVALID = [
    ('set(span.name, )', 16, 'unexpected token ")"'),
    ('set(span.name "x")', 15, 'unexpected token "\\"x\\""'.replace('\\"', '"')),
    ("Set(span.name, 1)", 1, "editor names must start with a lowercase letter"),
    ('set(span.name, concat(["a"], ""))', 16, "converter names must start with an uppercase"),
    ('set(span.name, "a") where', 26, "unexpected end of statement"),
    ('set(span.name, "a") where span.name ==', 39, "unexpected end of statement"),
    ('set(span.name, "a") where span.name === "b"', 39, 'unexpected token "="'),
    ('set(span.name, "a\\q")', 18, "invalid escape \\q"),
    ('set(span.name, "a") # comment', 21, "invalid character '#'"),
    ("set(span.name, 0xABC)", 16, "odd number of hex digits"),
    ('set(span.attributes[span.name], 1)', 21, "an index must be a string or an integer"),
    ("set(span.name, 99999999999999999999)", 16, "does not fit in 64 bits"),
    ('set(span.name, "x")["k"]', 1, "only paths and converters may be indexed"),
    ('set(span.name, "x") where span.name', 36, "unexpected end of statement"),
]


@pytest.mark.parametrize(("text", "column", "message"), INVALID,
                         ids=[f"col{c}-{t[:24]}" for t, c, _ in INVALID])
def test_invalid_statements_report_column(text: str, column: int, message: str) -> None:
    with pytest.raises(ParseError) as err:
        parse_statement(text)
    assert err.value.column == column
    assert message in err.value.message


def test_conditions() -> None:
    assert isinstance(parse_condition("(a.b == 1 or true) and IsMatch(c.d, \"x\")"), s.And)
    with pytest.raises(ParseError) as err:
        parse_condition('name == "a" and')
    assert err.value.column == 16


COMPILE_ERRORS = [
    ('set(span.nmae, "x")', 10, 'no path "nmae"'),
    ('set(span.name, Nope(1))', 16, 'undefined function "Nope"'),
    ('nope(span.name)', 1, 'undefined function "nope"'),
    ('set(span.kind, SPAN_KIND_NOPE)', 16, "enum symbol SPAN_KIND_NOPE not found"),
    ('set(span.attributes["x"], log.body)', 27, '"log" paths are not available for traces'),
    ('delete_matching_keys(span.attributes, "(")', 1, "invalid regular expression"),
    ('truncate_all(span.attributes, -1)', 1, "cannot be negative"),
    ('limit(span.attributes, 0, [])', 1, "cannot be less than 1"),
    ('set(span.name, ConvertCase(span.name, "kebab"))', 16, "invalid case"),
    ('set(span.name, Concat(span.name, ""))', 23, "expects a list"),
    ('set("x", span.name)', 5, "must be a path"),
    ('set(span.name)', 1, '"value" is missing'),
    ('set(span.name, "a", "b")', 21, "too many arguments"),
    ('set(span.events, 1)', 10, 'path "span.events" is not implemented by otelpy'),
    ('set(span.name, Time(span.name, "%Y", "Mars/Base"))', 16, "unknown time location"),
    ('replace_pattern(span.name, "a", "b", MD5)', 1, "accepts only SHA256"),
]


@pytest.mark.parametrize(("text", "column", "message"), COMPILE_ERRORS,
                         ids=[m[:30] for _, _, m in COMPILE_ERRORS])
def test_compile_errors_report_column(text: str, column: int, message: str) -> None:
    with pytest.raises(CompileError) as err:
        StatementGroup.compile([text], Signal.TRACES)
    assert (err.value.column, err.value.index) == (column, 0)
    assert message in err.value.message


def test_context_inference() -> None:
    group = StatementGroup.compile(['set(resource.attributes["a"], "b")',
                                    'set(span.name, "x") where spanevent.name == "e"'],
                                   Signal.TRACES)
    assert group.context == "spanevent"
    assert StatementGroup.compile(['set(resource.attributes["a"], "b")'],
                                  Signal.TRACES).context == "resource"
    with pytest.raises(CompileError, match="cannot infer the context"):
        StatementGroup.compile(['set(attributes["a"], "b")'], Signal.TRACES)
    assert StatementGroup.compile(['set(attributes["a"], "b")'], Signal.LOGS,
                                  context="log").context == "log"
    with pytest.raises(CompileError) as err:
        StatementGroup.compile(['set(metric.name, "a")', 'set(span.name, "b")'],
                               Signal.METRICS)
    assert err.value.index == 1 and err.value.column == 5

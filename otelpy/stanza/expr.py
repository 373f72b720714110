"""The subset of expr-lang (github.com/expr-lang/expr) that stanza operators' ``if``,
``expr``, ``is_first_entry`` / ``is_last_entry`` and ``EXPR(...)`` values use, compiled once
to Python closures over an :class:`~otelpy.stanza.entry.Entry`.

Supported: the variables ``body`` (also ``$`` and ``$body``), ``attributes``, ``resource``,
``timestamp``; member access (``body.a``, ``attributes["k8s.pod.name"]``); string (``"..."``
or ``'...'``), number, ``true``/``false``/``nil`` literals; ``==`` ``!=`` ``<`` ``<=`` ``>``
``>=``; ``matches`` (RE2, searched), ``contains``, ``startsWith``, ``endsWith``, ``in``,
``not in``; ``and``/``&&``, ``or``/``||``, ``not``/``!``; ``+`` (numbers or strings) ``-``
``*`` ``/`` ``%``; parentheses; the functions ``env(name)``, ``len(x)``, ``lower(s)``,
``upper(s)``, ``trim(s)``. Anything else (the ternary, ``??``, pipes, closures, other
functions) is refused by name with :class:`ExprError` when the config is loaded.
A missing member is nil, as in expr-lang.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any

from otelpy.goregex import compile_go
from otelpy.stanza.entry import Entry

__all__ = ["ExprError", "Expression", "compile_expr"]

Eval = Callable[[Entry], Any]

_TOKEN = re.compile(r"""\s*(?:
    (?P<num>\d+\.\d*|\.\d+|\d+)
  | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<name>\$(?=(?:matches|contains|startsWith|endsWith|in)\b)|\$?[A-Za-z_][A-Za-z0-9_]*|\$)
  | (?P<op>==|!=|<=|>=|&&|\|\||\?\?|\?\.|[-+*/%<>!().\[\],?:|{}#]))""", re.VERBOSE)
_BINARY = {"or": 1, "||": 1, "and": 2, "&&": 2,
           "==": 3, "!=": 3, "<": 3, "<=": 3, ">": 3, ">=": 3, "in": 3, "matches": 3,
           "contains": 3, "startsWith": 3, "endsWith": 3, "not in": 3,
           "+": 4, "-": 4, "*": 5, "/": 5, "%": 5}
_REFUSED = {"?": "the ternary operator", "??": "the nil-coalescing operator ??",
            "|": "pipes", "#": "closures (#)", "{": "map literals", "?.": "optional chaining",
            ":": "slices"}
_FUNCS: dict[str, Callable[..., Any]] = {
    "env": lambda name: os.environ.get(str(name), ""),
    "len": lambda v: len(v) if v is not None else 0,
    "lower": lambda s: str(s).lower(), "upper": lambda s: str(s).upper(),
    "trim": lambda s: str(s).strip()}
_UNESCAPE = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "0": "\0"}


class ExprError(ValueError):
    """An expression that is not valid, or uses what otelpy does not support."""


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _UNESCAPE.get(m.group(1), "\\" + m.group(1)), text[1:-1])


def _tokens(source: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(source):
        if source[pos:].strip() == "":
            break
        match = _TOKEN.match(source, pos)
        if match is None:
            raise ExprError(f"unexpected {source[pos:].strip()[:20]!r}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, source: str) -> None:
        self.toks = _tokens(source)
        self.pos = 0

    def peek(self) -> tuple[str, str]:
        return self.toks[self.pos] if self.pos < len(self.toks) else ("end", "")

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if value is not None and tok[1] != value:
            raise ExprError(f"expected {value!r}, found {tok[1] or 'the end'!r}")
        self.pos += 1
        return tok

    def binary_op(self) -> str | None:
        kind, value = self.peek()
        if value in _REFUSED and kind == "op":
            raise ExprError(f"{_REFUSED[value]} is not supported by otelpy")
        if value == "not" and self.pos + 1 < len(self.toks) and self.toks[self.pos + 1][1] == "in":
            return "not in"
        if (kind in ("op", "name")) and value in _BINARY:
            return value
        return None

    def parse(self, min_prec: int = 1) -> Eval:
        left = self.unary()
        while True:
            op = self.binary_op()
            if op is None or _BINARY[op] < min_prec:
                return left
            self.take()
            if op == "not in":
                self.take()
            right_src = self.peek()
            right = self.parse(_BINARY[op] + 1)
            left = _binary(op, left, right, right_src)

    def unary(self) -> Eval:
        kind, value = self.peek()
        if value in ("not", "!"):
            self.take()
            inner = self.unary()
            return lambda e: not _truthy(inner(e))
        if value == "-" and kind == "op":
            self.take()
            inner = self.unary()
            return lambda e: -inner(e)
        return self.postfix(self.primary())

    def primary(self) -> Eval:
        kind, value = self.take()
        if kind == "num":
            num: Any = float(value) if "." in value else int(value)
            return lambda e: num
        if kind == "str":
            text = _unquote(value)
            return lambda e: text
        if kind == "op" and value == "(":
            inner = self.parse()
            self.take(")")
            return inner
        if kind == "op" and value == "[":
            return self.array()
        if kind == "name":
            return self.name(value)
        if value in _REFUSED:
            raise ExprError(f"{_REFUSED[value]} is not supported by otelpy")
        raise ExprError(f"unexpected {value or 'end of expression'!r}")

    def array(self) -> Eval:
        items: list[Eval] = []
        while self.peek()[1] != "]":
            items.append(self.parse())
            if self.peek()[1] == ",":
                self.take()
        self.take("]")
        return lambda e: [item(e) for item in items]

    def name(self, value: str) -> Eval:
        constants = {"true": True, "false": False, "nil": None}
        if value in constants:
            const = constants[value]
            return lambda e: const
        if self.peek()[1] == "(":
            if value not in _FUNCS:
                raise ExprError(f"function {value}() is not supported by otelpy (supported: "
                                f"{', '.join(sorted(_FUNCS))})")
            self.take("(")
            args: list[Eval] = []
            while self.peek()[1] != ")":
                args.append(self.parse())
                if self.peek()[1] == ",":
                    self.take()
            self.take(")")
            func = _FUNCS[value]
            return lambda e: func(*(a(e) for a in args))
        variables: dict[str, Eval] = {
            "body": lambda e: e.body, "$": lambda e: e.body, "$body": lambda e: e.body,
            "$record": lambda e: e.body, "attributes": lambda e: e.attributes,
            "$attributes": lambda e: e.attributes, "resource": lambda e: e.resource,
            "$resource": lambda e: e.resource, "timestamp": lambda e: e.timestamp}
        if value not in variables:
            raise ExprError(f"unknown name {value!r} (known: body, attributes, resource, "
                            "timestamp)")
        return variables[value]

    def postfix(self, base: Eval) -> Eval:
        while True:
            value = self.peek()[1]
            if value == ".":
                self.take()
                kind, key = self.take()
                if kind != "name":
                    raise ExprError(f"expected a member name after '.', found {key!r}")
                base = _member(base, _constant(key))
            elif value == "[":
                self.take()
                index = self.parse()
                self.take("]")
                base = _member(base, index)
            elif value == "?.":
                raise ExprError("optional chaining is not supported by otelpy")
            else:
                return base


def _constant(value: Any) -> Eval:
    return lambda e: value


def _member(base: Eval, key: Eval) -> Eval:
    def get(e: Entry) -> Any:
        container, k = base(e), key(e)
        if isinstance(container, dict):
            return container.get(k)
        if isinstance(container, list) and isinstance(k, int) and -len(container) <= k < len(
                container):
            return container[k]
        return None
    return get


def _truthy(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ExprError(f"expected a bool, got {type(value).__name__}")
    return value


def _string(value: Any, op: str) -> str:
    if not isinstance(value, str):
        raise ExprError(f"{op}: expected a string, got {type(value).__name__}")
    return value


def _matches(left: Eval, right: Eval, right_src: tuple[str, str]) -> Eval:
    if right_src[0] == "str":
        pattern = compile_go(_unquote(right_src[1]))
        return lambda e: pattern.search(_string(left(e), "matches")) is not None
    return lambda e: compile_go(_string(right(e), "matches")).search(
        _string(left(e), "matches")) is not None


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, str) != isinstance(b, str):
        return False
    return bool(a == b)


def _compare(op: str, a: Any, b: Any) -> bool:
    if op == "==":
        return _equal(a, b)
    if op == "!=":
        return not _equal(a, b)
    if a is None or b is None or isinstance(a, str) != isinstance(b, str):
        raise ExprError(f"cannot compare {type(a).__name__} {op} {type(b).__name__}")
    return bool({"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op])


def _binary(op: str, left: Eval, right: Eval, right_src: tuple[str, str]) -> Eval:
    if op in ("or", "||"):
        return lambda e: _truthy(left(e)) or _truthy(right(e))
    if op in ("and", "&&"):
        return lambda e: _truthy(left(e)) and _truthy(right(e))
    if op == "matches":
        return _matches(left, right, right_src)
    if op in ("==", "!=", "<", "<=", ">", ">="):
        return lambda e: _compare(op, left(e), right(e))
    if op == "contains":
        return lambda e: _string(right(e), op) in _string(left(e), op)
    if op == "startsWith":
        return lambda e: _string(left(e), op).startswith(_string(right(e), op))
    if op == "endsWith":
        return lambda e: _string(left(e), op).endswith(_string(right(e), op))
    if op in ("in", "not in"):
        negate = op == "not in"
        return lambda e: (left(e) in (right(e) or ())) != negate
    return _arith(op, left, right)


def _arith(op: str, left: Eval, right: Eval) -> Eval:
    def run(e: Entry) -> Any:
        a, b = left(e), right(e)
        if op == "+" and isinstance(a, str) and isinstance(b, str):
            return a + b
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (a, b)):
            raise ExprError(f"invalid operation: {type(a).__name__} {op} "
                            f"{type(b).__name__}")
        if op in ("/", "%") and b == 0:
            raise ExprError("division by zero")
        return {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b,
                "/": lambda: a / b, "%": lambda: a % b}[op]()
    return run


class Expression:
    """A compiled expression: ``evaluate(entry)`` returns its value, ``test(entry)`` a
    bool (raising ExprError when the value is not one)."""

    def __init__(self, source: str) -> None:
        self.source = source
        parser = _Parser(source)
        if not parser.toks:
            raise ExprError("empty expression")
        self._eval = parser.parse()
        if parser.peek()[0] != "end":
            tok = parser.peek()[1]
            if tok in _REFUSED:
                raise ExprError(f"{_REFUSED[tok]} is not supported by otelpy")
            raise ExprError(f"unexpected {tok!r}")

    def evaluate(self, entry: Entry) -> Any:
        try:
            return self._eval(entry)
        except (TypeError, re.error) as exc:
            raise ExprError(str(exc)) from exc

    def test(self, entry: Entry) -> bool:
        return _truthy(self.evaluate(entry))


def compile_expr(source: str) -> Expression:
    """Compile ``source``; raises ExprError naming what is wrong or unsupported."""
    try:
        return Expression(source)
    except re.error as exc:
        raise ExprError(f"invalid regular expression: {exc}") from exc

"""Recursive-descent parser of OTTL statements and conditions (the Collector's grammar).

``parse_statement("set(span.name, \\"x\\") where span.kind == SPAN_KIND_SERVER")`` returns a
:class:`~otelpy.ottl.syntax.Statement`; ``parse_condition(...)`` a boolean expression.
Both raise :class:`~otelpy.ottl.errors.ParseError` with the 1-based column of the first
token that does not fit. Where the grammar has alternatives (a comparison, a converter
used as a condition, a parenthesised condition), each is tried and the error reported is
the one that got furthest, as a backtracking parser reports it.
"""

from __future__ import annotations

from otelpy.ottl import syntax as s
from otelpy.ottl.errors import ParseError
from otelpy.ottl.lexer import Token, tokenize, unquote

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def parse_statement(text: str) -> s.Statement:
    """One editor call with an optional ``where`` condition."""
    p = _Parser(text)
    first = p.peek()
    editor = p.call()
    if editor.name[0].isupper():
        raise ParseError("editor names must start with a lowercase letter but got "
                         f"'{editor.name}'", first.column)
    if editor.keys:
        raise ParseError("only paths and converters may be indexed, not editors, but got "
                         f"{editor.name}", first.column)
    where = None
    if p.peek().kind == "where":
        p.take()
        where = p.bool_expr()
    p.expect("EOF")
    return s.Statement(editor, where, text)


def parse_condition(text: str) -> s.BoolExpr:
    """A boolean expression (the filter processor's conditions, ``where`` clauses)."""
    p = _Parser(text)
    expr = p.bool_expr()
    p.expect("EOF")
    return expr


def parse_value(text: str) -> s.Value:
    """A single value expression (for tests and for paths given alone)."""
    p = _Parser(text)
    value = p.value()
    p.expect("EOF")
    return value


def _unexpected(tok: Token) -> ParseError:
    if tok.kind == "EOF":
        return ParseError("unexpected end of statement", tok.column)
    return ParseError(f'unexpected token "{tok.text}"', tok.column)


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.pos = 0

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def take(self) -> Token:
        tok = self.peek()
        self.pos = min(self.pos + 1, len(self.tokens) - 1)
        return tok

    def expect(self, kind: str) -> Token:
        tok = self.peek()
        if tok.kind != kind:
            raise _unexpected(tok)
        return self.take()

    # -- boolean expressions ---------------------------------------------------------
    def bool_expr(self) -> s.BoolExpr:
        terms = [self.term()]
        while self.peek().kind == "or":
            self.take()
            terms.append(self.term())
        return terms[0] if len(terms) == 1 else s.Or(tuple(terms))

    def term(self) -> s.BoolExpr:
        values = [self.bool_value()]
        while self.peek().kind == "and":
            self.take()
            values.append(self.bool_value())
        return values[0] if len(values) == 1 else s.And(tuple(values))

    def bool_value(self) -> s.BoolExpr:
        if self.peek().kind == "not":
            tok = self.take()
            return s.Not(self._bool_operand(), tok.column)
        return self._bool_operand()

    def _bool_operand(self) -> s.BoolExpr:
        start = self.pos
        try:
            return self._comparison()
        except ParseError as first:
            failed_at = self.pos
            self.pos = start
            try:
                return self._bool_const()
            except ParseError as second:
                if second.column >= first.column or failed_at == start:
                    raise
                raise first from None

    def _comparison(self) -> s.Comparison:
        left = self.value()
        op = self.peek()
        if op.kind != "CMP":
            raise _unexpected(op)
        self.take()
        return s.Comparison(op.text, left, self.value(), op.column)

    def _bool_const(self) -> s.BoolExpr:
        tok = self.peek()
        if tok.kind in ("true", "false"):
            self.take()
            return s.BoolConst(s.Literal(tok.kind == "true", tok.column))
        if tok.kind == "(":
            self.take()
            inner = self.bool_expr()
            self.expect(")")
            return inner
        if tok.kind == "WORD" and tok.text[0].isupper() and self.peek(1).kind == "(":
            return s.BoolConst(self.call())
        raise _unexpected(tok)

    # -- values ----------------------------------------------------------------------
    def value(self) -> s.Value:
        tok = self.peek()
        simple = {"nil": None, "true": True, "false": False}
        if tok.kind in simple:
            self.take()
            return s.Literal(simple[tok.kind], tok.column)
        if tok.kind == "STRING":
            self.take()
            return s.Literal(unquote(tok), tok.column)
        if tok.kind == "BYTES":
            self.take()
            text = tok.text[2:]
            if len(text) % 2:
                raise ParseError(f"odd number of hex digits in {tok.text}", tok.column)
            return s.Literal(bytes.fromhex(text), tok.column)
        if tok.kind == "{":
            return self.map_value()
        if tok.kind == "[":
            return self.list_value()
        if tok.kind == "WORD" and tok.text[0].isupper() and self.peek(1).kind != "(":
            self.take()
            return s.Symbol(tok.text, tok.column)
        return self.math()

    def map_value(self) -> s.MapValue:
        open_ = self.expect("{")
        items: list[tuple[str, s.Value]] = []
        while self.peek().kind != "}":
            key = unquote(self.expect("STRING"))
            self.expect(":")
            items.append((key, self.value()))
            if self.peek().kind == ",":
                self.take()
        self.take()
        return s.MapValue(tuple(items), open_.column)

    def list_value(self) -> s.ListValue:
        open_ = self.expect("[")
        items: list[s.Value] = []
        if self.peek().kind != "]":
            items.append(self.value())
            while self.peek().kind == ",":
                self.take()
                items.append(self.value())
        self.expect("]")
        return s.ListValue(tuple(items), open_.column)

    def math(self) -> s.Value:
        left = self._add_term()
        while self.peek().kind == "ADDSUB":
            op = self.take()
            left = s.Math(op.text, left, self._add_term(), op.column)
        return left

    def _add_term(self) -> s.Value:
        left = self._math_value()
        while self.peek().kind == "MULTDIV":
            op = self.take()
            left = s.Math(op.text, left, self._math_value(), op.column)
        return left

    def _math_value(self) -> s.Value:
        tok = self.peek()
        if tok.kind == "ADDSUB":
            self.take()
            operand = self._math_value()
            if tok.text == "+":
                return operand
            if isinstance(operand, s.Literal) and isinstance(operand.value, (int, float)) \
                    and not isinstance(operand.value, bool):
                return self._number(-operand.value, tok.column)
            return s.Math("-", s.Literal(0, tok.column), operand, tok.column, unary=True)
        if tok.kind == "(":
            self.take()
            inner = self.math()
            self.expect(")")
            return inner
        return self._math_literal()

    def _number(self, value: int | float, column: int) -> s.Literal:
        if isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX:
            raise ParseError(f"integer {value} does not fit in 64 bits", column)
        return s.Literal(value, column)

    def _math_literal(self) -> s.Value:
        tok = self.peek()
        if tok.kind == "INT":
            self.take()
            return self._number(int(tok.text), tok.column)
        if tok.kind == "FLOAT":
            self.take()
            return s.Literal(float(tok.text), tok.column)
        if tok.kind == "WORD" and self.peek(1).kind == "(":
            call = self.call()
            if call.name[0].islower():
                raise ParseError("converter names must start with an uppercase letter but "
                                 f"got '{call.name}'", tok.column)
            return call
        if tok.kind == "WORD" and tok.text[0].islower():
            return self.path()
        raise _unexpected(tok)

    def path(self) -> s.Path:
        first = self.peek()
        fields = [self._field()]
        while self.peek().kind == ".":
            self.take()
            fields.append(self._field())
        return s.Path(tuple(fields), first.column)

    def _field(self) -> s.PathField:
        tok = self.peek()
        if tok.kind != "WORD" or not tok.text[0].islower() or tok.text.lower() != tok.text:
            raise _unexpected(tok)
        self.take()
        return s.PathField(tok.text, self.keys(), tok.column)

    def keys(self) -> tuple[s.Key, ...]:
        keys: list[s.Key] = []
        while self.peek().kind == "[":
            self.take()
            tok = self.peek()
            if tok.kind == "STRING":
                keys.append(unquote(tok))
            elif tok.kind == "INT":
                keys.append(int(tok.text))
            else:
                raise ParseError("an index must be a string or an integer literal (otelpy "
                                 "does not implement expressions as keys)", tok.column)
            self.take()
            self.expect("]")
        return tuple(keys)

    def call(self) -> s.Call:
        name = self.expect("WORD")
        self.expect("(")
        args: list[s.Argument] = []
        if self.peek().kind != ")":
            args.append(self._argument())
            while self.peek().kind == ",":
                self.take()
                args.append(self._argument())
        self.expect(")")
        return s.Call(name.text, tuple(args), self.keys(), name.column)

    def _argument(self) -> s.Argument:
        tok = self.peek()
        if tok.kind == "WORD" and tok.text[0].islower() and self.peek(1).kind == "EQUAL":
            self.take()
            self.take()
            return s.Argument(self.value(), tok.text, tok.column)
        return s.Argument(self.value(), None, tok.column)

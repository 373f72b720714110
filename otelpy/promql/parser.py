"""PromQL parser: text -> syntax tree (``otelpy.promql.ast``), with Prometheus 2.42's grammar,
type checks and error messages; errors carry the offset of the offending token or node."""

from __future__ import annotations

import re

from otelpy.goregex import compile_go
from otelpy.promql import ast
from otelpy.promql.ast import MATRIX, SCALAR, STRING, VECTOR, Node
from otelpy.promql.errors import ParseError
from otelpy.promql.lexer import AGGREGATORS, Token, tokenize
from otelpy.promql.signatures import REFUSED, SIGNATURES
from otelpy.promql.typecheck import check_binary, check_call, check_unary

_PREC = {"or": 1, "and": 2, "unless": 2, "==": 3, "!=": 3, "<=": 3, "<": 3, ">=": 3, ">": 3,
         "+": 4, "-": 4, "*": 5, "/": 5, "%": 5, "atan2": 5, "^": 6}
_SET_OPS = {"and", "or", "unless"}
_PARAM_AGGS = {"topk", "bottomk", "quantile", "count_values"}
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


def parse(query: str) -> Node:
    """The syntax tree of ``query``; raises ParseError with the offset of the problem."""
    p = _Parser(query)
    if p.peek().kind == "EOF":
        raise ParseError(0, "no expression found in input")
    node = p.expr(0)
    tok = p.peek()
    if tok.kind != "EOF":
        raise ParseError(tok.pos, f"unexpected {_describe(tok)}")
    return node


def _describe(tok: Token) -> str:
    kinds = {"EOF": "end of input", "(": "left parenthesis '('", ")": "right parenthesis ')'",
             "{": "left brace '{'", "}": "right brace '}'", "[": "left bracket '['",
             "]": "right bracket ']'", ",": "comma ','", ":": "colon ':'", "=": "'='",
             "@": "<@>"}
    if tok.kind in kinds:
        return kinds[tok.kind]
    if tok.kind == "NUM":
        return f'number "{tok.text}"'
    if tok.kind == "DUR":
        return f'duration "{tok.text}"'
    if tok.kind == "STR":
        return f"string {tok.text}"
    low = tok.text.lower()
    if tok.kind == "IDENT" and (low in _PREC or low in {"by", "without", "on", "ignoring",
                                                        "group_left", "group_right",
                                                        "offset", "bool"}):
        return f"<{low}>"
    if tok.kind == "IDENT" and low in AGGREGATORS:
        return f"<aggr:{low}>"
    if tok.kind == "IDENT":
        return f'identifier "{tok.text}"'
    return f"<op:{tok.text}>"


class _Parser:
    def __init__(self, query: str) -> None:
        self.src = query
        self.toks = tokenize(query)
        self.i = 0

    def peek(self, k: int = 0) -> Token:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def next(self) -> Token:
        tok = self.peek()
        self.i += 1
        return tok

    def expect(self, kind: str, context: str) -> Token:
        tok = self.peek()
        if tok.kind != kind:
            raise ParseError(tok.pos, f"unexpected {_describe(tok)} in {context}"
                             + _expected(kind))
        return self.next()

    def word(self, k: int = 0) -> str:
        tok = self.peek(k)
        return tok.text.lower() if tok.kind == "IDENT" else tok.kind

    # -- binary operators -------------------------------------------------------------

    def expr(self, min_prec: int) -> Node:
        lhs = self.unary()
        while True:
            op = self.word()
            prec = _PREC.get(op)
            if prec is None or prec < min_prec:
                return lhs
            op_tok = self.next()
            return_bool, matching = self.modifiers(op)
            rhs = self.expr(prec if op == "^" else prec + 1)
            lhs = self.binary(op, op_tok, lhs, rhs, return_bool, matching)

    def modifiers(self, op: str) -> tuple[bool, ast.VectorMatching]:
        return_bool = False
        if self.word() == "bool":
            self.next()
            return_bool = True
        matching = ast.VectorMatching(card="many-to-many" if op in _SET_OPS else "one-to-one")
        if self.word() in ("on", "ignoring"):
            matching.on = self.next().text.lower() == "on"
            matching.labels = self.label_list("grouping opts")
            if self.word() in ("group_left", "group_right"):
                side = self.next().text.lower()
                matching.card = "many-to-one" if side == "group_left" else "one-to-many"
                if self.peek().kind == "(":
                    matching.include = self.label_list("grouping opts")
        elif self.word() in ("group_left", "group_right"):
            tok = self.peek()
            raise ParseError(tok.pos, f"unexpected {_describe(tok)}")
        return return_bool, matching

    def binary(self, op: str, op_tok: Token, lhs: Node, rhs: Node, return_bool: bool,
               matching: ast.VectorMatching) -> Node:
        node = ast.BinaryExpr(op, lhs, rhs, matching, return_bool, pos=lhs.pos)
        check_binary(node, op_tok.pos)
        if lhs.type == SCALAR and rhs.type == SCALAR:
            node.matching = None
        return node

    # -- unary and primary -------------------------------------------------------------

    def unary(self) -> Node:
        tok = self.peek()
        if tok.kind in ("+", "-"):
            self.next()
            operand = self.expr(_PREC["^"])
            if isinstance(operand, ast.NumberLiteral):
                val = -operand.val if tok.kind == "-" else operand.val
                return ast.NumberLiteral(val, pos=tok.pos)
            node = ast.UnaryExpr(tok.kind, operand, pos=tok.pos)
            check_unary(node)
            return node
        return self.postfix(self.primary())

    def primary(self) -> Node:
        tok = self.peek()
        if tok.kind == "NUM":
            self.next()
            return ast.NumberLiteral(float(tok.value), pos=tok.pos)  # type: ignore[arg-type]
        if tok.kind == "STR":
            self.next()
            return ast.StringLiteral(str(tok.value), pos=tok.pos)
        if tok.kind == "(":
            self.next()
            inner = self.expr(0)
            self.expect(")", "paren expression")
            return ast.ParenExpr(inner, pos=tok.pos)
        if tok.kind == "{":
            return self.selector("", tok.pos)
        if tok.kind == "IDENT":
            return self.identifier(tok)
        if tok.kind == "EOF":
            raise ParseError(tok.pos, "unexpected end of input")
        raise ParseError(tok.pos, f"unexpected {_describe(tok)}")

    def identifier(self, tok: Token) -> Node:
        low = tok.text.lower()
        if low in ("inf", "nan"):
            self.next()
            return ast.NumberLiteral(float(low), pos=tok.pos)
        if low in AGGREGATORS and self.word(1) in ("(", "by", "without"):
            return self.aggregate()
        if self.peek(1).kind == "(" and ":" not in tok.text:
            return self.call()
        if low in _PREC or low in ("by", "without", "on", "ignoring", "group_left",
                                   "group_right", "offset", "bool"):
            raise ParseError(tok.pos, f"unexpected {_describe(tok)}")
        self.next()
        return self.selector(tok.text, tok.pos)

    def call(self) -> Node:
        name_tok = self.next()
        name = name_tok.text
        if name not in SIGNATURES:
            if name in REFUSED:
                raise ParseError(name_tok.pos, f"function {name!r} (native histograms) is not"
                                               " supported by otelpy's PromQL engine")
            raise ParseError(name_tok.pos, f'unknown function with name "{name}"')
        self.next()  # (
        args: list[Node] = []
        if self.peek().kind != ")":
            args.append(self.expr(0))
            while self.peek().kind == ",":
                self.next()
                if self.peek().kind == ")":
                    break
                args.append(self.expr(0))
        self.expect(")", "function call argument list" if args else "function call")
        node = ast.Call(name, args, SIGNATURES[name].ret, pos=name_tok.pos)
        check_call(node, SIGNATURES[name], self.src)
        return node

    def aggregate(self) -> Node:
        op_tok = self.next()
        op = op_tok.text.lower()
        grouping: list[str] = []
        without = False
        if self.word() in ("by", "without"):
            without = self.next().text.lower() == "without"
            grouping = self.label_list("grouping opts")
        self.expect("(", "aggregation")
        args = [self.expr(0)]
        while self.peek().kind == ",":
            self.next()
            args.append(self.expr(0))
        self.expect(")", "aggregation")
        if not grouping and not without and self.word() in ("by", "without"):
            without = self.next().text.lower() == "without"
            grouping = self.label_list("grouping opts")
        elif self.word() in ("by", "without"):
            tok = self.peek()
            raise ParseError(tok.pos, f"unexpected {_describe(tok)} in aggregation")
        want = 2 if op in _PARAM_AGGS else 1
        if len(args) != want:
            raise ParseError(op_tok.pos, "wrong number of arguments for aggregate expression "
                                         f"provided, expected {want}, got {len(args)}")
        param = args[0] if want == 2 else None
        node = ast.AggregateExpr(op, args[-1], param, grouping, without, pos=op_tok.pos)
        _check_aggregate(node)
        return node

    def label_list(self, context: str) -> list[str]:
        self.expect("(", context)
        names: list[str] = []
        while self.peek().kind != ")":
            tok = self.next()
            if tok.kind != "IDENT" or not _LABEL_NAME.fullmatch(tok.text):
                raise ParseError(tok.pos, f"unexpected {_describe(tok)} in {context}, "
                                          "expected label")
            names.append(tok.text)
            if self.peek().kind == ",":
                self.next()
            elif self.peek().kind != ")":
                t = self.peek()
                raise ParseError(t.pos, f'unexpected {_describe(t)} in {context}, expected '
                                        '"," or ")"')
        self.next()
        return names

    # -- selectors -----------------------------------------------------------------------

    def selector(self, name: str, pos: int) -> Node:
        matchers: list[ast.Matcher] = []
        if self.peek().kind == "{":
            self.next()
            while self.peek().kind != "}":
                matchers.append(self.matcher())
                if self.peek().kind == ",":
                    self.next()
                elif self.peek().kind != "}":
                    t = self.peek()
                    raise ParseError(t.pos, f'unexpected {_describe(t)} in label matching, '
                                            'expected "," or "}"')
            self.next()
        if name:
            for m in matchers:
                if m.name == "__name__":
                    raise ParseError(pos, f"metric name must not be set twice: {name!r} or "
                                          f"{m.value!r}")
            matchers.insert(0, ast.Matcher("__name__", "=", name))
        if not any(not m.matches("") for m in matchers):
            raise ParseError(pos, "vector selector must contain at least one non-empty "
                                  "matcher")
        return ast.VectorSelector(name, matchers, pos=pos)

    def matcher(self) -> ast.Matcher:
        tok = self.next()
        if tok.kind != "IDENT" or not _LABEL_NAME.fullmatch(tok.text):
            raise ParseError(tok.pos, f"unexpected {_describe(tok)} in label matching, "
                                      "expected label")
        op = self.next()
        if op.kind not in ("=", "!=", "=~", "!~"):
            raise ParseError(op.pos, f"unexpected {_describe(op)} in label matching, "
                                     "expected label matching operator")
        val = self.next()
        if val.kind != "STR":
            raise ParseError(val.pos, f"unexpected {_describe(val)} in label matching, "
                                      "expected string")
        regex = None
        if op.kind in ("=~", "!~"):
            try:
                regex = compile_go(f"^(?:{val.value})$")
            except re.error as exc:
                raise ParseError(val.pos, f"error parsing regexp: {exc}") from None
        return ast.Matcher(tok.text, op.kind, str(val.value), regex)

    def postfix(self, node: Node) -> Node:
        while True:
            kind = self.word()
            if kind == "[":
                node = self.range_or_subquery(node)
            elif kind == "offset":
                node = self.offset(node)
            elif kind == "@":
                node = self.at(node)
            else:
                return node

    def range_or_subquery(self, node: Node) -> Node:
        open_tok = self.next()
        rng = self.expect("DUR", "subquery or range")
        if self.peek().kind == "]":
            self.next()
            inner = node
            if not isinstance(inner, ast.VectorSelector):
                raise ParseError(node.pos, "ranges only allowed for vector selectors")
            if inner.offset_ms or inner.at is not None:
                raise ParseError(open_tok.pos, "no offset modifiers allowed before range")
            return ast.MatrixSelector(inner, int(rng.value), pos=node.pos)  # type: ignore
        self.expect(":", "subquery or range selector")
        step = 0
        if self.peek().kind == "DUR":
            step = int(self.next().value)  # type: ignore[call-overload]
        self.expect("]", "subquery or range selector")
        if node.type != VECTOR:
            raise ParseError(node.pos, "subquery is only allowed on instant vector, got "
                                       f"{ast.DOC_TYPE[node.type]} instead")
        return ast.SubqueryExpr(node, int(rng.value), step, pos=node.pos)  # type: ignore

    def _modifiable(self, node: Node, what: str, tok: Token) -> ast.Node:
        target: Node = node.vs if isinstance(node, ast.MatrixSelector) else node
        if not isinstance(target, ast.VectorSelector | ast.SubqueryExpr):
            raise ParseError(tok.pos, f"{what} modifier must be preceded by an instant vector "
                                      "selector or range vector selector or a subquery")
        return target

    def offset(self, node: Node) -> Node:
        tok = self.next()
        target = self._modifiable(node, "offset", tok)
        sign = 1
        if self.peek().kind in ("+", "-"):
            sign = -1 if self.next().kind == "-" else 1
        dur = self.expect("DUR", "offset")
        assert isinstance(target, ast.VectorSelector | ast.SubqueryExpr)
        if target.offset_ms:
            raise ParseError(tok.pos, "offset may not be set multiple times")
        target.offset_ms = sign * int(dur.value)  # type: ignore[call-overload]
        return node

    def at(self, node: Node) -> Node:
        tok = self.next()
        target = self._modifiable(node, "@", tok)
        assert isinstance(target, ast.VectorSelector | ast.SubqueryExpr)
        if target.at is not None:
            raise ParseError(tok.pos, "@ <timestamp> may not be set multiple times")
        nxt = self.peek()
        sign = 1.0
        if nxt.kind in ("+", "-"):
            sign = -1.0 if self.next().kind == "-" else 1.0
            nxt = self.peek()
        if nxt.kind == "NUM":
            self.next()
            target.at = round(sign * float(nxt.value) * 1000)  # type: ignore[arg-type]
        elif self.word() in ("start", "end") and self.peek(1).kind == "(":
            self.next()
            self.next()
            self.expect(")", "@ modifier")
            target.at = nxt.text.lower()
        else:
            raise ParseError(nxt.pos, f"unexpected {_describe(nxt)} in @, expected timestamp")
        return node


def _expected(kind: str) -> str:
    names = {")": 'right parenthesis ")"', "(": 'left parenthesis "("', "]": '"]"',
             "DUR": "duration", ":": '":"'}
    return f", expected {names[kind]}" if kind in names and kind not in ("(", ")") else ""


def _check_aggregate(node: ast.AggregateExpr) -> None:
    if node.expr.type != VECTOR:
        raise ParseError(node.expr.pos, "expected type instant vector in aggregation "
                                        f"expression, got {ast.DOC_TYPE[node.expr.type]}")
    if node.param is None:
        return
    want = STRING if node.op == "count_values" else SCALAR
    if node.param.type != want:
        raise ParseError(node.param.pos, f"expected type {ast.DOC_TYPE[want]} in aggregation "
                                         f"parameter, got {ast.DOC_TYPE[node.param.type]}")


__all__ = ["MATRIX", "parse"]

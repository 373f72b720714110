"""Type checks Prometheus runs on each node as it parses (``checkAST``), with its messages."""

from __future__ import annotations

from otelpy.promql import ast
from otelpy.promql.ast import DOC_TYPE, MATRIX, SCALAR, STRING, VECTOR
from otelpy.promql.errors import ParseError
from otelpy.promql.signatures import Signature

_COMPARISONS = {"==", "!=", "<=", "<", ">=", ">"}
_SET_OPS = {"and", "or", "unless"}


def check_binary(node: ast.BinaryExpr, op_pos: int) -> None:
    """Raise ParseError when ``node`` is not a valid binary expression."""
    lt, rt = node.lhs.type, node.rhs.type
    m = node.matching
    if node.return_bool and node.op not in _COMPARISONS:
        raise ParseError(node.pos, "bool modifier can only be used on comparison operators")
    if node.op in _COMPARISONS and not node.return_bool and lt == SCALAR and rt == SCALAR:
        raise ParseError(op_pos, "comparisons between scalars must use BOOL modifier")
    for side in (node.lhs, node.rhs):
        if side.type not in (SCALAR, VECTOR):
            raise ParseError(side.pos, "binary expression must contain only scalar and "
                                       "instant vector types")
    has_matching = m is not None and (m.labels or m.on or m.card not in ("one-to-one",
                                                                           "many-to-many"))
    if (lt != VECTOR or rt != VECTOR) and has_matching:
        raise ParseError(node.pos, "vector matching only allowed between instant vectors")
    if node.op in _SET_OPS:
        if lt == SCALAR or rt == SCALAR:
            raise ParseError(node.pos, f'set operator "{node.op}" not allowed in binary scalar '
                                       "expression")
        if m is not None and m.card in ("many-to-one", "one-to-many"):
            raise ParseError(node.pos, f'no grouping allowed for "{node.op}" operation')
    if m is not None and m.on:
        for name in m.include:
            if name in m.labels:
                raise ParseError(node.pos, f'label "{name}" must not occur in ON and GROUP '
                                           "clause at once")


def check_unary(node: ast.UnaryExpr) -> None:
    if node.expr.type not in (SCALAR, VECTOR):
        raise ParseError(node.pos, "unary expression only allowed on expressions of type "
                                   f'scalar or instant vector, got "{DOC_TYPE[node.expr.type]}"')


def check_call(node: ast.Call, sig: Signature, src: str) -> None:
    """Argument count and types of a function call."""
    n, want = len(node.args), len(sig.args)
    if sig.variadic == 0 and n != want:
        raise ParseError(node.pos, f"expected {want} argument(s) in call to \"{node.name}\", "
                                   f"got {n}")
    if sig.variadic > 0 and not (want - sig.variadic <= n <= want):
        lo = want - sig.variadic
        raise ParseError(node.pos, f"expected at least {lo} argument(s) in call to "
                                   f"\"{node.name}\", got {n}" if n < lo else
                         f"expected at most {want} argument(s) in call to \"{node.name}\", "
                         f"got {n}")
    if sig.variadic < 0 and n < want:
        raise ParseError(node.pos, f"expected at least {want} argument(s) in call to "
                                   f"\"{node.name}\", got {n}")
    for i, arg in enumerate(node.args):
        expected = sig.args[min(i, want - 1)]
        if arg.type != expected:
            raise ParseError(arg.pos, f"expected type {DOC_TYPE[expected]} in call to function "
                                      f"\"{node.name}\", got {DOC_TYPE[arg.type]}")
    _ = (MATRIX, STRING, src)

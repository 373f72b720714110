"""What rules read: the metric names they select and how far back they look."""

from __future__ import annotations

from otelpy.promql import ast

#: a histogram or summary family is read through these sample names
SAMPLE_SUFFIXES = ("_bucket", "_sum", "_count")


def selected_names(node: ast.Node) -> set[str] | None:
    """Metric names every selector under ``node`` reads (``__name__="x"``), or None when a
    selector may read any name (a regex or no name matcher)."""
    names: set[str] = set()
    for selector in _selectors(node):
        fixed = [m.value for m in selector.matchers if m.name == "__name__" and m.op == "="]
        if not fixed:
            return None
        names.add(fixed[0])
    return names


def reach_ms(node: ast.Node, lookback_ms: int) -> int:
    """How far before the evaluation time ``node`` reads samples (ranges, offsets,
    subqueries and the lookback delta); ``@`` modifiers are not bounded here."""
    if isinstance(node, ast.VectorSelector):
        return node.offset_ms + lookback_ms
    if isinstance(node, ast.MatrixSelector):
        return node.vs.offset_ms + node.range_ms
    if isinstance(node, ast.SubqueryExpr):
        return node.offset_ms + node.range_ms + reach_ms(node.expr, lookback_ms)
    return max((reach_ms(child, lookback_ms) for child in _children(node)), default=0)


def _children(node: ast.Node) -> list[ast.Node]:
    if isinstance(node, ast.ParenExpr | ast.UnaryExpr | ast.SubqueryExpr):
        return [node.expr]
    if isinstance(node, ast.MatrixSelector):
        return [node.vs]
    if isinstance(node, ast.Call):
        return list(node.args)
    if isinstance(node, ast.AggregateExpr):
        return [node.expr] + ([node.param] if node.param is not None else [])
    if isinstance(node, ast.BinaryExpr):
        return [node.lhs, node.rhs]
    return []


def _selectors(node: ast.Node) -> list[ast.VectorSelector]:
    if isinstance(node, ast.VectorSelector):
        return [node]
    return [s for child in _children(node) for s in _selectors(child)]

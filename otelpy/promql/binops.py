"""Binary operators: arithmetic, comparison (with and without ``bool``), and/or/unless, and
vector matching (on/ignoring, group_left/group_right) with Prometheus 2.42's errors."""

from __future__ import annotations

import math

from otelpy.promql import ast, gomath
from otelpy.promql.errors import EvalError
from otelpy.promql.values import Labels, Sample, Scalar, Value, Vector, drop_name, format_labels

_COMPARISONS = {"==", "!=", "<=", "<", ">=", ">"}


def arith(op: str, a: float, b: float) -> float:
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        return gomath.div(a, b)
    if op == "^":
        return gomath.pow_(a, b)
    if op == "%":
        return gomath.mod(a, b)
    if op == "atan2":
        return math.atan2(a, b)
    raise EvalError(f"operator {op!r} not allowed for scalar operations")


def compare(op: str, a: float, b: float) -> bool:
    if op == "==":
        return a == b
    if op == "!=":
        return a != b
    if op == ">":
        return a > b
    if op == "<":
        return a < b
    if op == ">=":
        return a >= b
    return a <= b


def evaluate(node: ast.BinaryExpr, lhs: Value, rhs: Value) -> Value:
    op = node.op
    if isinstance(lhs, Scalar) and isinstance(rhs, Scalar):
        if op in _COMPARISONS:
            return Scalar(1.0 if compare(op, lhs.v, rhs.v) else 0.0)
        return Scalar(arith(op, lhs.v, rhs.v))
    if isinstance(lhs, Vector) and isinstance(rhs, Vector):
        assert node.matching is not None
        if op in ("and", "or", "unless"):
            return _set_op(op, lhs, rhs, node.matching)
        return _vector_op(node, lhs, rhs, node.matching)
    if isinstance(lhs, Vector):
        assert isinstance(rhs, Scalar)
        return _vector_scalar(node, lhs, rhs.v, swap=False)
    assert isinstance(lhs, Scalar) and isinstance(rhs, Vector)
    return _vector_scalar(node, rhs, lhs.v, swap=True)


# Prometheus's shouldDropMetricName: atan2 and the comparisons keep the metric name.
_DROPS_NAME = frozenset(("+", "-", "*", "/", "^", "%"))


def _vector_scalar(node: ast.BinaryExpr, vec: Vector, scalar: float, swap: bool) -> Vector:
    op = node.op
    out = Vector()
    is_cmp = op in _COMPARISONS
    for s in vec:
        lv, rv = (scalar, s.v) if swap else (s.v, scalar)
        if is_cmp:
            keep = compare(op, lv, rv)
            value = rv if swap else lv
        else:
            keep, value = True, arith(op, lv, rv)
        if node.return_bool:
            value, keep = (1.0 if keep else 0.0), True
        if keep:
            metric = drop_name(s.metric) if (op in _DROPS_NAME or node.return_bool) else s.metric
            out.append(Sample(metric, value))
    return out


def signature(metric: Labels, m: ast.VectorMatching) -> Labels:
    if m.on:
        names = set(m.labels)
        return tuple(p for p in metric if p[0] in names)
    names = set(m.labels) | {"__name__"}
    return tuple(p for p in metric if p[0] not in names)


def _set_op(op: str, lhs: Vector, rhs: Vector, m: ast.VectorMatching) -> Vector:
    if op == "and":
        if not lhs or not rhs:
            return Vector()
        right = {signature(s.metric, m) for s in rhs}
        return Vector(s for s in lhs if signature(s.metric, m) in right)
    if op == "or":
        if not lhs or not rhs:
            return Vector(list(lhs) + list(rhs))
        left = {signature(s.metric, m) for s in lhs}
        return Vector(list(lhs) + [s for s in rhs if signature(s.metric, m) not in left])
    if not lhs or not rhs:
        return Vector(lhs)
    right = {signature(s.metric, m) for s in rhs}
    return Vector(s for s in lhs if signature(s.metric, m) not in right)


def _vector_op(node: ast.BinaryExpr, lhs: Vector, rhs: Vector, m: ast.VectorMatching) -> Vector:
    if not lhs or not rhs:
        return Vector()
    one_to_many = m.card == "one-to-many"
    if one_to_many:
        lhs, rhs = rhs, lhs
    right: dict[Labels, Sample] = {}
    for s in rhs:
        sig = signature(s.metric, m)
        dup = right.get(sig)
        if dup is not None:
            side = "left" if one_to_many else "right"
            matched = format_labels(_match_labels(s.metric, m))
            raise EvalError(
                f"found duplicate series for the match group {matched} on the {side} "
                f"hand-side of the operation: [{format_labels(s.metric)}, "
                f"{format_labels(dup.metric)}];many-to-many matching not allowed: matching "
                "labels must be unique on one side")
        right[sig] = s
    matched_sigs: dict[Labels, set[Labels]] = {}
    out = Vector()
    is_cmp = node.op in _COMPARISONS
    for ls in lhs:
        sig = signature(ls.metric, m)
        rs = right.get(sig)
        if rs is None:
            continue
        vl, vr = (rs.v, ls.v) if one_to_many else (ls.v, rs.v)
        if is_cmp:
            keep, value = compare(node.op, vl, vr), vl
        else:
            keep, value = True, arith(node.op, vl, vr)
        if node.return_bool:
            value = 1.0 if keep else 0.0
        elif not keep:
            continue
        metric = _result_metric(ls.metric, rs.metric, node, m)
        if node.return_bool:
            metric = drop_name(metric)
        _check_match(matched_sigs, sig, metric, m)
        out.append(Sample(metric, value))
    return out


def _check_match(matched: dict[Labels, set[Labels]], sig: Labels, metric: Labels,
                 m: ast.VectorMatching) -> None:
    seen = matched.get(sig)
    if m.card == "one-to-one":
        if seen is not None:
            raise EvalError("multiple matches for labels: many-to-one matching must be explicit "
                            "(group_left/group_right)")
        matched[sig] = set()
        return
    if seen is None:
        seen = matched[sig] = set()
    elif metric in seen:
        raise EvalError("multiple matches for labels: grouping labels must ensure unique matches")
    seen.add(metric)


def _match_labels(metric: Labels, m: ast.VectorMatching) -> Labels:
    return signature(metric, m) if m.on else tuple(
        p for p in metric if p[0] not in set(m.labels) | {"__name__"})


def _result_metric(lhs: Labels, rhs: Labels, node: ast.BinaryExpr,
                   m: ast.VectorMatching) -> Labels:
    labels = dict(lhs)
    if node.op in _DROPS_NAME:
        labels.pop("__name__", None)
    if m.card == "one-to-one":
        if m.on:
            labels = {k: v for k, v in labels.items() if k in set(m.labels)}
        else:
            for name in m.labels:
                labels.pop(name, None)
    rmap = dict(rhs)
    for name in m.include:
        if rmap.get(name, ""):
            labels[name] = rmap[name]
        else:
            labels.pop(name, None)
    return tuple(sorted(labels.items()))

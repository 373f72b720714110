"""PromQL evaluation with Prometheus 2.42's semantics, one instant at a time.

``Engine.instant(expr, t_ms)`` evaluates a parsed expression at one time. Subqueries evaluate
their inner expression at each step and gather the results into series. Series order follows
Prometheus's for instant queries (storage order, sorted by label set), so float sums add up
in the same order.
"""

from __future__ import annotations

import math
from bisect import bisect_left

from otelpy.promql import aggregate, ast, binops, functions
from otelpy.promql.errors import EvalError
from otelpy.promql.storage import SeriesStore
from otelpy.promql.values import (
    Labels,
    Matrix,
    Sample,
    Scalar,
    Series,
    String,
    Value,
    Vector,
    drop_name,
    is_stale,
)

DEFAULT_LOOKBACK_MS = 5 * 60_000


class Engine:
    """Evaluates expressions over a SeriesStore."""

    def __init__(self, store: SeriesStore, lookback_ms: int = DEFAULT_LOOKBACK_MS,
                 subquery_step_ms: int = 60_000) -> None:
        self.store = store
        self.lookback_ms = lookback_ms
        self.subquery_step_ms = subquery_step_ms

    def instant(self, expr: ast.Node, t_ms: int) -> Value:
        """The value of ``expr`` at ``t_ms``; raises EvalError."""
        return _Eval(self, t_ms).eval(expr, t_ms)


class _Eval:
    def __init__(self, engine: Engine, query_t: int) -> None:
        self.engine = engine
        self.store = engine.store
        self.query_t = query_t  # start() and end() of an instant query

    def ref_time(self, at: float | str | None, offset_ms: int, t: int) -> int:
        if at is None:
            base = t
        elif isinstance(at, str):
            base = self.query_t
        else:
            base = int(at)
        return base - offset_ms

    def eval(self, node: ast.Node, t: int) -> Value:
        method = getattr(self, "_" + type(node).__name__)
        result: Value = method(node, t)
        return result

    def _ParenExpr(self, node: ast.ParenExpr, t: int) -> Value:
        return self.eval(node.expr, t)

    def _NumberLiteral(self, node: ast.NumberLiteral, t: int) -> Value:
        return Scalar(node.val)

    def _StringLiteral(self, node: ast.StringLiteral, t: int) -> Value:
        return String(node.val)

    def _VectorSelector(self, node: ast.VectorSelector, t: int) -> Value:
        return Vector(Sample(m, v) for m, _, v in self.select_instant(node, t))

    def select_instant(self, node: ast.VectorSelector, t: int) -> list[tuple[Labels, int, float]]:
        """(labels, sample time, value) of each series' latest sample within the lookback."""
        ref = self.ref_time(node.at, node.offset_ms, t)
        low = ref - self.engine.lookback_ms
        out = []
        for metric, ts, vs in self.store.select(node.matchers):
            i = self.store.end_index(ts, ref)
            if i == 0 or ts[i - 1] < low:
                continue
            v = vs[i - 1]
            if v != v and is_stale(v):
                continue
            out.append((metric, ts[i - 1], v))
        return out

    def _MatrixSelector(self, node: ast.MatrixSelector, t: int) -> Value:
        vs_node = node.vs
        ref = self.ref_time(vs_node.at, vs_node.offset_ms, t)
        low = ref - node.range_ms
        out = Matrix()
        for metric, ts, vs in self.store.select(vs_node.matchers):
            hi = self.store.end_index(ts, ref)
            lo = bisect_left(ts, low, 0, hi)
            pts_t, pts_v = ts[lo:hi], vs[lo:hi]
            if any(map(math.isnan, pts_v)):  # rare: only then look for stale markers
                kept = [j for j, v in enumerate(pts_v) if not is_stale(v)]
                pts_t, pts_v = [pts_t[j] for j in kept], [pts_v[j] for j in kept]
            if pts_t:
                out.append(Series(metric, pts_t, pts_v))
        return out

    def _SubqueryExpr(self, node: ast.SubqueryExpr, t: int) -> Value:
        step = node.step_ms or self.engine.subquery_step_ms
        end = self.ref_time(node.at, node.offset_ms, t)
        first = end - node.range_ms
        start = step * (first // step if first >= 0 else -(-first // step))  # Go's truncation
        if start < first:
            start += step
        series: dict[Labels, Series] = {}
        order: list[Labels] = []
        ts = start
        while ts <= end:
            value = self.eval(node.expr, ts)
            assert isinstance(value, Vector)
            for s in value:
                entry = series.get(s.metric)
                if entry is None:
                    entry = series[s.metric] = Series(s.metric, [], [])
                    order.append(s.metric)
                entry.ts.append(ts)
                entry.vs.append(s.v)
            ts += step
        return Matrix(series[m] for m in order)

    def _UnaryExpr(self, node: ast.UnaryExpr, t: int) -> Value:
        value = self.eval(node.expr, t)
        if node.op == "+":
            return value
        if isinstance(value, Scalar):
            return Scalar(-value.v)
        assert isinstance(value, Vector)
        out = Vector(Sample(drop_name(s.metric), -s.v) for s in value)
        check_unique(out)
        return out

    def _BinaryExpr(self, node: ast.BinaryExpr, t: int) -> Value:
        lhs = self.eval(node.lhs, t)
        rhs = self.eval(node.rhs, t)
        result = binops.evaluate(node, lhs, rhs)
        if isinstance(result, Vector):
            check_unique(result)
        return result

    def _AggregateExpr(self, node: ast.AggregateExpr, t: int) -> Value:
        param: float | str | None = None
        if node.param is not None:
            pv = self.eval(node.param, t)
            param = pv.v if isinstance(pv, Scalar | String) else None
        vec = self.eval(node.expr, t)
        assert isinstance(vec, Vector)
        return aggregate.aggregate(node, vec, param)

    def _Call(self, node: ast.Call, t: int) -> Value:
        if node.name == "timestamp":
            arg = ast.unwrap(node.args[0])
            if isinstance(arg, ast.VectorSelector):
                return Vector(Sample(drop_name(m), ts / 1000)
                              for m, ts, _ in self.select_instant(arg, t))
        args = [self.eval(a, t) for a in node.args]
        result = functions.call(node, args, t)
        if isinstance(result, Vector):
            check_unique(result)
        return result


def check_unique(vec: Vector) -> None:
    """Raise the error Prometheus raises when two samples share a label set."""
    seen: set[Labels] = set()
    for s in vec:
        if s.metric in seen:
            raise EvalError("vector cannot contain metrics with the same labelset")
        seen.add(s.metric)


def scalar_value(value: Value) -> float:
    if isinstance(value, Scalar):
        return value.v
    return math.nan


__all__ = ["Engine", "Matrix", "Series", "check_unique"]

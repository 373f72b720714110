"""Aggregation operators (sum, avg, min, max, count, group, stddev, stdvar, topk, bottomk,
quantile, count_values) with Prometheus 2.42's arithmetic order and heap behaviour."""

from __future__ import annotations

import math
import re

from otelpy.promql import ast
from otelpy.promql.errors import EvalError
from otelpy.promql.rangefuncs import quantile
from otelpy.promql.values import Labels, Sample, Vector, format_f

_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


class _Group:
    __slots__ = ("labels", "value", "mean", "count", "heap")

    def __init__(self, labels: Labels, s: Sample) -> None:
        self.labels = labels
        self.value = s.v
        self.mean = s.v
        self.count = 1
        self.heap: list[Sample] = [s]


def _key(metric: Labels, grouping: frozenset[str], without: bool) -> Labels:
    if without:
        return tuple(p for p in metric if p[0] not in grouping and p[0] != "__name__")
    return tuple(p for p in metric if p[0] in grouping)


def aggregate(node: ast.AggregateExpr, vec: Vector, param: float | str | None) -> Vector:
    op = node.op
    grouping = frozenset(node.grouping)
    k = 0
    if op in ("topk", "bottomk"):
        assert isinstance(param, float)
        if math.isnan(param) or abs(param) >= 2**63:
            raise EvalError(f"Scalar value {param} overflows int64")
        k = int(param)
        if k < 1:
            return Vector()
    if op == "count_values":
        assert isinstance(param, str)
        if not _LABEL_NAME.fullmatch(param):
            raise EvalError(f'invalid label name "{param}"')
        if not node.without:
            grouping = grouping | {param}
        vec = Vector(Sample(_with_label(s.metric, param, format_f(s.v)), s.v) for s in vec)
    groups: dict[Labels, _Group] = {}
    order: list[_Group] = []
    for s in vec:
        key = _key(s.metric, grouping, node.without)
        group = groups.get(key)
        if group is None:
            group = _Group(key, s)
            if op in ("stddev", "stdvar"):
                group.value = 0.0
            elif op == "group":
                group.value = 1.0
            groups[key] = group
            order.append(group)
            continue
        _accumulate(op, group, s, k)
    return _finish(op, order, param)


def _with_label(metric: Labels, name: str, value: str) -> Labels:
    labels = {k: v for k, v in metric if k != name}
    if value:
        labels[name] = value
    return tuple(sorted(labels.items()))


def _accumulate(op: str, g: _Group, s: Sample, k: int) -> None:
    v = s.v
    if op == "sum":
        g.value += v
    elif op == "avg":
        g.count += 1
        if math.isinf(g.mean):
            if math.isinf(v) and (g.mean > 0) == (v > 0):
                return
            if not math.isinf(v) and not math.isnan(v):
                return
        g.mean += v / g.count - g.mean / g.count
    elif op == "max":
        if g.value < v or math.isnan(g.value):
            g.value = v
    elif op == "min":
        if g.value > v or math.isnan(g.value):
            g.value = v
    elif op in ("count", "count_values"):
        g.count += 1
    elif op in ("stddev", "stdvar"):
        g.count += 1
        delta = v - g.mean
        g.mean += delta / g.count
        g.value += delta * (v - g.mean)
    elif op in ("topk", "bottomk"):
        _heap_offer(g.heap, s, k, reverse=op == "bottomk")
    elif op == "quantile":
        g.heap.append(s)


def _less(a: Sample, b: Sample, reverse: bool) -> bool:
    if math.isnan(a.v):
        return True
    return a.v > b.v if reverse else a.v < b.v


def _heap_offer(h: list[Sample], s: Sample, k: int, reverse: bool) -> None:
    """Go's container/heap steps in topk/bottomk, so ties pick the same series."""
    top = h[0].v
    better = top > s.v if reverse else top < s.v
    if not (len(h) < k or better or math.isnan(top)):
        return
    if len(h) == k:
        if k == 1:
            h[0] = s
            return
        n = len(h) - 1
        h[0], h[n] = h[n], h[0]
        _down(h, 0, n, reverse)
        h.pop()
    h.append(s)
    _up(h, len(h) - 1, reverse)


def _up(h: list[Sample], j: int, reverse: bool) -> None:
    while j > 0:
        i = (j - 1) // 2
        if not _less(h[j], h[i], reverse):
            break
        h[i], h[j] = h[j], h[i]
        j = i


def _down(h: list[Sample], i: int, n: int, reverse: bool) -> None:
    while True:
        j1 = 2 * i + 1
        if j1 >= n:
            break
        j = j1
        if j1 + 1 < n and _less(h[j1 + 1], h[j1], reverse):
            j = j1 + 1
        if not _less(h[j], h[i], reverse):
            break
        h[i], h[j] = h[j], h[i]
        i = j


def _finish(op: str, order: list[_Group], param: float | str | None) -> Vector:
    out = Vector()
    for g in order:
        if op in ("topk", "bottomk"):
            out.extend(Sample(s.metric, s.v) for s in g.heap)
            continue
        value = g.value
        if op == "avg":
            value = g.mean
        elif op in ("count", "count_values"):
            value = float(g.count)
        elif op == "stdvar":
            value = g.value / g.count
        elif op == "stddev":
            value = math.sqrt(g.value / g.count) if g.value / g.count >= 0 else math.nan
        elif op == "quantile":
            assert isinstance(param, float)
            value = quantile(param, [s.v for s in g.heap])
        out.append(Sample(g.labels, value))
    return out

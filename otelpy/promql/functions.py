"""PromQL function calls: argument plumbing and the instant-vector functions; range-vector
math lives in ``rangefuncs``, histogram_quantile in ``histogram``."""

from __future__ import annotations

import calendar
import math
import re
from collections.abc import Callable
from datetime import UTC, datetime

from otelpy.goregex import compile_go
from otelpy.promql import ast, gomath, rangefuncs
from otelpy.promql.errors import EvalError
from otelpy.promql.histogram import histogram_quantile
from otelpy.promql.values import (
    Labels,
    Matrix,
    Sample,
    Scalar,
    String,
    Value,
    Vector,
    drop_name,
    format_f,
    get,
)

_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


def call(node: ast.Call, args: list[Value], t: int) -> Value:
    """Apply ``node``'s function to its evaluated arguments at time ``t``."""
    name = node.name
    if any(isinstance(a, Matrix) for a in args):
        return _range_call(node, args, t)
    if name in gomath.SIMPLE:
        fn = gomath.SIMPLE[name]
        return _map(args[0], fn)
    handler = _HANDLERS.get(name)
    if handler is None:
        raise EvalError(f"function {name!r} is not implemented")
    return handler(node, args, t)


def _scalar(value: Value) -> float:
    assert isinstance(value, Scalar)
    return value.v


def _vector(value: Value) -> Vector:
    assert isinstance(value, Vector)
    return value


def _map(value: Value, fn: object) -> Vector:
    f = fn  # a float -> float callable
    return Vector(Sample(drop_name(s.metric), f(s.v)) for s in _vector(value))  # type: ignore


def _range_call(node: ast.Call, args: list[Value], t: int) -> Value:
    name = node.name
    idx = next(i for i, a in enumerate(args) if isinstance(a, Matrix))
    matrix = args[idx]
    assert isinstance(matrix, Matrix)
    if name == "absent_over_time":
        if matrix:
            return Vector()
        return Vector([Sample(absent_labels(node.args[0]), 1.0)])
    others = [a.v if isinstance(a, Scalar) else 0.0 for a in args]
    out = Vector()
    seen: set[Labels] = set()
    for s in matrix:
        v = _range_value(node, s.ts, s.vs, others, t)
        if v is None:
            continue
        metric = s.metric if name == "last_over_time" else drop_name(s.metric)
        if metric in seen:
            raise EvalError("vector cannot contain metrics with the same labelset")
        seen.add(metric)
        out.append(Sample(metric, v))
    return out


def _range_bounds(node: ast.Call, t: int) -> tuple[int, int, int]:
    arg = ast.unwrap(node.args[0])
    if isinstance(arg, ast.MatrixSelector):
        rng, offset, at = arg.range_ms, arg.vs.offset_ms, arg.vs.at
    else:
        assert isinstance(arg, ast.SubqueryExpr)
        rng, offset, at = arg.range_ms, arg.offset_ms, arg.at
    end = (int(at) if isinstance(at, int | float) else t) - offset
    return end - rng, end, rng


def _range_value(node: ast.Call, ts: list[int], vs: list[float], others: list[float],
                 t: int) -> float | None:
    name = node.name
    if name in ("rate", "increase", "delta"):
        start, end, rng = _range_bounds(node, t)
        return rangefuncs.extrapolated(ts, vs, start, end, rng, name != "delta", name == "rate")
    if name in ("irate", "idelta"):
        return rangefuncs.instant_value(ts, vs, name == "irate")
    if name in rangefuncs.OVER_TIME:
        return rangefuncs.OVER_TIME[name](vs)
    if name == "last_over_time":
        return vs[-1]
    if name == "quantile_over_time":
        return rangefuncs.quantile(others[0], vs)
    if name == "deriv":
        return None if len(vs) < 2 else rangefuncs.linear_regression(ts, vs, ts[0])[0]
    if name == "predict_linear":
        if len(vs) < 2:
            return None
        slope, intercept = rangefuncs.linear_regression(ts, vs, t)
        return slope * others[1] + intercept
    if name == "holt_winters":
        sf, tf = others[1], others[2]
        if not 0 < sf < 1:
            raise EvalError(f"invalid smoothing factor. Expected: 0 < sf < 1, got: {sf:f}")
        if not 0 < tf < 1:
            raise EvalError(f"invalid trend factor. Expected: 0 < tf < 1, got: {tf:f}")
        return rangefuncs.holt_winters(vs, sf, tf)
    raise EvalError(f"function {name!r} is not implemented")


def absent_labels(expr: ast.Node) -> Labels:
    """``createLabelsForAbsentFunction``: the equality matchers' labels, minus any name
    matched more than once."""
    if isinstance(expr, ast.MatrixSelector):
        expr = expr.vs
    if not isinstance(expr, ast.VectorSelector):
        return ()
    out: dict[str, str] = {}
    has: set[str] = set()
    for m in expr.matchers:
        if m.name == "__name__":
            continue
        if m.op == "=" and m.name not in has:
            out[m.name] = m.value
            has.add(m.name)
        else:
            out.pop(m.name, None)
    return tuple(sorted((k, v) for k, v in out.items() if v))


def _absent(node: ast.Call, args: list[Value], t: int) -> Value:
    if _vector(args[0]):
        return Vector()
    return Vector([Sample(absent_labels(node.args[0]), 1.0)])


def _clamp(node: ast.Call, args: list[Value], t: int) -> Value:
    name = node.name
    lo = _scalar(args[1]) if name in ("clamp", "clamp_min") else -math.inf
    hi = _scalar(args[2] if name == "clamp" else args[1]) if name != "clamp_min" else math.inf
    if name == "clamp" and hi < lo:
        return Vector()
    out = Vector()
    for s in _vector(args[0]):
        v = s.v
        if name != "clamp_min":
            v = _go_min(hi, v)
        if name != "clamp_max":
            v = _go_max(lo, v)
        out.append(Sample(drop_name(s.metric), v))
    return out


def _go_max(a: float, b: float) -> float:
    if math.isnan(a) or math.isnan(b):
        return math.nan
    return max(a, b)


def _go_min(a: float, b: float) -> float:
    if math.isnan(a) or math.isnan(b):
        return math.nan
    return min(a, b)


def _round(node: ast.Call, args: list[Value], t: int) -> Value:
    to_nearest = _scalar(args[1]) if len(args) > 1 else 1.0
    inverse = gomath.div(1.0, to_nearest)
    return _map(args[0], lambda v: gomath.div(gomath.floor(v * inverse + 0.5), inverse))


def _scalar_fn(node: ast.Call, args: list[Value], t: int) -> Value:
    vec = _vector(args[0])
    return Scalar(vec[0].v if len(vec) == 1 else math.nan)


def _sort(node: ast.Call, args: list[Value], t: int) -> Value:
    desc = node.name == "sort_desc"
    vec = list(_vector(args[0]))
    vec.sort(key=lambda s: (0, 0.0) if math.isnan(s.v) else (1, -s.v if desc else s.v))
    if desc:
        vec.sort(key=lambda s: 1 if math.isnan(s.v) else 0)
    return Vector(vec)


def _label_replace(node: ast.Call, args: list[Value], t: int) -> Value:
    dst, repl, src, regex_str = (_str(node.args[i]) for i in range(1, 5))
    try:
        regex = compile_go(f"^(?:{regex_str})$")
    except re.error:
        raise EvalError(f"invalid regular expression in label_replace(): {regex_str}") from None
    if not _LABEL_NAME.fullmatch(dst):
        raise EvalError(f"invalid destination label name in label_replace(): {dst}")
    out = Vector()
    for s in _vector(args[0]):
        m = regex.match(get(s.metric, src))
        metric = s.metric
        if m is not None:
            res = _expand(repl, m)
            labels = {k: v for k, v in s.metric if k != dst}
            if res:
                labels[dst] = res
            metric = tuple(sorted(labels.items()))
        out.append(Sample(metric, s.v))
    _check_unique(out)
    return out


def _expand(template: str, m: re.Match[str]) -> str:
    """Go's ``Regexp.ExpandString``: ``$1``, ``${1}``, ``$name``, ``${name}``, ``$$``."""
    def repl(x: re.Match[str]) -> str:
        if x.group(0) == "$$":
            return "$"
        key = x.group(1) or x.group(2)
        try:
            val = m.group(int(key)) if key.isdigit() else m.group(key)
        except (IndexError, error_types()):
            return ""
        return val or ""
    return re.sub(r"\$\$|\$\{([a-zA-Z0-9_]+)\}|\$([a-zA-Z0-9_]+)", repl, template)


def error_types() -> type[Exception]:
    return IndexError


def _label_join(node: ast.Call, args: list[Value], t: int) -> Value:
    dst, sep = _str(node.args[1]), _str(node.args[2])
    srcs = [_str(a) for a in node.args[3:]]
    for src in srcs:
        if not _LABEL_NAME.fullmatch(src):
            raise EvalError(f"invalid source label name in label_join(): {src}")
    if not _LABEL_NAME.fullmatch(dst):
        raise EvalError(f"invalid destination label name in label_join(): {dst}")
    out = Vector()
    for s in _vector(args[0]):
        joined = sep.join(get(s.metric, src) for src in srcs)
        labels = {k: v for k, v in s.metric if k != dst}
        if joined:
            labels[dst] = joined
        out.append(Sample(tuple(sorted(labels.items())), s.v))
    _check_unique(out)
    return out


def _check_unique(vec: Vector) -> None:
    if len({s.metric for s in vec}) != len(vec):
        raise EvalError("vector cannot contain metrics with the same labelset")


def _str(node: ast.Node) -> str:
    inner = ast.unwrap(node)
    assert isinstance(inner, ast.StringLiteral)
    return inner.val


def _date(node: ast.Call, args: list[Value], t: int) -> Value:
    fn = _DATE[node.name]
    if not args:
        return Vector([Sample((), fn(datetime.fromtimestamp(t // 1000, UTC)))])
    out = Vector()
    for s in _vector(args[0]):
        if math.isnan(s.v) or math.isinf(s.v):
            raise EvalError("timestamp out of range")
        when = datetime.fromtimestamp(int(s.v), UTC)
        out.append(Sample(drop_name(s.metric), fn(when)))
    return out


_DATE: dict[str, Callable[[datetime], float]] = {
    "day_of_month": lambda d: float(d.day),
    "day_of_week": lambda d: float((d.weekday() + 1) % 7),
    "day_of_year": lambda d: float(d.timetuple().tm_yday),
    "days_in_month": lambda d: float(calendar.monthrange(d.year, d.month)[1]),
    "hour": lambda d: float(d.hour),
    "minute": lambda d: float(d.minute),
    "month": lambda d: float(d.month),
    "year": lambda d: float(d.year),
}

_HANDLERS = {
    "absent": _absent,
    "clamp": _clamp, "clamp_min": _clamp, "clamp_max": _clamp,
    "round": _round,
    "scalar": _scalar_fn,
    "vector": lambda node, args, t: Vector([Sample((), _scalar(args[0]))]),
    "time": lambda node, args, t: Scalar(t / 1000),
    "pi": lambda node, args, t: Scalar(math.pi),
    "sort": _sort, "sort_desc": _sort,
    "label_replace": _label_replace,
    "label_join": _label_join,
    "histogram_quantile": lambda node, args, t: histogram_quantile(_scalar(args[0]),
                                                                   _vector(args[1])),
    **{name: _date for name in _DATE},
}

__all__ = ["String", "absent_labels", "call", "format_f"]

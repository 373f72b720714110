"""Functions over range vectors (one series' points in the range), in Prometheus 2.42's order
of float operations: rate/increase/delta extrapolation, irate/idelta, deriv, predict_linear,
resets, changes, holt_winters and the *_over_time family."""

from __future__ import annotations

import math
from collections.abc import Callable

Points = tuple[list[int], list[float]]


def kahan_inc(inc: float, total: float, c: float) -> tuple[float, float]:
    t = total + inc
    if abs(total) >= abs(inc):
        c += (total - t) + inc
    else:
        c += (inc - t) + total
    return t, c


def extrapolated(ts: list[int], vs: list[float], range_start: int, range_end: int,
                 range_ms: int, is_counter: bool, is_rate: bool) -> float | None:
    """``extrapolatedRate`` of promql/functions.go."""
    if len(vs) < 2:
        return None
    result = vs[-1] - vs[0]
    if is_counter:
        prev = vs[0]
        for cur in vs[1:]:
            if cur < prev:
                result += prev
            prev = cur
    duration_to_start = (ts[0] - range_start) / 1000
    duration_to_end = (range_end - ts[-1]) / 1000
    sampled = (ts[-1] - ts[0]) / 1000
    avg_between = sampled / (len(vs) - 1)
    if is_counter and result > 0 and vs[0] >= 0:
        duration_to_zero = sampled * (vs[0] / result)
        if duration_to_zero < duration_to_start:
            duration_to_start = duration_to_zero
    threshold = avg_between * 1.1
    extrapolate_to = sampled
    extrapolate_to += duration_to_start if duration_to_start < threshold else avg_between / 2
    extrapolate_to += duration_to_end if duration_to_end < threshold else avg_between / 2
    factor = extrapolate_to / sampled
    if is_rate:
        factor /= range_ms / 1000
    return result * factor


def instant_value(ts: list[int], vs: list[float], is_rate: bool) -> float | None:
    if len(vs) < 2:
        return None
    last, prev = vs[-1], vs[-2]
    result = last if is_rate and last < prev else last - prev
    interval = ts[-1] - ts[-2]
    if interval == 0:
        return None
    if is_rate:
        result /= interval / 1000
    return result


def linear_regression(ts: list[int], vs: list[float], intercept_t: int) -> tuple[float, float]:
    n = sum_x = c_x = sum_y = c_y = sum_xy = c_xy = sum_x2 = c_x2 = 0.0
    init_y = vs[0]
    const_y = True
    for i, (t, v) in enumerate(zip(ts, vs, strict=True)):
        if const_y and i > 0 and v != init_y:
            const_y = False
        n += 1.0
        x = (t - intercept_t) / 1e3
        sum_x, c_x = kahan_inc(x, sum_x, c_x)
        sum_y, c_y = kahan_inc(v, sum_y, c_y)
        sum_xy, c_xy = kahan_inc(x * v, sum_xy, c_xy)
        sum_x2, c_x2 = kahan_inc(x * x, sum_x2, c_x2)
    if const_y:
        if math.isinf(init_y):
            return math.nan, math.nan
        return 0.0, init_y
    sum_x += c_x
    sum_y += c_y
    sum_xy += c_xy
    sum_x2 += c_x2
    cov_xy = sum_xy - sum_x * sum_y / n
    var_x = sum_x2 - sum_x * sum_x / n
    slope = _div(cov_xy, var_x)
    return slope, sum_y / n - slope * sum_x / n


def _div(a: float, b: float) -> float:
    """IEEE division as Go does it (x/0 is ±Inf or NaN, not an exception)."""
    if b == 0:
        if a == 0 or a != a:
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1, b)
    return a / b


def avg_over_time(vs: list[float]) -> float:
    mean = count = c = 0.0
    for v in vs:
        count += 1
        if math.isinf(mean):
            if math.isinf(v) and (mean > 0) == (v > 0):
                continue
            if not math.isinf(v) and not math.isnan(v):
                continue
        mean, c = kahan_inc(v / count - mean / count, mean, c)
    return mean if math.isinf(mean) else mean + c


def sum_over_time(vs: list[float]) -> float:
    total = c = 0.0
    for v in vs:
        total, c = kahan_inc(v, total, c)
    return total if math.isinf(total) else total + c


def _variance(vs: list[float]) -> float:
    count = mean = c_mean = aux = c_aux = 0.0
    for v in vs:
        count += 1
        delta = v - (mean + c_mean)
        mean, c_mean = kahan_inc(delta / count, mean, c_mean)
        aux, c_aux = kahan_inc(delta * (v - (mean + c_mean)), aux, c_aux)
    return (aux + c_aux) / count


def max_over_time(vs: list[float]) -> float:
    best = vs[0]
    for v in vs:
        if v > best or math.isnan(best):
            best = v
    return best


def min_over_time(vs: list[float]) -> float:
    best = vs[0]
    for v in vs:
        if v < best or math.isnan(best):
            best = v
    return best


def quantile(q: float, values: list[float]) -> float:
    """``quantile`` of promql/quantile.go (NaN sorts first)."""
    if not values or math.isnan(q):
        return math.nan
    if q < 0:
        return -math.inf
    if q > 1:
        return math.inf
    ordered = sorted(values, key=lambda v: (0, 0.0) if math.isnan(v) else (1, v))
    n = float(len(ordered))
    rank = q * (n - 1)
    lower = max(0.0, math.floor(rank))
    upper = min(n - 1, lower + 1)
    weight = rank - math.floor(rank)
    return ordered[int(lower)] * (1 - weight) + ordered[int(upper)] * weight


def resets(vs: list[float]) -> float:
    count, prev = 0, vs[0]
    for cur in vs[1:]:
        if cur < prev:
            count += 1
        prev = cur
    return float(count)


def changes(vs: list[float]) -> float:
    count, prev = 0, vs[0]
    for cur in vs[1:]:
        if cur != prev and not (math.isnan(cur) and math.isnan(prev)):
            count += 1
        prev = cur
    return float(count)


def holt_winters(vs: list[float], sf: float, tf: float) -> float | None:
    if len(vs) < 2:
        return None
    s0, s1, b = 0.0, vs[0], vs[1] - vs[0]
    for i in range(1, len(vs)):
        x = sf * vs[i]
        b = b if i - 1 == 0 else tf * (s1 - s0) + (1 - tf) * b
        y = (1 - sf) * (s1 + b)
        s0, s1 = s1, x + y
    return s1


#: *_over_time functions of the values alone
OVER_TIME: dict[str, Callable[[list[float]], float]] = {
    "avg_over_time": avg_over_time,
    "sum_over_time": sum_over_time,
    "min_over_time": min_over_time,
    "max_over_time": max_over_time,
    "count_over_time": lambda vs: float(len(vs)),
    "stddev_over_time": lambda vs: math.sqrt(_variance(vs)),
    "stdvar_over_time": _variance,
    "present_over_time": lambda vs: 1.0,
    "resets": resets,
    "changes": changes,
}

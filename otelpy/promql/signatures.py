"""Function signatures (argument and return types) as Prometheus 2.42 declares them."""

from __future__ import annotations

from dataclasses import dataclass

from otelpy.promql.ast import MATRIX, SCALAR, STRING, VECTOR


@dataclass(frozen=True)
class Signature:
    args: tuple[str, ...]
    ret: str = VECTOR
    variadic: int = 0  # 0: fixed; -1: any number of the last type; n: up to n optional


def _v() -> Signature:
    return Signature((VECTOR,))


def _m() -> Signature:
    return Signature((MATRIX,))


SIGNATURES: dict[str, Signature] = {
    **{f: _v() for f in ("abs", "ceil", "floor", "exp", "ln", "log2", "log10", "sqrt", "sgn",
                         "acos", "acosh", "asin", "asinh", "atan", "atanh", "cos", "cosh",
                         "sin", "sinh", "tan", "tanh", "deg", "rad", "sort", "sort_desc",
                         "absent", "timestamp")},
    **{f: _m() for f in ("rate", "irate", "increase", "delta", "idelta", "deriv", "resets",
                         "changes", "avg_over_time", "min_over_time", "max_over_time",
                         "sum_over_time", "count_over_time", "stddev_over_time",
                         "stdvar_over_time", "last_over_time", "present_over_time",
                         "absent_over_time")},
    "quantile_over_time": Signature((SCALAR, MATRIX)),
    "predict_linear": Signature((MATRIX, SCALAR)),
    "holt_winters": Signature((MATRIX, SCALAR, SCALAR)),
    "histogram_quantile": Signature((SCALAR, VECTOR)),
    "clamp": Signature((VECTOR, SCALAR, SCALAR)),
    "clamp_min": Signature((VECTOR, SCALAR)),
    "clamp_max": Signature((VECTOR, SCALAR)),
    "round": Signature((VECTOR, SCALAR), variadic=1),
    "scalar": Signature((VECTOR,), SCALAR),
    "vector": Signature((SCALAR,)),
    "time": Signature((), SCALAR),
    "pi": Signature((), SCALAR),
    "label_replace": Signature((VECTOR, STRING, STRING, STRING, STRING)),
    "label_join": Signature((VECTOR, STRING, STRING, STRING), variadic=-1),
    **{f: Signature((VECTOR,), variadic=1)
       for f in ("day_of_month", "day_of_week", "day_of_year", "days_in_month", "hour",
                 "minute", "month", "year")},
}

#: functions Prometheus 2.42 knows that this engine refuses by name (native histograms)
REFUSED = frozenset({"histogram_count", "histogram_sum", "histogram_fraction"})

"""Values and functions of the Go template subset: Go's printing of values and Prometheus's
template functions (humanize and friends), with Go's ``%.4g`` formatting."""

from __future__ import annotations

import math
import re
from typing import Any

from otelpy.goregex import compile_go
from otelpy.promql.values import format_g


class _Missing:
    def __repr__(self) -> str:
        return "<no value>"


MISSING: Any = _Missing()


def print_value(v: Any) -> str:
    if v is MISSING or v is None:
        return "<no value>"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return format_g(v)
    if isinstance(v, dict):
        return "map[" + " ".join(f"{k}:{print_value(x)}" for k, x in sorted(v.items())) + "]"
    return str(v)


def truth(v: Any) -> bool:
    if v is MISSING or v is None:
        return False
    return bool(v)


def fields(value: Any, names: list[str]) -> Any:
    for name in names:
        if isinstance(value, dict):
            value = value.get(name, MISSING)
        else:
            raise ValueError(f"can't evaluate field {name}")
    return value


def unquote(text: str) -> str:
    body = text[1:-1]
    return re.sub(r'\\(["\\nt])', lambda m: {"n": "\n", "t": "\t"}.get(m.group(1),
                                                                       m.group(1)), body)


def parse_number(text: str) -> Any:
    try:
        return int(text, 0)
    except ValueError:
        return float(text)


def _float(v: Any) -> float:
    if isinstance(v, bool):
        raise ValueError(f"can't convert {v} to float")
    if isinstance(v, int | float):
        return float(v)
    if isinstance(v, str):
        return float(v)
    raise ValueError(f"can't convert {v!r} to float")


def go_g4(v: float) -> str:
    """Go's ``%.4g``."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return f"{v:.4g}"


def humanize(i: Any) -> str:
    v = _float(i)
    if v == 0 or math.isnan(v) or math.isinf(v):
        return go_g4(v)
    prefix = ""
    if abs(v) >= 1:
        for p in ("k", "M", "G", "T", "P", "E", "Z", "Y"):
            if abs(v) < 1000:
                break
            prefix = p
            v /= 1000
        return go_g4(v) + prefix
    for p in ("m", "u", "n", "p", "f", "a", "z", "y"):
        if abs(v) >= 1:
            break
        prefix = p
        v *= 1000
    return go_g4(v) + prefix


def humanize1024(i: Any) -> str:
    v = _float(i)
    if abs(v) <= 1 or math.isnan(v) or math.isinf(v):
        return go_g4(v)
    prefix = ""
    for p in ("ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"):
        if abs(v) < 1024:
            break
        prefix = p
        v /= 1024
    return go_g4(v) + prefix


def humanize_duration(i: Any) -> str:
    v = _float(i)
    if math.isnan(v) or math.isinf(v):
        return go_g4(v)
    if v == 0:
        return go_g4(v) + "s"
    if abs(v) >= 1:
        sign = "-" if v < 0 else ""
        v = abs(v)
        d = int(v)
        seconds, minutes, hours, days = d % 60, (d // 60) % 60, (d // 3600) % 24, d // 86400
        if days:
            return f"{sign}{days}d {hours}h {minutes}m {seconds}s"
        if hours:
            return f"{sign}{hours}h {minutes}m {seconds}s"
        if minutes:
            return f"{sign}{minutes}m {seconds}s"
        return f"{sign}{go_g4(v)}s"
    prefix = ""
    for p in ("m", "u", "n", "p", "f", "a", "z", "y"):
        if abs(v) >= 1:
            break
        prefix = p
        v *= 1000
    return f"{go_g4(v)}{prefix}s"


_VERB = re.compile(r"%([-+# 0]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])")


def printf(fmt: str, *args: Any) -> str:
    """Go's ``fmt.Sprintf`` for %s %v %d %f %e %g %q %x %%."""
    it = iter(args)

    def one(m: re.Match[str]) -> str:
        flags, width, prec, verb = m.groups()
        if verb == "%":
            return "%"
        try:
            arg = next(it)
        except StopIteration:
            return f"%!{verb}(MISSING)"
        spec = f"%{flags}{width or ''}{'.' + prec if prec is not None else ''}"
        if verb in "sv":
            text = print_value(arg) if not isinstance(arg, str) else arg
            return (spec + "s") % text if verb == "s" or not isinstance(arg, float) else \
                (spec + "s") % text
        if verb == "q":
            return '"' + str(arg).replace("\\", "\\\\").replace('"', '\\"') + '"'
        if verb in "dxX":
            if isinstance(arg, float):
                return f"%!{verb}(float64={print_value(arg)})"
            return (spec + verb) % int(arg)
        if verb in "feEgG":
            if not isinstance(arg, int | float) or isinstance(arg, bool):
                return f"%!{verb}(string={arg})"
            v = float(arg)
            if math.isnan(v):
                return "NaN"
            if math.isinf(v):
                return "+Inf" if v > 0 else "-Inf"
            if verb in "gG" and prec is None:
                return format_g(v)
            return (spec + verb) % v
        return m.group(0)

    return _VERB.sub(one, fmt)


def title(s: str) -> str:
    """Go's deprecated ``strings.Title``: upper-case the first letter of each word."""
    return re.sub(r"(^|[^\w'])(\w)", lambda m: m.group(1) + m.group(2).upper(), s)


def re_replace_all(pattern: str, repl: str, text: str) -> str:
    regex = compile_go(pattern)
    go_repl = re.sub(r"\$\{?(\w+)\}?", lambda m: f"\\g<{m.group(1)}>", repl.replace("\\", "\\\\"))
    return regex.sub(go_repl, text)


def strip_port(host_port: str) -> str:
    if host_port.startswith("["):
        end = host_port.find("]")
        return host_port[1:end] if end > 0 else host_port
    return host_port.rsplit(":", 1)[0] if host_port.count(":") == 1 else host_port


def _cmp(op: str) -> Any:
    import operator
    fn = getattr(operator, op)
    return lambda a, b: fn(a, b)


# Query results (``query``'s answer) are lists of samples {"Labels": {...}, "Value": float}.

def first(result: Any) -> Any:
    if not isinstance(result, list):
        raise ValueError("first() called on something that is not a query result")
    if not result:
        raise ValueError("first() called on vector with no elements")
    return result[0]


def _sample(s: Any) -> dict[str, Any]:
    if not isinstance(s, dict) or "Labels" not in s:
        raise ValueError(f"not a sample: {print_value(s)}")
    return s


def sort_by_label(label: str, result: Any) -> list[Any]:
    if not isinstance(result, list):
        raise ValueError("sortByLabel() called on something that is not a query result")
    return sorted(result, key=lambda s: _sample(s)["Labels"].get(label, ""))


FUNCS: dict[str, Any] = {
    "humanize": humanize,
    "humanize1024": humanize1024,
    "humanizeDuration": humanize_duration,
    "humanizePercentage": lambda i: go_g4(_float(i) * 100) + "%",
    "printf": printf,
    "print": lambda *a: "".join(print_value(x) for x in a),
    "title": title,
    "toUpper": lambda s: s.upper(),
    "toLower": lambda s: s.lower(),
    "reReplaceAll": re_replace_all,
    "match": lambda pattern, text: compile_go(pattern).search(text) is not None,
    "stripPort": strip_port,
    "eq": _cmp("eq"), "ne": _cmp("ne"), "lt": _cmp("lt"), "le": _cmp("le"),
    "gt": _cmp("gt"), "ge": _cmp("ge"),
    "and": lambda *a: next((x for x in a if not truth(x)), a[-1]),
    "or": lambda *a: next((x for x in a if truth(x)), a[-1]),
    "not": lambda x: not truth(x),
    "len": len,
    "index": lambda m, k: m.get(k, "") if isinstance(m, dict) else m[k],
    "first": first,
    "label": lambda name, s: _sample(s)["Labels"].get(name, ""),
    "value": lambda s: _sample(s)["Value"],
    "strvalue": lambda s: _sample(s)["Labels"].get("__value__", ""),
    "sortByLabel": sort_by_label,
}

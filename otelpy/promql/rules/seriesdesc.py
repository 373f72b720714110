"""promtool's input series: ``metric{l="v"}`` descriptions and the expanding value notation
(``1+2x10``, ``5-1x3``, ``7x4``, ``_``, ``_x3``, ``stale``)."""

from __future__ import annotations

import re

from otelpy.promql.errors import ParseError
from otelpy.promql.lexer import tokenize
from otelpy.promql.values import STALE_NAN, Labels

_NUM = (r"(?:Inf|NaN|inf|nan|"
        r"\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)")
_ITEM = re.compile(rf"(?P<first>[-+]?{_NUM}|stale|_)(?P<step>[-+]{_NUM})?(?:x(?P<n>\d+))?")


def parse_metric(text: str) -> Labels:
    """``name{a="b"}`` or ``{__name__="name", a="b"}``; raises ParseError."""
    toks = tokenize(text)
    labels: dict[str, str] = {}
    i = 0
    if toks[i].kind == "IDENT":
        labels["__name__"] = toks[i].text
        i += 1
    if toks[i].kind == "{":
        i += 1
        while toks[i].kind != "}":
            name, eq, val = toks[i], toks[i + 1], toks[i + 2]
            if name.kind != "IDENT" or eq.kind != "=" or val.kind != "STR":
                raise ParseError(name.pos, f"unexpected {name.text!r} in label set")
            labels[name.text] = str(val.value)
            i += 3
            if toks[i].kind == ",":
                i += 1
        i += 1
    if toks[i].kind != "EOF":
        raise ParseError(toks[i].pos, f"unexpected {toks[i].text!r}")
    return tuple(sorted((k, v) for k, v in labels.items() if v))


def _num(text: str) -> float:
    if text.lstrip("+-").lower().startswith("0x"):
        return float(int(text, 16))
    return float(text)


def parse_values(text: str) -> list[float | None]:
    """The expanded values; None stands for an omitted sample (``_``)."""
    out: list[float | None] = []
    for item in text.split():
        m = _ITEM.fullmatch(item)
        if m is None:
            raise ParseError(text.find(item), f"unexpected {item!r} in series values")
        first, step, n = m.group("first"), m.group("step"), m.group("n")
        if first == "_":
            if step:
                raise ParseError(text.find(item), f"unexpected {item!r} in series values")
            out.extend([None] * (int(n) if n else 1))
            continue
        value = STALE_NAN if first == "stale" else _num(first)
        if n is None:
            if step:
                raise ParseError(text.find(item), f"unexpected {item!r} in series values")
            out.append(value)
        elif step is None:
            out.extend([value] * (int(n) + 1))
        else:
            inc = _num(step)
            out.append(value)
            for _ in range(int(n)):
                value += inc
                out.append(value)
    return out

"""Durations in Go syntax and times parsed with the Collector's strptime-style directives
(``Time(value, "%Y-%m-%d %H:%M:%S")``)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo

from otelpy.ottl.errors import EvalError
from otelpy.ottl.values import Time

_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000,
          "s": 1_000_000_000, "m": 60_000_000_000, "h": 3_600_000_000_000}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def parse_go_duration(text: str) -> int:
    """Go's time.ParseDuration ("1h30m", "-1.5s", "0") in nanoseconds; EvalError if bad."""
    body, sign = text, 1
    if body[:1] in "+-" and body:
        sign, body = (-1 if body[0] == "-" else 1), body[1:]
    if body == "0":
        return 0
    pos, total = 0, 0
    while pos < len(body):
        m = _PART.match(body, pos)
        if m is None:
            raise EvalError(f"time: invalid duration {text!r}")
        number, unit = m.groups()
        whole, _, frac = number.partition(".")
        total += int(whole or "0") * _UNITS[unit]
        if frac:
            total += int(frac) * _UNITS[unit] // 10 ** len(frac)
        pos = m.end()
    if not body:
        raise EvalError(f"time: invalid duration {text!r}")
    return sign * total


# the Collector's ctime directives that Python's strptime spells differently
_DIRECTIVES = {"%L": "%f", "%s": "%f", "%E": "%Z", "%i": "%z", "%J": "%z", "%N": "%f",
               "%k": "%H", "%l": "%I", "%o": "%z", "%Z": "%Z"}


def parse_time(text: str, layout: str, zone: tzinfo | None) -> Time:
    """``text`` read with ``layout``; times without an offset are in ``zone`` (UTC when
    None)."""
    fmt = re.sub(r"%[A-Za-z]", lambda m: _DIRECTIVES.get(m.group(), m.group()), layout)
    try:
        moment = datetime.strptime(text, fmt)
    except ValueError as exc:
        raise EvalError(f"Time: {exc}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone or UTC)
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return Time((delta.days * 86_400 + delta.seconds) * 1_000_000_000
                + delta.microseconds * 1_000)

"""Converters: functions that return a value (the Collector's ``ottlfuncs``, upper-case
names). Each factory checks its literal arguments once and returns the per-item closure."""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

from otelpy.ottl.errors import EvalError, ParseError
from otelpy.ottl.functions import (
    Function,
    Kind,
    Run,
    compile_regex,
    expect_int,
    expect_str,
    fn,
    p,
    string_like,
)
from otelpy.ottl.temporal import parse_go_duration, parse_time
from otelpy.ottl.values import Duration, Time


def to_string(value: Any) -> Any:
    """``String(value)``: the string form of any value; nil stays nil."""
    return string_like(value)


@fn(p("vals", Kind.GETTERS), p("delimiter", Kind.STRING))
def _concat(args: list[Any], column: int) -> Run:
    getters, delimiter = args

    def run(item: Any, cache: dict[str, Any]) -> Any:
        parts = []
        for getter in getters:
            text = string_like(getter(item, cache))
            parts.append("<nil>" if text is None else text)
        return delimiter.join(parts)
    return run


def _words(text: str) -> list[str]:
    return re.findall(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", re.sub(r"[^A-Za-z0-9]+", " ", text))


_CASES: dict[str, Callable[[str], str]] = {
    "lower": str.lower,
    "upper": str.upper,
    "snake": lambda t: "_".join(w.lower() for w in _words(t)),
    "camel": lambda t: "".join(w[:1].upper() + w[1:].lower() for w in _words(t)),
}


@fn(p("target", Kind.GETTER), p("toCase", Kind.STRING))
def _convert_case(args: list[Any], column: int) -> Run:
    target, case = args
    if case not in _CASES:
        raise ParseError(f"invalid case: {case}, allowed cases are: lower, upper, snake, camel",
                         column)
    convert = _CASES[case]

    def run(item: Any, cache: dict[str, Any]) -> Any:
        value = target(item, cache)
        return None if value is None else convert(expect_str(value, "ConvertCase"))
    return run


_VERB = re.compile(r"%([-+# 0]*\d*(?:\.\d+)?)([vsdfqxXtgeT%])")


def go_format(template: str, values: list[Any]) -> str:
    """A subset of Go's fmt.Sprintf: %v %s %d %f %g %e %q %x %X %t %T %% with flags."""
    queue = list(values)

    def one(m: re.Match[str]) -> str:
        flags, verb = m.group(1), m.group(2)
        if verb == "%":
            return "%"
        if not queue:
            return f"%!{verb}(MISSING)"
        value = queue.pop(0)
        if verb in "vst":
            text = "<nil>" if value is None else string_like(value) or ""
            return f"{text:{flags}}" if flags else text
        if verb == "q":
            return json.dumps(string_like(value))
        if verb == "T":
            return type(value).__name__
        try:
            return f"{value:{flags}{'x' if verb == 'x' else verb}}"
        except (ValueError, TypeError):
            return f"%!{verb}({string_like(value)})"
    return _VERB.sub(one, template)


@fn(p("format", Kind.STRING), p("vals", Kind.GETTERS))
def _format(args: list[Any], column: int) -> Run:
    template, getters = args
    return lambda item, cache: go_format(template, [g(item, cache) for g in getters])


def _to_int(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value == value and abs(value) < 2**63 else None
    if isinstance(value, str):
        try:
            return int(value.strip(), 10) if re.fullmatch(r"[+-]?\d+", value.strip()) else None
        except ValueError:
            return None
    return None


def _to_double(value: Any) -> Any:
    if isinstance(value, (bool, int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _unary(convert: Any) -> Function:
    @fn(p("value", Kind.GETTER))
    def make(args: list[Any], column: int) -> Run:
        getter = args[0]
        return lambda item, cache: convert(getter(item, cache))
    return make


@fn(p("target", Kind.GETTER), p("pattern", Kind.STRING))
def _is_match(args: list[Any], column: int) -> Run:
    target, pattern = args
    search = compile_regex(pattern, column).search

    def run(item: Any, cache: dict[str, Any]) -> Any:
        text = string_like(target(item, cache))
        return text is not None and search(text) is not None
    return run


def _len(value: Any) -> int:
    if isinstance(value, str):
        return len(value.encode())
    if isinstance(value, (Mapping, list, bytes)):
        return len(value)
    raise EvalError(f"Len: unsupported type {type(value).__name__}")


def _parse_json(value: Any) -> Any:
    try:
        parsed = json.loads(expect_str(value, "ParseJSON"), parse_int=float)
    except json.JSONDecodeError as exc:
        raise EvalError(f"ParseJSON: {exc}") from None
    if not isinstance(parsed, (dict, list)):
        raise EvalError("ParseJSON: could only parse a JSON object or array")
    return parsed


def _split_outside_quotes(text: str, sep: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quote, i = "", 0
    while i < len(text):
        ch = text[i]
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif text.startswith(sep, i):
            parts.append("".join(current))
            current, i = [], i + len(sep)
            continue
        current.append(ch)
        i += 1
    if quote:
        raise EvalError(f"ParseKeyValue: unclosed quotation mark in {text!r}")
    parts.append("".join(current))
    return parts


@fn(p("target", Kind.GETTER), p("delimiter", Kind.STRING, True),
    p("pair_delimiter", Kind.STRING, True))
def _parse_key_value(args: list[Any], column: int) -> Run:
    target, delimiter, pair_delimiter = args[0], args[1] or "=", args[2] or " "
    if delimiter == pair_delimiter:
        raise ParseError(f"pair delimiter {pair_delimiter!r} cannot be equal to delimiter",
                         column)

    def run(item: Any, cache: dict[str, Any]) -> Any:
        text = expect_str(target(item, cache), "ParseKeyValue").strip()
        if not text:
            raise EvalError("ParseKeyValue: cannot parse from empty target")
        out: dict[str, Any] = {}
        for pair in _split_outside_quotes(text, pair_delimiter):
            if not pair.strip():
                continue
            kv = _split_outside_quotes(pair.strip(), delimiter)
            if len(kv) < 2:
                raise EvalError(f"ParseKeyValue: cannot split {pair!r} into 2 items")
            key = kv[0].strip().strip("\"'")
            value = delimiter.join(kv[1:]).strip().strip("\"'")
            previous = out.get(key)
            if previous is None:
                out[key] = value
            else:
                out[key] = (previous if isinstance(previous, list) else [previous]) + [value]
        return out
    return run


def _sha256(value: Any) -> Any:
    return hashlib.sha256(expect_str(value, "SHA256").encode()).hexdigest()


@fn(p("target", Kind.GETTER), p("delimiter", Kind.STRING))
def _split(args: list[Any], column: int) -> Run:
    target, delimiter = args

    def run(item: Any, cache: dict[str, Any]) -> Any:
        value = target(item, cache)
        if value is None:
            return None
        text = expect_str(value, "Split")
        return list(text) if delimiter == "" else text.split(delimiter)
    return run


@fn(p("target", Kind.GETTER), p("start", Kind.GETTER), p("length", Kind.GETTER))
def _substring(args: list[Any], column: int) -> Run:
    target, start_of, length_of = args

    def run(item: Any, cache: dict[str, Any]) -> Any:
        text = expect_str(target(item, cache), "Substring")
        start, length = expect_int(start_of(item, cache)), expect_int(length_of(item, cache))
        if start < 0 or length <= 0 or start + length > len(text):
            raise EvalError(f"Substring: invalid range start={start} length={length} for a "
                            f"string of {len(text)}")
        return text[start:start + length]
    return run


@fn(p("time", Kind.GETTER), p("format", Kind.STRING), p("location", Kind.STRING, True),
    p("locale", Kind.STRING, True))
def _time(args: list[Any], column: int) -> Run:
    target, layout, location, locale = args
    if not layout:
        raise ParseError("format cannot be nil", column)
    if locale:
        raise ParseError("Time: the locale argument is not implemented by otelpy", column)
    zone = None
    if location:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            zone = ZoneInfo(location)
        except (ZoneInfoNotFoundError, ValueError):
            raise ParseError(f"unknown time location {location!r}", column) from None
    return lambda item, cache: parse_time(expect_str(target(item, cache), "Time"), layout, zone)


def _unix_nano(value: Any) -> Any:
    if not isinstance(value, Time):
        raise EvalError(f"UnixNano: expected a time but got {type(value).__name__}")
    return value.ns


def _duration(value: Any) -> Any:
    return Duration(parse_go_duration(expect_str(value, "Duration")))


def _identifier(size: int, name: str) -> Function:
    @fn(p("bytes", Kind.BYTES))
    def make(args: list[Any], column: int) -> Run:
        raw = args[0]
        if len(raw) != size:
            raise ParseError(f"{name} must be {size} bytes", column)
        return lambda item, cache: raw
    return make


@fn()
def _now(args: list[Any], column: int) -> Run:
    return lambda item, cache: Time(time.time_ns())


@fn(p("target", Kind.GETTER), p("pattern", Kind.STRING))
def _extract_patterns(args: list[Any], column: int) -> Run:
    target, pattern = args
    regex = compile_regex(pattern, column)
    if not regex.groupindex:
        raise ParseError("at least 1 named capture group must be supplied in the given regex",
                         column)

    def run(item: Any, cache: dict[str, Any]) -> Any:
        m = regex.search(expect_str(target(item, cache), "ExtractPatterns"))
        if m is None:
            return {}
        return {k: v for k, v in m.groupdict().items() if v is not None}
    return run


CONVERTERS: dict[str, Function] = {
    "Concat": _concat,
    "ConvertCase": _convert_case,
    "Format": _format,
    "Int": _unary(_to_int),
    "Double": _unary(_to_double),
    "String": _unary(to_string),
    "IsMatch": _is_match,
    "IsString": _unary(lambda v: isinstance(v, str)),
    "IsMap": _unary(lambda v: isinstance(v, Mapping)),
    "Len": _unary(_len),
    "ParseJSON": _unary(_parse_json),
    "ParseKeyValue": _parse_key_value,
    "SHA256": _unary(_sha256),
    "Split": _split,
    "Substring": _substring,
    "Time": _time,
    "UnixNano": _unary(_unix_nano),
    "Now": _now,
    "Duration": _unary(_duration),
    "TraceID": _identifier(16, "traceID"),
    "SpanID": _identifier(8, "spanID"),
    "ExtractPatterns": _extract_patterns,
}
#: converters that may be passed by name to replace_* (one string in, one string out)
HASHES = {"SHA256": _sha256}

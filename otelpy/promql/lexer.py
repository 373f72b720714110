"""PromQL tokens with their offsets, as Prometheus 2.42's lexer cuts them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from otelpy.promql.errors import ParseError

KEYWORDS = {"and", "or", "unless", "atan2", "by", "without", "on", "ignoring", "group_left",
            "group_right", "offset", "bool"}
AGGREGATORS = {"sum", "avg", "count", "min", "max", "group", "stddev", "stdvar", "topk",
               "bottomk", "count_values", "quantile"}
_DURATION = re.compile(r"(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?"
                       r"(?:(\d+)ms)?")
_UNIT_MS = (365 * 86400_000, 7 * 86400_000, 86400_000, 3600_000, 60_000, 1000, 1)
_NUMBER = re.compile(r"0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_IDENT = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_OPS = ("==", "!=", ">=", "<=", "=~", "!~", "+", "-", "*", "/", "%", "^", ">", "<", "=",
        "(", ")", "{", "}", "[", "]", ",", ":", "@")
_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
            "\\": "\\", "'": "'", '"': '"'}


@dataclass(frozen=True)
class Token:
    kind: str  # NUM, DUR, STR, IDENT, EOF, or the operator / punctuation text
    text: str
    pos: int
    value: object = None


def parse_duration(text: str) -> int:
    """Milliseconds of a Prometheus duration (``1h30m``); raises ValueError."""
    m = _DURATION.fullmatch(text)
    if not text or m is None:
        raise ValueError(f"not a valid duration string: {text!r}")
    return sum(int(g) * u for g, u in zip(m.groups(), _UNIT_MS, strict=True) if g)


def _parse_number(text: str) -> float:
    low = text.lower()
    if low.startswith("0x"):
        return float(int(low, 16))
    if re.fullmatch(r"0[0-7]+", text):  # Go's ParseFloat reads a leading 0 as decimal
        return float(text)
    return float(text)


def _unquote(src: str, start: int) -> tuple[str, int]:
    quote = src[start]
    i = start + 1
    out: list[str] = []
    while True:
        if i >= len(src) or (src[i] == "\n" and quote != "`"):
            raise ParseError(start, "unterminated quoted string" if quote != "`"
                             else "unterminated raw string")
        ch = src[i]
        if ch == quote:
            return "".join(out), i + 1
        if ch == "\\" and quote != "`":
            i = _escape(src, i + 1, quote, out)
            continue
        out.append(ch)
        i += 1


def _escape(src: str, i: int, quote: str, out: list[str]) -> int:
    if i >= len(src):
        raise ParseError(i, "escape sequence not terminated")
    ch = src[i]
    if ch in _ESCAPES and (ch not in "'\"" or ch == quote):
        out.append(_ESCAPES[ch])
        return i + 1
    widths = {"x": 2, "u": 4, "U": 8}
    if ch in widths:
        digits = src[i + 1:i + 1 + widths[ch]]
        if len(digits) != widths[ch] or not re.fullmatch(r"[0-9a-fA-F]+", digits):
            raise ParseError(i, "escape sequence not terminated")
        out.append(chr(int(digits, 16)))
        return i + 1 + widths[ch]
    if ch in "01234567":
        digits = src[i:i + 3]
        out.append(chr(int(digits, 8)))
        return i + 3
    raise ParseError(i, f"unknown escape sequence U+{ord(ch):04X} {ch!r}")


def tokenize(src: str) -> list[Token]:
    """All tokens of ``src`` ending with an EOF token; raises ParseError."""
    tokens: list[Token] = []
    i, n = 0, len(src)
    while i < n:
        ch = src[i]
        in_brackets = sum(t.kind == "[" for t in tokens) > sum(t.kind == "]" for t in tokens)
        if ch.isspace():
            i += 1
        elif ch == "#":
            while i < n and src[i] != "\n":
                i += 1
        elif ch in "\"'`":
            val, end = _unquote(src, i)
            tokens.append(Token("STR", src[i:end], i, val))
            i = end
        elif ch.isdigit() or (ch == "." and i + 1 < n and src[i + 1].isdigit()):
            i = _number_or_duration(src, i, tokens)
        elif _IDENT.match(src, i) and not (ch == ":" and in_brackets):
            m = _IDENT.match(src, i)
            assert m is not None
            tokens.append(Token("IDENT", m.group(), i))
            i = m.end()
        else:
            i = _operator(src, i, tokens)
    tokens.append(Token("EOF", "", n))
    return tokens


def _number_or_duration(src: str, i: int, tokens: list[Token]) -> int:
    d = re.compile(r"(?:\d+(?:ms|[smhdwy]))+").match(src, i)
    if d and not (d.end() < len(src) and (src[d.end()].isalnum() or src[d.end()] == "_")):
        text = d.group()
        try:
            tokens.append(Token("DUR", text, i, parse_duration(text)))
        except ValueError:
            raise ParseError(i, f"bad duration syntax: {text!r}") from None
        return d.end()
    m = _NUMBER.match(src, i)
    assert m is not None
    end = m.end()
    if end < len(src) and (src[end].isalnum() or src[end] == "_"):
        j = end
        while j < len(src) and (src[j].isalnum() or src[j] in "_."):
            j += 1
        raise ParseError(i, f"bad number or duration syntax: {src[i:j]!r}")
    tokens.append(Token("NUM", m.group(), i, _parse_number(m.group())))
    return end


def _operator(src: str, i: int, tokens: list[Token]) -> int:
    for op in _OPS:
        if src.startswith(op, i):
            tokens.append(Token(op, op, i))
            return i + len(op)
    if src[i] == "!":
        nxt = src[i + 1:i + 2]
        raise ParseError(i, f"unexpected character after '!': {nxt!r}")
    raise ParseError(i, f"unexpected character: {src[i]!r}")

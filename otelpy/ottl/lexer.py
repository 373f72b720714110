"""Tokens of OTTL text with their 1-based columns (the Collector's lexer rules, in order).

Identifiers are read as whole words; the parser decides from the first letter whether a
word is an editor or path field (lower case) or a converter or enum (upper case), which is
how the Collector's grammar joins its Uppercase/Lowercase tokens.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from otelpy.ottl.errors import ParseError

_RULES = (
    ("BYTES", r"0x[a-fA-F0-9]+"),
    ("FLOAT", r"\d*\.\d+(?:[eE][-+]?\d+)?"),
    ("INT", r"\d+"),
    ("STRING", r'"(?:\\.|[^\\"])*"'),
    ("CMP", r"==|!=|>=|<=|>|<"),
    ("ADDSUB", r"[+\-]"),
    ("MULTDIV", r"[/*]"),
    ("EQUAL", r"="),
    ("PUNCT", r"[(){}:,.\[\]]"),
    ("WORD", r"[A-Za-z][A-Za-z0-9_]*"),
    ("SPACE", r"\s+"),
)
_TOKEN_RE = re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in _RULES))
KEYWORDS = frozenset({"and", "or", "not", "where", "nil", "true", "false"})


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # a rule name above, a keyword itself, or "EOF"
    text: str
    column: int


def tokenize(text: str) -> list[Token]:
    """Every token of ``text`` then an EOF token; raises ParseError at an unknown char."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if m is None:
            raise ParseError(f"invalid character {text[pos]!r}", pos + 1)
        kind = m.lastgroup or ""
        word = m.group()
        if kind == "WORD" and word in KEYWORDS:
            kind = word
        if kind == "PUNCT":
            kind = word
        if kind != "SPACE":
            tokens.append(Token(kind, word, pos + 1))
        pos = m.end()
    tokens.append(Token("EOF", "", len(text) + 1))
    return tokens


_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
            "\\": "\\", '"': '"', "'": "'"}
_NUMERIC_ESCAPES = {"x": 2, "u": 4, "U": 8}


def unquote(token: Token) -> str:
    """The value of a string token, with Go's escape rules (strconv.Unquote)."""
    body, out, i = token.text[1:-1], [], 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        esc = body[i + 1]
        column = token.column + 1 + i
        if esc in _ESCAPES:
            out.append(_ESCAPES[esc])
            i += 2
        elif esc in _NUMERIC_ESCAPES:
            digits = body[i + 2:i + 2 + _NUMERIC_ESCAPES[esc]]
            if len(digits) != _NUMERIC_ESCAPES[esc] or not re.fullmatch(r"[0-9a-fA-F]+", digits):
                raise ParseError(f"invalid escape \\{esc} in string", column)
            out.append(chr(int(digits, 16)))
            i += 2 + len(digits)
        elif esc in "01234567":
            digits = body[i + 1:i + 4]
            if not re.fullmatch(r"[0-7]{3}", digits):
                raise ParseError("invalid octal escape in string", column)
            out.append(chr(int(digits, 8)))
            i += 4
        else:
            raise ParseError(f"invalid escape \\{esc} in string", column)
    return "".join(out)

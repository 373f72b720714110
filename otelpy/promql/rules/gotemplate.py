"""The subset of Go's text/template that alert labels and annotations use.

Supported: text and ``{{ }}`` actions with ``{{-``/``-}}`` trimming; pipelines with ``|``;
variables (``$labels``, ``$value``, ``$externalLabels``, ``$x := ...``) and fields
(``$labels.job``, ``.Value``); string, raw-string and number literals; ``if``/``else``/``end``;
the functions humanize, humanize1024, humanizePercentage, humanizeDuration, printf, print,
title, toUpper, toLower, reReplaceAll, match, stripPort, eq, ne, lt, le, gt, ge, and, or,
not, len, index. ``query``, ``range`` and ``with`` are refused with a TemplateError.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from otelpy.promql.rules import gofuncs


class TemplateError(Exception):
    """A template that does not parse or fails to execute."""


_ACTION = re.compile(r"\{\{(-\s)?(.*?)(\s-)?\}\}", re.DOTALL)
_TOKEN = re.compile(r'\s*(?:("(?:\\.|[^"\\])*")|(`[^`]*`)|(\$[A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)'
                    r"|(\.[A-Za-z0-9_.]*)|(:=|=|\||\(|\))|([-+]?\d[\w.+-]*)|([A-Za-z_]\w*))")


def _parse(text: str) -> list[Any]:
    """Split into a flat list of ('text', s) and ('action', words) items."""
    items: list[Any] = []
    pos = 0
    for m in _ACTION.finditer(text):
        chunk = text[pos:m.start()]
        if m.group(1):
            chunk = chunk.rstrip()
        items.append(("text", chunk))
        body = m.group(2).strip()
        if body.startswith("/*"):
            items.append(("text", ""))
        else:
            items.append(("action", _tokens(body)))
        pos = m.end()
        if m.group(3):
            rest = text[pos:]
            pos += len(rest) - len(rest.lstrip())
    if "{{" in text[pos:]:
        raise TemplateError("unclosed action")
    items.append(("text", text[pos:]))
    return items


def _tokens(body: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    kinds = ("str", "raw", "var", "field", "punct", "num", "ident")
    while pos < len(body):
        if body[pos:].strip() == "":
            break
        m = _TOKEN.match(body, pos)
        if m is None:
            raise TemplateError(f"unexpected {body[pos:].strip()!r} in command")
        for kind, group in zip(kinds, m.groups(), strict=True):
            if group is not None:
                out.append((kind, group))
                break
        pos = m.end()
    return out


class Template:
    """A parsed template; ``expand(data)`` runs it (raises TemplateError)."""

    def __init__(self, text: str, funcs: dict[str, Callable[..., Any]] | None = None) -> None:
        self.items = _parse(text)
        self.funcs = {**gofuncs.FUNCS, **(funcs or {})}
        self._check()

    def _check(self) -> None:
        depth = 0
        for kind, body in self.items:
            if kind != "action" or not body:
                continue
            word = body[0][1]
            if body[0][0] == "ident" and word in ("range", "with", "define", "template",
                                                   "block"):
                raise TemplateError(f"{word!r} is not supported by otelpy's templates")
            if body[0][0] == "ident" and word == "if":
                depth += 1
            elif body[0][0] == "ident" and word == "end":
                depth -= 1
                if depth < 0:
                    raise TemplateError("unexpected {{end}}")
            for tk, tv in body:
                if tk == "ident" and tv not in self.funcs and tv not in (
                        "if", "else", "end", "true", "false", "nil"):
                    raise TemplateError(f'function "{tv}" not defined')
        if depth:
            raise TemplateError("unexpected EOF")

    def expand(self, variables: dict[str, Any], dot: Any = None) -> str:
        out: list[str] = []
        scope = dict(variables)
        stack: list[tuple[bool, bool]] = []  # (parent active, branch taken)
        active = True
        for kind, body in self.items:
            if kind == "text":
                if active:
                    out.append(body)
                continue
            if not body:
                continue
            head = body[0][1] if body[0][0] == "ident" else ""
            if head == "if":
                cond = active and gofuncs.truth(self._pipeline(body[1:], scope, dot)) \
                    if active else False
                stack.append((active, cond))
                active = active and cond
            elif head == "else":
                parent, taken = stack[-1]
                if len(body) > 1 and body[1][1] == "if":
                    cond = parent and not taken and gofuncs.truth(
                        self._pipeline(body[2:], scope, dot))
                    stack[-1] = (parent, taken or cond)
                    active = cond
                else:
                    active = parent and not taken
                    stack[-1] = (parent, True)
            elif head == "end":
                active = stack.pop()[0]
            elif active:
                if len(body) >= 2 and body[0][0] == "var" and body[1][1] in (":=", "="):
                    scope[body[0][1]] = self._pipeline(body[2:], scope, dot)
                else:
                    out.append(gofuncs.print_value(self._pipeline(body, scope, dot)))
        return "".join(out)

    def _pipeline(self, toks: list[tuple[str, str]], scope: dict[str, Any], dot: Any) -> Any:
        commands: list[list[tuple[str, str]]] = [[]]
        depth = 0
        for tok in toks:
            if tok[1] == "(":
                depth += 1
            elif tok[1] == ")":
                depth -= 1
            if tok[1] == "|" and depth == 0:
                commands.append([])
            else:
                commands[-1].append(tok)
        value: Any = gofuncs.MISSING
        for i, cmd in enumerate(commands):
            value = self._command(cmd, scope, dot, value if i else gofuncs.MISSING)
        return value

    def _command(self, toks: list[tuple[str, str]], scope: dict[str, Any], dot: Any,
                 piped: Any) -> Any:
        if not toks:
            raise TemplateError("missing value for command")
        args: list[Any] = []
        i = 1 if toks[0][0] == "ident" else 0
        while i < len(toks):
            if toks[i][1] == "(":
                depth, j = 1, i + 1
                while depth:
                    depth += {"(": 1, ")": -1}.get(toks[j][1], 0)
                    j += 1
                args.append(self._pipeline(toks[i + 1:j - 1], scope, dot))
                i = j
                continue
            args.append(self._operand(toks[i], scope, dot))
            i += 1
        if piped is not gofuncs.MISSING:
            args.append(piped)
        if toks[0][0] != "ident" or toks[0][1] in ("true", "false", "nil"):
            if toks[0][0] == "ident":
                return {"true": True, "false": False, "nil": None}[toks[0][1]]
            if len(args) != 1:
                raise TemplateError("can't give argument to non-function")
            return args[0]
        fn = self.funcs[toks[0][1]]
        try:
            return fn(*args)
        except TemplateError:
            raise
        except (TypeError, ValueError, re.error) as exc:
            raise TemplateError(f"error calling {toks[0][1]}: {exc}") from None

    def _operand(self, tok: tuple[str, str], scope: dict[str, Any], dot: Any) -> Any:
        kind, text = tok
        if kind == "str":
            return gofuncs.unquote(text)
        if kind == "raw":
            return text[1:-1]
        if kind == "num":
            return gofuncs.parse_number(text)
        if kind == "var":
            name, *fields = text.split(".")
            if name not in scope:
                raise TemplateError(f"undefined variable: {name}")
            return gofuncs.fields(scope[name], fields)
        if kind == "field":
            return gofuncs.fields(dot, [f for f in text.split(".") if f])
        raise TemplateError(f"unexpected {text!r}")

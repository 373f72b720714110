"""The subset of Go's text/template that alert labels and annotations use.

Supported: text and ``{{ }}`` actions with ``{{-``/``-}}`` trimming; pipelines with ``|``;
variables (``$labels``, ``$value``, ``$externalLabels``, ``$x := ...``) and fields
(``$labels.job``, ``.Value``); string, raw-string and number literals; ``if`` / ``else if`` /
``else``, ``with`` (dot becomes the value) and ``range`` (over lists and maps, with
``$i, $e :=``), each with ``end``; the functions humanize, humanize1024, humanizePercentage,
humanizeDuration, printf, print, title, toUpper, toLower, reReplaceAll, match, stripPort, eq,
ne, lt, le, gt, ge, and, or, not, len, index, and Prometheus's query helpers first, label,
value, strvalue, sortByLabel (``query`` itself is given by the rule evaluator). ``define``,
``template`` and ``block`` are refused with a TemplateError.
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
                    r"|(\.[A-Za-z0-9_.]*)|(:=|=|\||\(|\)|,)|([-+]?\d[\w.+-]*)|([A-Za-z_]\w*))")


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


Node = tuple[Any, ...]
_UNSUPPORTED = ("define", "template", "block", "break", "continue")


def _head(body: list[tuple[str, str]]) -> str:
    return body[0][1] if body and body[0][0] == "ident" else ""


def _build(items: list[Any], i: int, stop: frozenset[str]) -> tuple[list[Node], int, str]:
    """Nodes of ``items[i:]`` up to an action whose head is in ``stop`` (``end`` or
    ``else``): (nodes, that action's index, its head)."""
    nodes: list[Node] = []
    while i < len(items):
        kind, body = items[i]
        head = _head(body) if kind == "action" else ""
        if kind == "text" or not body:
            nodes.append(("text", body if kind == "text" else ""))
        elif head in ("end", "else"):
            if head not in stop:
                raise TemplateError(f"unexpected {{{{{head}}}}}")
            return nodes, i, head
        elif head in _UNSUPPORTED:
            raise TemplateError(f"{head!r} is not supported by otelpy's templates")
        elif head in ("if", "with", "range"):
            node, i = _block(items, i, head, body[1:])
            nodes.append(node)
            continue
        else:
            nodes.append(("action", body))
        i += 1
    if stop:
        raise TemplateError("unexpected EOF")
    return nodes, i, ""


def _block(items: list[Any], i: int, head: str, cond: list[tuple[str, str]]) -> tuple[Node, int]:
    """An if / with / range block starting at ``items[i]``: ``(head, [(pipeline, body)...],
    else body)`` and the index after its ``end``; ``else if`` chains for ``if``."""
    branches = []
    while True:
        body, i, ended = _build(items, i + 1, frozenset({"end", "else"}))
        branches.append((cond, body))
        if ended == "end":
            return (head, branches, []), i + 1
        words = items[i][1]
        if head == "if" and len(words) > 1 and words[1][1] == "if":
            cond = words[2:]
            continue
        if len(words) > 1:
            raise TemplateError(f"unexpected {words[1][1]!r} after else")
        rest, i, _ = _build(items, i + 1, frozenset({"end"}))
        return (head, branches, rest), i + 1


def _declared(toks: list[tuple[str, str]]) -> tuple[list[str], list[tuple[str, str]]]:
    """``$a, $b := pipeline`` -> (["$a", "$b"], pipeline); no declaration: ([], toks)."""
    for k, tok in enumerate(toks):
        if tok[1] == ":=":
            return [t[1] for t in toks[:k] if t[0] == "var"], toks[k + 1:]
    return [], toks


class Template:
    """A parsed template; ``expand(data)`` runs it (raises TemplateError)."""

    def __init__(self, text: str, funcs: dict[str, Callable[..., Any]] | None = None) -> None:
        items = _parse(text)
        self.funcs = {**gofuncs.FUNCS, **(funcs or {})}
        for kind, body in items:
            for tk, tv in body if kind == "action" else ():
                if tk == "ident" and tv not in self.funcs and tv not in (
                        "if", "else", "end", "with", "range", "true", "false", "nil",
                        *_UNSUPPORTED):
                    raise TemplateError(f'function "{tv}" not defined')
        self.nodes, _, _ = _build(items, 0, frozenset())

    def expand(self, variables: dict[str, Any], dot: Any = None) -> str:
        out: list[str] = []
        self._run(self.nodes, {"$": dot, **variables}, dot, out)
        return "".join(out)

    def _run(self, nodes: list[Node], scope: dict[str, Any], dot: Any, out: list[str]) -> None:
        for node in nodes:
            kind = node[0]
            if kind == "text":
                out.append(node[1])
            elif kind == "action":
                body = node[1]
                if len(body) >= 2 and body[0][0] == "var" and body[1][1] in (":=", "="):
                    scope[body[0][1]] = self._pipeline(body[2:], scope, dot)
                else:
                    out.append(gofuncs.print_value(self._pipeline(body, scope, dot)))
            elif kind == "if":
                for cond, body in node[1]:
                    if gofuncs.truth(self._pipeline(cond, scope, dot)):
                        self._run(body, scope, dot, out)
                        break
                else:
                    self._run(node[2], scope, dot, out)
            elif kind == "with":
                self._with(node, scope, dot, out)
            else:
                self._range(node, scope, dot, out)

    def _with(self, node: Node, scope: dict[str, Any], dot: Any, out: list[str]) -> None:
        names, toks = _declared(node[1][0][0])
        value = self._pipeline(toks, scope, dot)
        if not gofuncs.truth(value):
            self._run(node[2], scope, dot, out)
            return
        for name in names:
            scope[name] = value
        self._run(node[1][0][1], scope, value, out)

    def _range(self, node: Node, scope: dict[str, Any], dot: Any, out: list[str]) -> None:
        names, toks = _declared(node[1][0][0])
        value = self._pipeline(toks, scope, dot)
        if isinstance(value, dict):
            pairs = [(k, value[k]) for k in sorted(value)]
        elif isinstance(value, list | tuple):
            pairs = list(enumerate(value))
        elif value is None or value is gofuncs.MISSING:
            pairs = []
        else:
            raise TemplateError(f"range can't iterate over {gofuncs.print_value(value)}")
        if not pairs:
            self._run(node[2], scope, dot, out)
        for key, element in pairs:
            if len(names) == 1:
                scope[names[0]] = element
            elif len(names) == 2:
                scope[names[0]], scope[names[1]] = key, element
            self._run(node[1][0][1], scope, element, out)

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

"""Go regexp replacement templates and glob patterns, as Python's ``re`` needs them."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

_DOLLAR = re.compile(r"\$(?:\$|\{([^}]*)\}|([A-Za-z0-9_]+))")


def go_template(template: str, regex: re.Pattern[str]) -> Callable[[re.Match[str]], str]:
    """A function of a match giving Go's ``Regexp.Expand`` of ``template``: ``$1``,
    ``${1}``, ``$name``, ``${name}``, ``$$``; an unknown group expands to nothing."""
    pieces: list[str | int] = []
    pos = 0
    for m in _DOLLAR.finditer(template):
        pieces.append(template[pos:m.start()])
        pos = m.end()
        name = m.group(1) if m.group(1) is not None else m.group(2)
        if name is None:
            pieces.append("$")
        elif name.isdigit():
            pieces.append(int(name) if int(name) <= regex.groups else "")
        else:
            pieces.append(regex.groupindex.get(name, ""))
    pieces.append(template[pos:])
    parts = [x for x in pieces if x != ""]
    if all(isinstance(x, str) for x in parts):
        text = "".join(str(x) for x in parts)
        return lambda m: text

    def expand(m: re.Match[str]) -> str:
        return "".join(x if isinstance(x, str) else (m.group(x) or "") for x in parts)
    return expand


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A gobwas/glob pattern (``*``, ``?``, ``[abc]``, ``[!abc]``, ``{a,b}``, ``\\``
    escapes) as an anchored regex; raises ValueError for an unbalanced pattern."""
    out, i, depth = [], 0, 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if ch == "*":
            out.append(".*")
        elif ch == "?":
            out.append(".")
        elif ch == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                raise ValueError(f"unclosed [ in glob {pattern!r}")
            body = pattern[i + 1:end]
            negate = body.startswith("!")
            body = body[1:] if negate else body
            out.append("[" + ("^" if negate else "") + body.replace("\\", "\\\\") + "]")
            i = end
        elif ch == "{":
            depth += 1
            out.append("(?:")
        elif ch == "}" and depth:
            depth -= 1
            out.append(")")
        elif ch == "," and depth:
            out.append("|")
        else:
            out.append(re.escape(ch))
        i += 1
    if depth:
        raise ValueError(f"unclosed {{ in glob {pattern!r}")
    return re.compile("".join(out) + r"\Z", re.DOTALL)


def replacer(regex: re.Pattern[str], template: str, function: Callable[[Any], Any] | None,
             fmt: str | None) -> Callable[[str], str]:
    """Replace every match of ``regex`` in a string by the expanded ``template``, passed
    through ``function`` and ``fmt`` (a Go format with one %s) when given."""
    if function is None and "$" not in template:  # no group: the text itself, escaped
        plain = template.replace("\\", "\\\\")  # for re's template syntax
        return lambda text: regex.sub(plain, text)
    expand = go_template(template, regex)
    if function is None:
        return lambda text: regex.sub(expand, text)
    layout = fmt or "%s"

    def through(m: re.Match[str]) -> str:
        return layout.replace("%s", str(function(expand(m))), 1)
    return lambda text: regex.sub(through, text)

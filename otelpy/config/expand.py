"""``${...}`` references in config values, as the Collector's confmap expands them.

* ``${env:VAR}``, ``${VAR}``, ``${env:VAR:-default}`` (also ``${VAR:-default}``):
  an environment variable. Set-but-empty counts as set, as in the Collector.
* ``${file:path}``: a file's content; a relative path is taken from the directory of
  the config file holding the reference.
* ``$$`` is a literal ``$`` (so ``$${env:X}`` stays ``${env:X}``); a lone ``$`` stays.

A value that is exactly one reference becomes the referenced text parsed as YAML
(``8080`` -> int, ``{a: 1}`` -> a map); a reference inside a longer string inserts the
raw text. Retrieved text is itself expanded (nested references, ``$$``), up to
:data:`MAX_DEPTH` levels. Keys are never expanded.

Where a whole-value reference parsed to something other than its raw text (``0123``
-> 83, ``"x # y"`` -> ``"x"``), the raw text is kept in ``originals`` so that a field
typed as a string receives the text (the Collector's strict typing).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from otelpy.config.loader import parse_yaml
from otelpy.config.problems import (
    SET_SOURCE,
    Path,
    Position,
    Problem,
    copy_under,
    nearest,
)
from otelpy.config.sources import SourceError, read_source

MAX_DEPTH = 10
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):(.*)$", re.S)
_ENV_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_DOCKER_DEFAULT = re.compile(r"^([a-zA-Z_][a-zA-Z0-9_]*):-(.*)$", re.S)


@dataclass(frozen=True)
class _Ref:
    parts: tuple[str | _Ref, ...]
    raw: str


@dataclass(frozen=True)
class _Retrieved:
    text: str
    file: str | None = None  # the file it was read from, for ${file:...}
    is_default: bool = False  # came from ":-default"

    @property
    def value_text(self) -> str:
        """The text a reference stands for: a file's content loses its final newline."""
        if self.file is None:
            return self.text
        return self.text.removesuffix("\n").removesuffix("\r")


def _scan(s: str, i: int, nested: bool) -> tuple[list[str | _Ref], int | None]:
    """Split ``s[i:]`` into literal text and references; ``None`` end = unclosed ``${``."""
    parts: list[str | _Ref] = []
    buf: list[str] = []
    while i < len(s):
        if s.startswith("$$", i):
            buf.append("$")
            i += 2
        elif s.startswith("${", i):
            inner, end = _scan(s, i + 2, nested=True)
            if end is None:
                buf.append("${")
                i += 2
                continue
            if buf:
                parts.append("".join(buf))
                buf = []
            parts.append(_Ref(tuple(inner), s[i:end]))
            i = end
        elif nested and s[i] == "}":
            if buf:
                parts.append("".join(buf))
            return parts, i + 1
        else:
            buf.append(s[i])
            i += 1
    if nested:
        return parts, None
    if buf:
        parts.append("".join(buf))
    return parts, i


class Expander:
    """Expands every string value of a document in place of its positions."""

    def __init__(self, env: Mapping[str, str], positions: dict[Path, Position]) -> None:
        self.env = env
        self.positions = positions
        self.problems: list[Problem] = []
        self.originals: dict[Path, str] = {}

    def tree(self, value: Any, path: Path = (), depth: int = 0) -> Any:
        """``value`` with every reference in its strings expanded."""
        if isinstance(value, str):
            return self.string(value, path, depth, whole_allowed=True)
        if isinstance(value, list):
            return [self.tree(v, path + (i,), depth) for i, v in enumerate(value)]
        if isinstance(value, dict):
            return {k: self.tree(v, path + (k,), depth) for k, v in value.items()}
        return value

    def string(self, text: str, path: Path, depth: int, whole_allowed: bool) -> Any:
        if "$" not in text:
            return text
        parts, _ = _scan(text, 0, nested=False)
        if whole_allowed and len(parts) == 1 and isinstance(parts[0], _Ref):
            return self._whole(parts[0], path, depth)
        out = []
        for part in parts:
            out.append(part if isinstance(part, str) else self._embedded(part, path, depth))
        return "".join(out)

    def _problem(self, path: Path, message: str) -> None:
        pos = nearest(self.positions, path) or Position("<config>")
        self.problems.append(Problem(pos, path, message))

    def _content(self, ref: _Ref, path: Path, depth: int) -> str:
        return "".join(p if isinstance(p, str) else self._embedded(p, path, depth)
                       for p in ref.parts)

    def _retrieve(self, ref: _Ref, path: Path, depth: int) -> _Retrieved | None:
        """What a reference stands for, or None after recording a problem."""
        if depth >= MAX_DEPTH:
            self._problem(path, f"too many nested expansions in {ref.raw} "
                                f"(more than {MAX_DEPTH}; does a value refer to itself?)")
            return None
        before = len(self.problems)
        content = self._content(ref, path, depth + 1)
        if len(self.problems) > before:
            return None  # a nested reference failed; do not pile up follow-on errors
        m = _SCHEME.match(content)
        if m is None:
            if ":" in content:
                self._problem(path, f"invalid reference {ref.raw}: expected ${{env:NAME}}, "
                                    "${NAME} or ${file:path}")
                return None
            return self._env(content, None, ref, path)
        scheme, opaque = m.group(1), m.group(2)
        if scheme == "env":
            name, sep, default = opaque.partition(":-")
            return self._env(name, default if sep else None, ref, path)
        if scheme == "file":
            return self._file(opaque, ref, path)
        docker = _DOCKER_DEFAULT.match(content)
        if docker:
            return self._env(docker.group(1), docker.group(2), ref, path)
        self._problem(path, f'unsupported reference scheme "{scheme}" in {ref.raw}; '
                            "supported: env, file")
        return None

    def _env(self, name: str, default: str | None, ref: _Ref,
             path: Path) -> _Retrieved | None:
        if not _ENV_NAME.match(name):
            self._problem(path, f'invalid environment variable name "{name}" in {ref.raw}: '
                                "must match [a-zA-Z_][a-zA-Z0-9_]*")
            return None
        value = self.env.get(name)
        if value is None:
            if default is None:
                self._problem(path, f'environment variable "{name}" is not set (referenced as '
                                    f"{ref.raw}); set it or give a default: "
                                    f"${{env:{name}:-value}}")
                return None
            return _Retrieved(default, is_default=True)
        return _Retrieved(value)

    def _file(self, name: str, ref: _Ref, path: Path) -> _Retrieved | None:
        pos = nearest(self.positions, path)
        source = pos.source if pos else SET_SOURCE
        base = "" if source == SET_SOURCE or source.startswith("<") else os.path.dirname(source)
        full = os.path.normpath(os.path.join(base, os.path.expanduser(name)))
        try:
            return _Retrieved(read_source(full), file=full)
        except SourceError as exc:
            self._problem(path, f"cannot read {ref.raw} ({full}): {exc}")
            return None

    def _embedded(self, ref: _Ref, path: Path, depth: int) -> str:
        got = self._retrieve(ref, path, depth)
        if got is None:
            return ""
        text = got.value_text
        return str(self.string(text, path, depth + 1, whole_allowed=False))

    def _whole(self, ref: _Ref, path: Path, depth: int) -> Any:
        got = self._retrieve(ref, path, depth)
        if got is None:
            return None
        if got.text == "":
            return "" if got.is_default else None
        text = got.value_text
        parsed = parse_yaml(text, got.file or "<env>", root=path)
        if parsed.value is None and parsed.problems:
            value: Any = text  # not YAML: the text itself, as the Collector does
        else:
            value = parsed.value
            if got.file is not None:
                parsed.positions.pop(path, None)
                copy_under(parsed.positions, self.positions, path)
                self.problems.extend(parsed.problems)
            else:
                here = nearest(self.positions, path) or Position("<env>")
                self.problems.extend(Problem(here, path, f"in the value of {ref.raw}: {p.message}")
                                     for p in parsed.problems)
        if not isinstance(value, (dict, list)) and value != text and "$" not in text:
            self.originals[path] = text
        return self.tree(value, path, depth + 1)

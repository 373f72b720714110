"""YAML parsing that remembers file:line:column for every node and rejects duplicate keys.

Scalars follow the YAML 1.2 core schema as Go's yaml.v3 (the Collector's parser) reads
them: only ``true``/``false`` are booleans (``on``, ``yes`` stay strings), dates stay
strings, ``1:30`` stays a string, and integers take Go's prefixes (``0x1f``, ``0o17``,
``0b101``, and a leading ``0`` for octal).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from otelpy.config.problems import Path, Position, Problem, drop_under

_MERGE_TAG = "tag:yaml.org,2002:merge"
#: Collections nested deeper than this are refused (a real config nests fewer than 15).
MAX_NESTING = 100
#: Nodes one document may hold before aliases are expanded (PyYAML needs ~1 GiB a million).
MAX_NODES = 100_000


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core-schema implicit typing and a nesting limit."""

    yaml_implicit_resolvers: dict[Any, Any] = {}
    _depth = 0
    _nodes = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        self._depth += 1
        self._nodes += 1
        try:
            if self._nodes > MAX_NODES:
                raise yaml.composer.ComposerError(
                    None, None, f"more than {MAX_NODES:,} values in one document",
                    self.peek_event().start_mark)  # type: ignore[no-untyped-call]
            if self._depth > MAX_NESTING:
                raise yaml.composer.ComposerError(
                    None, None, f"collections nested deeper than {MAX_NESTING} levels",
                    self.peek_event().start_mark)  # type: ignore[no-untyped-call]
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*|0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+)$"),
    list("-+0123456789"),
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:[0-9][0-9_]*\.[0-9_]*|\.[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)
_Loader.add_implicit_resolver(_MERGE_TAG, re.compile(r"^(?:<<)$"), ["<"])

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


_GO_OCTAL = re.compile(r"^[-+]?0[0-7_]+$")


def _construct_int(loader: yaml.SafeLoader, node: ScalarNode) -> int | float | str:
    text = str(loader.construct_scalar(node)).replace("_", "")
    try:
        if _GO_OCTAL.match(text):
            return int(text, 8)
        return int(text, 0)
    except ValueError:
        # "09": not an integer in Go either; yaml.v3 reads it as a float.
        try:
            return float(text)
        except ValueError:
            return text


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)


@dataclass
class Parsed:
    """A parsed source: its value, the position of every path in it, and problems found."""

    value: Any
    positions: dict[Path, Position] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def parse_yaml(text: str, source: str, root: Path = ()) -> Parsed:
    """Parse one YAML document; paths in the result are prefixed with ``root``.

    Never raises for bad input: syntax errors, duplicate keys, unknown tags and
    recursive aliases become problems (the value is then None or partial).
    """
    out = Parsed(value=None)
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:  # the text itself: control characters
        out.problems.append(_reader_problem(exc, source, text))
        return out
    try:
        node = loader.get_single_node()
        if node is not None:
            out.positions[root] = _pos(source, node)
            out.value = _Builder(loader, source, out).build(node, root)
    except yaml.MarkedYAMLError as exc:
        out.problems.append(_syntax_problem(exc, source, text))
        out.value = None
    except yaml.YAMLError as exc:
        out.problems.append(Problem(Position(source, 1, 1), (), f"YAML error: {exc}"))
        out.value = None
    except ValueError as exc:  # the scanner: an escape beyond U+10FFFF ("\U00110000")
        mark = loader.get_mark()
        out.problems.append(Problem(Position(source, mark.line + 1, mark.column + 1), (),
                                    f"YAML syntax error: invalid escape or character ({exc})"))
        out.value = None
    except _ExcessiveAliasing as exc:
        out.problems.append(Problem(exc.position, (), str(exc)))
        out.value = None
    finally:
        loader.dispose()
    return out


def _reader_problem(exc: yaml.reader.ReaderError, source: str, text: str) -> Problem:
    """A character YAML does not allow in a document, with its line and column."""
    before = text[:exc.position]
    line = before.count("\n") + 1
    column = exc.position - (before.rfind("\n") + 1) + 1
    return Problem(Position(source, line, column), (),
                   f"YAML syntax error: character {exc.character:#06x} is not allowed in YAML")


def _pos(source: str, node: Node) -> Position:
    return Position(source, node.start_mark.line + 1, node.start_mark.column + 1)


def _syntax_problem(exc: yaml.MarkedYAMLError, source: str, text: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    message = f"YAML syntax error: {exc.problem or exc}"
    if exc.context and exc.context_mark:
        message = (f"YAML syntax error: {exc.context} (line {exc.context_mark.line + 1}): "
                   f"{exc.problem}")
    if "'\\t'" in str(exc.problem):
        message += " (indent YAML with spaces, not tabs)"
    lines = text.splitlines()
    in_flow = "flow" in str(exc.context)
    if 0 < line <= len(lines) and in_flow and "${" in lines[line - 1]:
        message += (
            '; inside [...] or {...} a ${...} reference must be quoted ("${env:X}"),'
            ' or use block style (one "- ${env:X}" or "key: ${env:X}" per line)'
        )
    return Problem(Position(source, line, col), (), message)


class _ExcessiveAliasing(Exception):
    def __init__(self, position: Position, nodes: int, aliases: int) -> None:
        super().__init__(
            f"YAML error: excessive aliasing: {aliases:,} of {nodes:,} values built came "
            "from aliases (*name); refused as a possible alias bomb")
        self.position = position


def allowed_alias_ratio(nodes: int) -> float:
    """go-yaml's rule (the Collector's parser): up to 400,000 values, 99% may come from
    aliases; from 4,000,000, 10%; linear in between."""
    if nodes <= 400_000:
        return 0.99
    if nodes >= 4_000_000:
        return 0.10
    return 0.99 - 0.89 * (nodes - 400_000) / 3_600_000


class _Builder:
    """Turns composed nodes into plain values, recording positions as it goes.

    Every alias expansion is counted: a document whose values come mostly from aliases
    past go-yaml's allowance (see :func:`allowed_alias_ratio`) is refused, so a "billion
    laughs" document fails in well under a second instead of filling memory.
    """

    def __init__(self, loader: _Loader, source: str, out: Parsed) -> None:
        self.loader = loader
        self.source = source
        self.out = out
        self.active: set[int] = set()
        self.seen: set[int] = set()
        self.nodes = 0
        self.aliases = 0

    def _count(self, node: Node) -> None:
        self.nodes += 1
        if id(node) in self.seen:
            self.aliases += 1
            if (self.aliases > 100 and self.nodes > 1000
                    and self.aliases / self.nodes > allowed_alias_ratio(self.nodes)):
                raise _ExcessiveAliasing(_pos(self.source, node), self.nodes, self.aliases)
        else:
            self.seen.add(id(node))

    def problem(self, node: Node, path: Path, message: str) -> None:
        self.out.problems.append(Problem(_pos(self.source, node), path, message))

    def build(self, node: Node, path: Path) -> Any:
        self._count(node)
        if id(node) in self.active:
            self.problem(node, path, "recursive YAML alias (an anchor that contains itself)")
            return None
        if len(path) > MAX_NESTING:
            self.problem(node, path, f"values nested deeper than {MAX_NESTING} levels")
            return None
        if isinstance(node, ScalarNode):
            try:
                value = self.loader.construct_object(node, deep=True)
            except yaml.constructor.ConstructorError as exc:
                self.problem(node, path, str(exc.problem or exc))
                return None
            if type(value) is int and not _INT64_MIN <= value <= _INT64_MAX:
                self.problem(node, path, f"integer {_clip(node.value)} does not fit in 64 bits "
                             "(the Collector's decoder refuses it too)")
                return None
            return value
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return self._sequence(node, path)
            if isinstance(node, MappingNode):
                return self._mapping(node, path)
        finally:
            self.active.discard(id(node))
        self.problem(node, path, f"unsupported YAML node {node.tag}")
        return None

    def _sequence(self, node: SequenceNode, path: Path) -> list[Any]:
        items = []
        for i, item in enumerate(node.value):
            self.out.positions[path + (i,)] = _pos(self.source, item)
            items.append(self.build(item, path + (i,)))
        return items

    def _mapping(self, node: MappingNode, path: Path) -> dict[str, Any]:
        result: dict[str, Any] = {}
        explicit: dict[str, Node] = {}
        merges = [v for k, v in node.value if k.tag == _MERGE_TAG]
        for source in merges:
            self._merge_in(result, source, path)
        for knode, vnode in node.value:
            if knode.tag == _MERGE_TAG:
                continue
            if not isinstance(knode, ScalarNode):
                self.problem(knode, path, "mapping keys must be plain strings")
                continue
            key = str(knode.value)
            if key in explicit:
                first = explicit[key].start_mark.line + 1
                self.problem(knode, path + (key,),
                             f'duplicate key "{key}" (first defined at line {first})')
                continue
            explicit[key] = knode
            if key in result:
                drop_under(self.out.positions, path + (key,))
            self.out.positions[path + (key,)] = _pos(self.source, knode)
            result[key] = self.build(vnode, path + (key,))
        return result

    def _merge_in(self, result: dict[str, Any], source: Node, path: Path) -> None:
        """``<<: *anchor`` or ``<<: [*a, *b]``; earlier mappings win, as YAML specifies."""
        sources = source.value if isinstance(source, SequenceNode) else [source]
        for src in sources:
            if not isinstance(src, MappingNode):
                self.problem(src, path, "<< (merge key) expects a mapping or a list of mappings")
                continue
            outer, self.out.positions = self.out.positions, {}
            try:
                merged = self.build(src, path)
            finally:
                inner, self.out.positions = self.out.positions, outer
            if not isinstance(merged, dict):
                continue
            for key, value in merged.items():
                if key in result:
                    continue
                result[key] = value
                sub = path + (key,)
                outer.update({p: pos for p, pos in inner.items() if p[: len(sub)] == sub})

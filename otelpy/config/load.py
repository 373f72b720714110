"""Reading config sources into one document that remembers where every value came from."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from otelpy.config.expand import Expander
from otelpy.config.loader import Parsed, parse_yaml
from otelpy.config.merge import merge_into, parse_set
from otelpy.config.problems import SET_SOURCE, Path, Position, Problem, nearest, sort_problems
from otelpy.config.sources import SourceError, read_source
from otelpy.errors import ConfigError

DEFAULT_SOURCE = "<default config>"


@dataclass(frozen=True)
class LoadedConfig:
    """The merged, expanded document, with the position of every value.

    ``originals`` holds the raw text of whole-value references whose YAML reading
    differs from it (see :mod:`otelpy.config.expand`); validation hands that text to
    fields that expect a string.
    """

    document: dict[str, Any]
    positions: Mapping[Path, Position] = field(default_factory=dict)
    originals: Mapping[Path, str] = field(default_factory=dict)
    sources: tuple[str, ...] = ()

    def where(self, path: tuple[str | int, ...]) -> str:
        """``file.yaml:12:5`` for ``path`` or its nearest ancestor with a position
        (``--set`` for values from overrides)."""
        return str(self.position(path))

    def position(self, path: Path) -> Position:
        """Like :meth:`where`, as a :class:`Position`."""
        found = nearest(self.positions, path)
        if found is not None:
            return found
        return Position(self.sources[0] if self.sources else "<config>", 1, 1)


def load(
    paths: Sequence[str],
    sets: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    default_yaml: str | None = None,
) -> LoadedConfig:
    """Read, merge (left to right), apply ``--set`` overrides, then expand references.

    ``paths`` empty means ``default_yaml`` is the config. ``env`` defaults to
    ``os.environ``. As in the Collector, sources merge before expansion, so a later
    file may override a value whose reference would not resolve.

    Raises ConfigError listing every problem found (syntax errors, duplicate keys,
    unreadable files, bad ``--set``, unresolvable references), each with file:line:column.
    """
    sources: list[Parsed] = []
    names: list[str] = []
    if paths:
        for path in paths:
            names.append(path)
            sources.append(_read(path))
    elif default_yaml is not None:
        names.append(DEFAULT_SOURCE)
        sources.append(parse_yaml(default_yaml, DEFAULT_SOURCE))
    else:
        raise ConfigError("no configuration given: pass at least one --config file")
    sources.extend(parse_set(s) for s in sets)

    merged = Parsed(value={}, positions={(): Position(names[0], 1, 1)})
    for src in sources:
        _check_root(src)
        merge_into(merged, src)
    expander = Expander(os.environ if env is None else env, merged.positions)
    document = expander.tree(merged.value)
    problems: list[Problem] = merged.problems + expander.problems
    if problems:
        raise ConfigError(sort_problems(problems, names + [SET_SOURCE]))
    return LoadedConfig(document, merged.positions, expander.originals, tuple(names))


def _read(path: str) -> Parsed:
    try:
        text = read_source(path)
    except SourceError as exc:
        return Parsed(None, problems=[Problem(Position(path), (),
                                              f"cannot read config file: {exc}")])
    return parse_yaml(text, path)


def _check_root(src: Parsed) -> None:
    """A config source must be a mapping (or empty); anything else is a problem."""
    if src.value is None or isinstance(src.value, dict):
        return
    pos = src.positions.get((), Position("<config>", 1, 1))
    kind = type(src.value).__name__
    src.problems.append(Problem(pos, (), (
        "the configuration must be a mapping of sections (receivers, processors, exporters, "
        f"connectors, extensions, service), got a {kind}")))
    src.value = None

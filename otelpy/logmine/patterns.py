"""What the miner keeps and answers: options, clusters, patterns, matches."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from otelpy.logmine.masking import WILDCARD
from otelpy.logmine.tree import TreeNode

__all__ = ["Cluster", "Match", "MinerOptions", "Pattern", "pattern_id_of", "shape_of"]


@dataclass(frozen=True)
class MinerOptions:
    """The miner's knobs; the defaults are meant for every kind of log (README)."""

    similarity: float = 0.7
    depth: int = 2
    max_children: int = 100
    max_patterns: int = 50_000
    max_variants: int = 8


@dataclass(eq=False)
class Cluster:
    """Messages of one token count sharing one template (a leaf entry of the tree)."""

    tokens: list[str]
    pattern: Pattern
    path: tuple[str, ...]
    leaf: TreeNode = field(repr=False)
    born: int = 0
    count: int = 0
    last_seen: int = 0


@dataclass(eq=False)
class Pattern:
    """What the miner reports: a stable ID, a template and a count.

    A pattern holds one or more clusters whose templates have the same shape (runs of
    ``<*>`` collapsed), so a variable spanning one or several tokens is one pattern.
    """

    id: str
    template: str
    count: int = 0
    first_seen: int = 0
    last_seen: int = 0
    clusters: list[Cluster] = field(default_factory=list)
    shapes: set[str] = field(default_factory=set)
    aliases: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Match:
    """The answer for one message."""

    pattern_id: str
    template: str
    new: bool


def shape_of(tokens: Iterable[str]) -> str:
    """The pattern key of a template: tokens joined by spaces, runs of ``<*>`` as one."""
    out: list[str] = []
    for tok in tokens:
        if tok == WILDCARD and out and out[-1] == WILDCARD:
            continue
        out.append(tok)
    return " ".join(out)


def pattern_id_of(shape: str) -> str:
    """The ID a pattern gets at creation: 16 hex digits of SHA-256 of its first shape."""
    return hashlib.sha256(shape.encode()).hexdigest()[:16]

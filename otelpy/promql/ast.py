"""PromQL syntax tree: the nodes the parser builds and the evaluator walks.

Every node knows its value type (``scalar``, ``vector``, ``matrix``, ``string``) and the
character offset where it starts in the query, for error columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SCALAR, VECTOR, MATRIX, STRING = "scalar", "vector", "matrix", "string"

#: how Prometheus names value types in error messages
DOC_TYPE = {SCALAR: "scalar", VECTOR: "instant vector", MATRIX: "range vector",
            STRING: "string"}


@dataclass(frozen=True)
class Matcher:
    """One label matcher: ``name op value`` with op one of ``=``, ``!=``, ``=~``, ``!~``."""

    name: str
    op: str
    value: str
    regex: re.Pattern[str] | None = None

    def matches(self, v: str) -> bool:
        if self.op == "=":
            return v == self.value
        if self.op == "!=":
            return v != self.value
        assert self.regex is not None
        hit = self.regex.fullmatch(v) is not None
        return hit if self.op == "=~" else not hit


@dataclass
class Node:
    pos: int = field(default=0, kw_only=True)

    @property
    def type(self) -> str:
        raise NotImplementedError


@dataclass
class NumberLiteral(Node):
    val: float

    @property
    def type(self) -> str:
        return SCALAR


@dataclass
class StringLiteral(Node):
    val: str

    @property
    def type(self) -> str:
        return STRING


@dataclass
class VectorSelector(Node):
    """``name{matchers} offset d @ t``; ``at`` is a time in ms, or ``start`` / ``end``."""

    name: str
    matchers: list[Matcher]
    offset_ms: int = 0
    at: float | str | None = None

    @property
    def type(self) -> str:
        return VECTOR


@dataclass
class MatrixSelector(Node):
    vs: VectorSelector
    range_ms: int

    @property
    def type(self) -> str:
        return MATRIX


@dataclass
class SubqueryExpr(Node):
    expr: Node
    range_ms: int
    step_ms: int = 0
    offset_ms: int = 0
    at: float | str | None = None

    @property
    def type(self) -> str:
        return MATRIX


@dataclass
class Call(Node):
    name: str
    args: list[Node]
    return_type: str = VECTOR

    @property
    def type(self) -> str:
        return self.return_type


@dataclass
class AggregateExpr(Node):
    op: str
    expr: Node
    param: Node | None = None
    grouping: list[str] = field(default_factory=list)
    without: bool = False

    @property
    def type(self) -> str:
        return VECTOR


@dataclass
class VectorMatching:
    """``on``/``ignoring`` labels and the cardinality (``one-to-one``, ``many-to-one``,
    ``one-to-many``, ``many-to-many``); ``include`` are the group_left/right labels."""

    card: str = "one-to-one"
    labels: list[str] = field(default_factory=list)
    on: bool = False
    include: list[str] = field(default_factory=list)


@dataclass
class BinaryExpr(Node):
    op: str
    lhs: Node
    rhs: Node
    matching: VectorMatching | None = None
    return_bool: bool = False

    @property
    def type(self) -> str:
        if self.lhs.type == SCALAR and self.rhs.type == SCALAR:
            return SCALAR
        return VECTOR


@dataclass
class UnaryExpr(Node):
    op: str
    expr: Node

    @property
    def type(self) -> str:
        return self.expr.type


@dataclass
class ParenExpr(Node):
    expr: Node

    @property
    def type(self) -> str:
        return self.expr.type


def unwrap(node: Node) -> Node:
    """The node inside any number of parentheses."""
    while isinstance(node, ParenExpr):
        node = node.expr
    return node

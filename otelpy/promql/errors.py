"""Errors of the PromQL engine: a parse error knows its offset in the query."""

from __future__ import annotations


class PromQLError(Exception):
    """Base of the engine's errors."""


class ParseError(PromQLError):
    """A query that does not parse or type-check; ``pos`` is the character offset."""

    def __init__(self, pos: int, msg: str) -> None:
        super().__init__(msg)
        self.pos = pos
        self.msg = msg

    def render(self, query: str) -> str:
        """``line:col: parse error: msg`` as Prometheus prints it (1-based)."""
        before = query[:self.pos]
        line = before.count("\n") + 1
        col = self.pos - (before.rfind("\n") + 1) + 1
        return f"{line}:{col}: parse error: {self.msg}"


class EvalError(PromQLError):
    """A query that parsed but failed while evaluating (e.g. many-to-many matching)."""

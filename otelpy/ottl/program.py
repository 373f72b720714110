"""Groups of statements or conditions compiled for one context, and how they run over a
decoded request.

A transform group runs its statements, in order, on every item of its context (every span
for ``span``, every resource for ``resource``, ...), skipping items that match none of the
group's ``conditions``. A filter set tells whether any of its conditions holds for an item.
What happens when a statement fails on an item is the ``error_mode``'s decision:
``ignore`` reports it and goes on with the next statement, ``silent`` goes on without
reporting, ``propagate`` raises :class:`StatementFailed`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from otelpy.component import Signal
from otelpy.ottl import keyindex
from otelpy.ottl import syntax as s
from otelpy.ottl.compiler import Compiler, Test
from otelpy.ottl.errors import EvalError, OttlError, ParseError
from otelpy.ottl.functions import Run
from otelpy.ottl.parser import parse_condition, parse_statement
from otelpy.ottl.paths import PARENT, path_context, reachable
from otelpy.pdata import items

#: the contexts statements of each signal may use, outermost first
SIGNAL_CONTEXTS: dict[Signal, tuple[str, ...]] = {
    Signal.TRACES: ("resource", "scope", "span", "spanevent"),
    Signal.METRICS: ("resource", "scope", "metric", "datapoint"),
    Signal.LOGS: ("resource", "scope", "log"),
}
_WALKS: dict[str, Callable[[Any], Iterator[Any]]] = {
    "resource": items.resources, "scope": items.scopes, "span": items.spans,
    "spanevent": items.span_events, "log": items.log_records, "metric": items.metrics,
    "datapoint": items.data_points,
}
#: errors a statement may raise on odd data (types, ranges); anything else is a bug
RUN_ERRORS = (EvalError, TypeError, ValueError, OverflowError, RecursionError)


class ErrorMode(StrEnum):
    IGNORE = "ignore"
    SILENT = "silent"
    PROPAGATE = "propagate"


class CompileError(OttlError):
    """Statement ``index`` of a list (0-based) is invalid; ``column`` is in its text."""

    def __init__(self, index: int, text: str, error: ParseError) -> None:
        super().__init__(f"column {error.column}: {error.message} in {text!r}")
        self.index, self.text, self.column, self.message = index, text, error.column, error.message


class StatementFailed(OttlError):
    """A statement or condition failed on an item under ``error_mode: propagate``."""


Report = Callable[[str, Exception], None]


def _paths(node: Any) -> Iterator[s.Path]:
    if isinstance(node, s.Path):
        yield node
        return
    if isinstance(node, (s.Literal, s.Symbol, str, int, float, bytes, bool)) or node is None:
        return
    if isinstance(node, tuple):
        for child in node:
            yield from _paths(child)
        return
    for name in getattr(node, "__dataclass_fields__", {}):
        yield from _paths(getattr(node, name))


def infer_context(trees: Iterable[Any], signal: Signal) -> str | None:
    """The deepest context named by the paths of ``trees`` (``span`` for ``span.name`` with
    ``resource.attributes``), or None when no path names one. Raises ParseError (column of
    the offending path) when two named contexts are not on one line of descent or one is
    not available for the signal."""
    allowed = SIGNAL_CONTEXTS[signal]
    deepest: str | None = None
    for tree in trees:
        for path in _paths(tree):
            named = path_context(path)
            if named is None:
                continue
            if named not in allowed:
                raise ParseError(f'"{named}" paths are not available for {signal}', path.column)
            if deepest is None or deepest in reachable(named):
                deepest = named
            elif named not in reachable(deepest):
                raise ParseError(f'"{named}" and "{deepest}" paths cannot be used together',
                                 path.column)
    return deepest


def _parse_all(texts: Sequence[str], parse: Callable[[str], Any], offset: int = 0) -> list[Any]:
    trees = []
    for i, text in enumerate(texts):
        try:
            trees.append(parse(text))
        except ParseError as exc:
            raise CompileError(offset + i, text, exc) from None
    return trees


def _choose_context(trees: list[tuple[int, str, Any]], signal: Signal, context: str | None) -> str:
    if context is not None:
        if context not in SIGNAL_CONTEXTS[signal]:
            raise ValueError(f'context "{context}" is not one of '
                             f'{", ".join(SIGNAL_CONTEXTS[signal])} for {signal}')
        return context
    inferred = None
    for n, (index, text, _) in enumerate(trees):  # the first tree that does not fit
        try:
            inferred = infer_context([t for _, _, t in trees[:n + 1]], signal)
        except ParseError as exc:
            raise CompileError(index, text, exc) from None
    if inferred is None:
        index, text, _ = trees[0]
        raise CompileError(index, text, ParseError(
            "cannot infer the context: prefix paths with it (span.attributes, log.body, "
            "...) or set context", 1))
    return inferred


@dataclass(frozen=True)
class StatementGroup:
    """Statements that run together on the items of one context."""

    context: str
    statements: tuple[tuple[str, Run], ...]
    conditions: tuple[tuple[str, Test], ...]
    uses_cache: bool

    @classmethod
    def compile(cls, statements: Sequence[str], signal: Signal, context: str | None = None,
                conditions: Sequence[str] = (), fast: bool = True) -> StatementGroup:
        """Raises CompileError naming the statement (conditions are numbered after the
        statements' indexes only in their own list: see ``CompileError.index``) and
        ValueError for an unknown context. ``fast=False`` leaves out the fast paths (for
        the tests that compare them with the general closures)."""
        stmt_trees = _parse_all(statements, parse_statement)
        cond_trees = _parse_all(conditions, parse_condition)
        tagged = [(i, t, tree) for i, (t, tree) in enumerate(zip(statements, stmt_trees,
                                                                 strict=True))]
        tagged += [(i, t, tree) for i, (t, tree) in enumerate(zip(conditions, cond_trees,
                                                                  strict=True))]
        chosen = _choose_context(tagged, signal, context)
        compiler = Compiler(chosen, fast)
        runs = tuple((text, _compiled(i, text, compiler.statement, tree))
                     for i, (text, tree) in enumerate(zip(statements, stmt_trees, strict=True)))
        tests = tuple((text, _compiled(i, text, compiler.condition, tree))
                      for i, (text, tree) in enumerate(zip(conditions, cond_trees, strict=True)))
        compiler.finish()
        return cls(chosen, runs, tests, compiler.uses_cache)

    def execute(self, request: Any, mode: ErrorMode, report: Report) -> int:
        """Run the group over every item of its context; returns how many statement
        runs failed (reported unless silent). Raises StatementFailed under propagate."""
        failures = 0
        shared: dict[str, Any] = {}
        statements, conditions = self.statements, self.conditions
        keyindex.reset()  # changes between runs are not seen by the index: start afresh
        next_item = keyindex.next_item
        try:
            for item in _WALKS[self.context](request):
                next_item()
                cache = {} if self.uses_cache else shared
                if conditions and not self._admitted(item, cache, mode, report):
                    continue
                for text, run in statements:
                    try:
                        run(item, cache)
                    except RUN_ERRORS as exc:
                        failures += 1
                        _failed(text, exc, mode, report)
        finally:
            keyindex.reset()
        return failures

    def _admitted(self, item: Any, cache: dict[str, Any], mode: ErrorMode,
                  report: Report) -> bool:
        for text, test in self.conditions:
            try:
                if test(item, cache):
                    return True
            except RUN_ERRORS as exc:
                _failed(text, exc, mode, report)
        return False


def _compiled(index: int, text: str, build: Callable[[Any], Any], tree: Any) -> Any:
    try:
        return build(tree)
    except ParseError as exc:
        raise CompileError(index, text, exc) from None


def _failed(text: str, exc: Exception, mode: ErrorMode, report: Report) -> None:
    if mode is ErrorMode.PROPAGATE:
        raise StatementFailed(f"failed to execute {text!r}: {exc}") from exc
    if mode is ErrorMode.IGNORE:
        report(text, exc)


@dataclass(frozen=True)
class ConditionSet:
    """Conditions ORed together, for one context (the filter processor's lists)."""

    context: str
    conditions: tuple[tuple[str, Test], ...]
    uses_cache: bool

    @classmethod
    def compile(cls, conditions: Sequence[str], signal: Signal,
                context: str | None = None, fast: bool = True) -> ConditionSet:
        trees = _parse_all(conditions, parse_condition)
        chosen = _choose_context([(i, t, tree) for i, (t, tree) in enumerate(
            zip(conditions, trees, strict=True))], signal, context)
        compiler = Compiler(chosen, fast)
        tests = tuple((text, _compiled(i, text, compiler.condition, tree))
                      for i, (text, tree) in enumerate(zip(conditions, trees, strict=True)))
        compiler.finish()
        return cls(chosen, tests, compiler.uses_cache)

    def matches(self, item: Any, mode: ErrorMode, report: Report) -> bool:
        """Whether any condition holds; a failing condition counts as not holding (after
        reporting) unless ``mode`` is propagate."""
        return self._any(item, lambda text, exc: _failed(text, exc, mode, report))

    def holds(self, item: Any) -> bool:
        """Whether any condition holds; raises StatementFailed when one fails to evaluate
        (for callers that decide themselves what a failure means, like routing)."""
        return self._any(item, _raise_failed)

    def drop(self, request: Any, retain: Callable[[Any, Callable[[Any], bool]], int],
             mode: ErrorMode, report: Report) -> int:
        """Remove the items of ``request`` that any condition matches, in one pass of
        ``retain`` (one of ``otelpy.pdata.items.retain_*``, for this set's context);
        returns what ``retain`` counted. A failing condition counts as not holding, as in
        :meth:`matches`; values of parent contexts are kept for the request (nothing
        changes during the pass)."""
        tests, uses_cache, next_item = self.conditions, self.uses_cache, keyindex.next_item
        shared: dict[str, Any] = {}

        def keep(item: Any) -> bool:
            next_item()
            cache: dict[str, Any] = {} if uses_cache else shared
            for text, test in tests:
                try:
                    if test(item, cache):
                        return False
                except RUN_ERRORS as exc:
                    _failed(text, exc, mode, report)
            return True
        keyindex.reset()
        try:
            return retain(request, keep)
        finally:
            keyindex.reset()

    def _any(self, item: Any, failed: Callable[[str, Exception], None]) -> bool:
        cache: dict[str, Any] = {}
        keyindex.reset()
        for text, test in self.conditions:
            try:
                if test(item, cache):
                    return True
            except RUN_ERRORS as exc:
                failed(text, exc)
        return False


def _raise_failed(text: str, exc: Exception) -> None:
    raise StatementFailed(f"failed to execute {text!r}: {exc}") from exc


def contexts_below(context: str) -> list[str]:
    """The contexts whose parent chain includes ``context`` (itself included)."""
    return [c for c in PARENT if context in reachable(c)]

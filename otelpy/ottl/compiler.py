"""Statements and conditions compiled once into closures over one pdata item.

``Compiler(context).statement(tree)`` returns a closure ``run(item, cache)`` that applies
the editor when the ``where`` clause holds; ``.condition(tree)`` returns
``test(item, cache) -> bool``. Every name (path, function, enum) is resolved here, so a
misspelt one is a config error with its column, and evaluation does no lookups.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import replace
from operator import attrgetter
from typing import Any

from otelpy.ottl import keyindex
from otelpy.ottl import syntax as s
from otelpy.ottl.converters import CONVERTERS
from otelpy.ottl.editors import EDITORS
from otelpy.ottl.errors import EvalError, ParseError
from otelpy.ottl.fields import ENUMS, TABLES
from otelpy.ottl.functions import Function, Kind, Run, constant
from otelpy.ottl.paths import Getter, index, path_context, reachable, resolve
from otelpy.ottl.values import arithmetic, compare

Test = Callable[[Any, dict[str, Any]], bool]


def _column(node: Any) -> int:
    return int(getattr(node, "column", 1))


class Compiler:
    """Compiles trees for one evaluation context (``span``, ``log``, ...)."""

    def __init__(self, context: str, fast: bool = True) -> None:
        self.context = context
        self.uses_cache = False
        #: with ``fast=False`` only the general closures are built (the fast paths are
        #: tested against them)
        self.fast = fast
        #: contexts written by targets, and whether values of parent contexts may be kept
        #: per envelope (``finish`` decides, once every statement is compiled)
        self.written: set[str] = set()
        self._keep_parents = [False]

    def finish(self) -> None:
        """Called after the last statement or condition: values read from a parent
        context (a span's resource attributes) are kept per envelope unless some
        statement writes a parent context."""
        self._keep_parents[0] = self.fast and not any(
            c in self.written for c in reachable(self.context)[1:])

    # -- statements and conditions -----------------------------------------------------
    def statement(self, tree: s.Statement) -> Run:
        editor = EDITORS.get(tree.editor.name)
        if editor is None:
            raise ParseError(_unknown(tree.editor.name, "editor"), tree.editor.column)
        body = editor.factory(self._arguments(editor, tree.editor), tree.editor.column)
        if tree.where is None:
            return body
        test = self.condition(tree.where)

        def run(item: Any, cache: dict[str, Any]) -> None:
            if test(item, cache):
                body(item, cache)
        return run

    def condition(self, tree: s.BoolExpr) -> Test:
        if isinstance(tree, s.Comparison):
            return self._comparison(tree)
        if isinstance(tree, s.Not):
            inner = self.condition(tree.operand)
            return lambda item, cache: not inner(item, cache)
        if isinstance(tree, (s.And, s.Or)):
            parts = [self.condition(o) for o in tree.operands]
            if isinstance(tree, s.And):
                return lambda item, cache: all(t(item, cache) for t in parts)
            return lambda item, cache: any(t(item, cache) for t in parts)
        value = self.value(tree.value)

        def const(item: Any, cache: dict[str, Any]) -> bool:
            result = value(item, cache)
            if not isinstance(result, bool):
                raise EvalError(f"a condition must be a bool, not {type(result).__name__}")
            return result
        return const

    def _comparison(self, tree: s.Comparison) -> Test:
        left, op = self.value(tree.left), tree.op
        if isinstance(tree.right, s.Literal):
            right_value = tree.right.value
            if right_value is None and op in ("==", "!="):
                want_nil = op == "=="
                return lambda item, cache: (left(item, cache) is None) is want_nil
            if isinstance(right_value, str) and op in ("==", "!="):
                equal = op == "=="
                return lambda item, cache: (left(item, cache) == right_value) is equal
            if self.fast and isinstance(right_value, (int, float)) \
                    and not isinstance(right_value, bool):
                return _number_comparison(left, op, right_value)
            return lambda item, cache: compare(left(item, cache), op, right_value)
        right = self.value(tree.right)
        return lambda item, cache: compare(left(item, cache), op, right(item, cache))

    # -- values --------------------------------------------------------------------------
    def value(self, node: s.Value) -> Getter:
        if isinstance(node, s.Literal):
            return constant(node.value)
        if isinstance(node, s.Symbol):
            return constant(self._enum(node))
        if isinstance(node, s.Path):
            accessor = self._path(node)
            getter: Getter = accessor.get
            if accessor.context in _ENVELOPE and accessor.context != self.context \
                    and node.fields[-1].name != "cache":
                return _per_envelope(getter, _ENVELOPE[accessor.context],
                                     self._keep_parents)
            return getter
        if isinstance(node, s.Call):
            return self._converter(node)
        if isinstance(node, s.ListValue):
            items = [self.value(v) for v in node.items]
            return lambda item, cache: [g(item, cache) for g in items]
        if isinstance(node, s.MapValue):
            pairs = [(k, self.value(v)) for k, v in node.items]
            return lambda item, cache: {k: g(item, cache) for k, g in pairs}
        return self._math(node)

    def _math(self, node: s.Math) -> Getter:
        left, right, op = self.value(node.left), self.value(node.right), node.op
        if node.unary:
            def negate(item: Any, cache: dict[str, Any]) -> Any:
                value = right(item, cache)
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise EvalError(f"unsupported unary minus operation on {value!r}")
                return arithmetic(0, "-", value) if isinstance(value, int) else -value
            return negate
        return lambda item, cache: arithmetic(left(item, cache), op, right(item, cache))

    def _enum(self, node: s.Symbol) -> int:
        table = ENUMS[self.context]
        if node.name not in table:
            raise ParseError(f"enum symbol {node.name} not found in the {self.context} "
                             "context", node.column)
        return table[node.name]

    def _path(self, node: s.Path) -> Any:
        accessor = resolve(node, self.context, TABLES)
        if not self.fast:
            accessor = replace(accessor, entry=None)
        fields = node.fields[1:] if path_context(node) else node.fields
        if fields[0].name == "cache":
            self.uses_cache = True
        return accessor

    def _converter(self, node: s.Call) -> Getter:
        function = CONVERTERS.get(node.name)
        if function is None:
            kind = "editor" if node.name[0].islower() else "converter"
            raise ParseError(_unknown(node.name, kind), node.column)
        run = function.factory(self._arguments(function, node), node.column)
        keys = node.keys
        if not keys:
            return run
        return lambda item, cache: index(run(item, cache), keys)

    # -- arguments -----------------------------------------------------------------------
    def _arguments(self, function: Function, call: s.Call) -> list[Any]:
        params = function.params
        values: list[Any] = [None] * len(params)
        given = [False] * len(params)
        names = [p.name for p in params]
        named_seen = False
        for position, arg in enumerate(call.args):
            if arg.name is not None:
                named_seen = True
                if arg.name not in names:
                    raise ParseError(f'{call.name} has no parameter "{arg.name}"', arg.column)
                slot = names.index(arg.name)
            elif named_seen:
                raise ParseError("unnamed argument used after named argument", arg.column)
            else:
                slot = position
            if slot >= len(params):
                raise ParseError(f"too many arguments to {call.name}: it takes "
                                 f"{len(params)}", arg.column)
            if given[slot]:
                raise ParseError(f'{call.name}: "{names[slot]}" given twice', arg.column)
            values[slot], given[slot] = self._argument(params[slot].kind, arg.value,
                                                       call.name), True
        for slot, param in enumerate(params):
            if not given[slot] and not param.optional:
                raise ParseError(f'not enough arguments to {call.name}: "{param.name}" is '
                                 "missing", call.column)
        return values

    def _argument(self, kind: Kind, node: s.Value, function: str) -> Any:
        column = _column(node)
        if kind is Kind.TARGET:
            if not isinstance(node, s.Path):
                raise ParseError(f"the target of {function} must be a path", column)
            target = self._path(node)
            self.written.add(target.context)
            return target
        if kind is Kind.GETTER:
            return self.value(node)
        if kind is Kind.GETTERS:
            if not isinstance(node, s.ListValue):
                raise ParseError(f"{function} expects a list here", column)
            return [self.value(v) for v in node.items]
        if kind is Kind.STRINGS:
            if not isinstance(node, s.ListValue) or not all(
                    isinstance(v, s.Literal) and isinstance(v.value, str) for v in node.items):
                raise ParseError(f"{function} expects a list of string literals here", column)
            return [v.value for v in node.items]  # type: ignore[union-attr]
        if kind is Kind.FUNCTION:
            if not isinstance(node, s.Symbol):
                raise ParseError(f"{function} expects a converter name here", column)
            return node.name
        wanted = {Kind.STRING: str, Kind.INT: int, Kind.BOOL: bool, Kind.BYTES: bytes}[kind]
        if not isinstance(node, s.Literal) or not isinstance(node.value, wanted) or (
                wanted is int and isinstance(node.value, bool)):
            raise ParseError(f"{function} expects {kind.value} here", column)
        return node.value


_OPERATORS = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
              ">": operator.gt, ">=": operator.ge}


def _number_comparison(left: Getter, op: str, number: float) -> Test:
    """``left op <int or float literal>``: an int or float read compares directly (what
    ``compare`` does for two numbers); anything else goes through ``compare``."""
    direct = _OPERATORS[op]

    def test(item: Any, cache: dict[str, Any]) -> bool:
        value = left(item, cache)
        if type(value) is int or type(value) is float:
            return bool(direct(value, number))
        return compare(value, op, number)
    return test


#: the envelope of an item that a resource or scope value belongs to
_ENVELOPE = {"resource": attrgetter("resource"), "scope": attrgetter("scope")}
_IMMUTABLE = (str, int, float, bytes, type(None))


def _per_envelope(getter: Getter, envelope: Callable[[Any], Any],
                  enabled: list[bool]) -> Getter:
    """``getter`` of a resource or scope path read in a deeper context: read once per
    envelope (not once per span) while ``enabled[0]``. Values are kept in
    ``keyindex.PARENT_VALUES``, which is cleared with the key index (before and after a run
    over a request, and before each item of a per-item condition check), and only when
    immutable (a map or list read is a new object each time, as the getter gives)."""
    memo = keyindex.PARENT_VALUES

    def kept(item: Any, cache: dict[str, Any]) -> Any:
        if not enabled[0]:
            return getter(item, cache)
        env = envelope(item)
        key = (id(kept), id(env))
        hit = memo.get(key)
        if hit is not None and hit[0] is env:
            return hit[1]
        value = getter(item, cache)
        if isinstance(value, _IMMUTABLE):
            memo[key] = (env, value)
        return value
    return kept


def _unknown(name: str, kind: str) -> str:
    return (f'undefined function "{name}": not an OTTL {kind} that otelpy implements '
            "(see otelpy/ottl/README.md for the list)")

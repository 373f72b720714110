"""Span statements and conditions of a few common shapes, mapped to the ops of
``otelpy.native._spanedit`` so the transform and filter processors can run them over the
request's bytes in C instead of over decoded protobuf objects.

A config maps only when every statement (condition) of every group does; otherwise the
processor runs the general path for all of it. The shapes, in the ``span`` context
(``span.`` prefix optional), with the general path's semantics (first occurrence of a key):

* ``set(attributes["k"], resource.attributes["r"])`` (nil: nothing happens)
* ``replace_pattern(attributes["k"], "regex", "replacement")`` on string values
* ``delete_key(attributes, "k")``
* ``set(status.code, STATUS_CODE_...)`` with an optional ``where attributes["k"] <op> N``
  (N an int literal; only int and double values compare, as OTTL)
* ``truncate_all(attributes, N)``
* conditions ``attributes["k"] == "text"`` and ``IsMatch(name, "regex")`` (filter)

At run time the C path hands a request back to the general path (``edit`` answers None)
when it holds what these ops leave alone: a span with a repeated attribute key or status, an
attribute value with several fields, a resource value to copy that is not a plain scalar.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from otelpy.native._spanedit import edit
from otelpy.ottl import syntax as s
from otelpy.ottl.functions import compile_regex
from otelpy.ottl.parser import parse_condition, parse_statement
from otelpy.ottl.patterns import replacer
from otelpy.pdata import Batch

__all__ = ["drop_ops", "run_ops", "span_ops"]

Op = tuple[Any, ...]
_STATUS = {"STATUS_CODE_UNSET": 0, "STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2}
_CMP = {"==": 0, "!=": 1, "<": 2, "<=": 3, ">": 4, ">=": 5}
_EXACT = 2**53  # int literals compared exactly as doubles too


def _fields(path: Any) -> tuple[s.PathField, ...] | None:
    if not isinstance(path, s.Path):
        return None
    fields = path.fields
    return fields[1:] if fields and fields[0].name == "span" and not fields[0].keys else fields


def _span_attr(path: Any) -> str | None:
    fields = _fields(path)
    if (fields is None or len(fields) != 1 or fields[0].name != "attributes"
            or len(fields[0].keys) != 1 or not isinstance(fields[0].keys[0], str)):
        return None
    return fields[0].keys[0]


def _span_field(path: Any, *names: str) -> bool:
    fields = _fields(path)
    return fields is not None and tuple((f.name, f.keys) for f in fields) == tuple(
        (n, ()) for n in names)


def _resource_attr(path: Any) -> str | None:
    if not isinstance(path, s.Path) or len(path.fields) != 2:
        return None
    res, attrs = path.fields
    if res.name != "resource" or res.keys or attrs.name != "attributes":
        return None
    return attrs.keys[0] if len(attrs.keys) == 1 and isinstance(attrs.keys[0], str) else None


def _literal(node: Any, kind: type) -> Any:
    if isinstance(node, s.Literal) and type(node.value) is kind:
        return node.value
    return None


def _args(call: s.Call, count: int) -> list[Any] | None:
    if call.keys or len(call.args) != count or any(a.name is not None for a in call.args):
        return None
    return [a.value for a in call.args]


def _where(cond: Any) -> tuple[str, int, int] | None:
    if not isinstance(cond, s.Comparison) or cond.op not in _CMP:
        return None
    key, number = _span_attr(cond.left), _literal(cond.right, int)
    if key is None or number is None or abs(number) >= _EXACT:
        return None
    return key, _CMP[cond.op], number


def _statement(tree: s.Statement) -> Op | None:
    call = tree.editor
    if call.name == "set" and (args := _args(call, 2)) is not None:
        if _span_field(args[0], "status", "code"):
            code = (_STATUS.get(args[1].name) if isinstance(args[1], s.Symbol)
                    else _literal(args[1], int))
            if code not in (0, 1, 2):
                return None
            if tree.where is None:
                return (3, code, "", 5, float("-inf"))  # never compares: see below
            where = _where(tree.where)
            return None if where is None else (3, code, where[0], where[1], float(where[2]))
        key, res_key = _span_attr(args[0]), _resource_attr(args[1])
        if key is not None and res_key is not None and tree.where is None:
            return (0, key, res_key)
        return None
    if tree.where is not None:
        return None
    if call.name == "replace_pattern" and (args := _args(call, 3)) is not None:
        key, regex, template = _span_attr(args[0]), _literal(args[1], str), _literal(args[2], str)
        if key is None or regex is None or template is None:
            return None
        return (1, key, replacer(compile_regex(regex, 0), template, None, None))
    if call.name == "delete_key" and (args := _args(call, 2)) is not None:
        key = _literal(args[1], str)
        return (2, key) if _span_field(args[0], "attributes") and key is not None else None
    if call.name == "truncate_all" and (args := _args(call, 2)) is not None:
        limit = _literal(args[1], int)
        ok = _span_field(args[0], "attributes") and limit is not None and limit >= 0
        return (4, limit) if ok else None
    return None


def span_ops(groups: Sequence[tuple[str, Sequence[str], Sequence[str]]]) -> tuple[Op, ...] | None:
    """The ops of transform groups (context, statements, conditions) in order, or None
    when one of them does not map."""
    ops: list[Op] = []
    for context, statements, conditions in groups:
        if context != "span" or conditions:
            return None
        for text in statements:
            op = _statement(parse_statement(text))
            if op is None or (op[0] == 3 and op[2] == ""):
                return None  # an unconditional status set: rare, left to the general path
            ops.append(op)
    return tuple(ops)


def _condition(tree: Any) -> Op | None:
    if isinstance(tree, s.Comparison) and tree.op == "==":
        key, text = _span_attr(tree.left), _literal(tree.right, str)
        return None if key is None or text is None else (5, key, text)
    if isinstance(tree, s.BoolConst) and isinstance(tree.value, s.Call):
        call = tree.value
        args = _args(call, 2) if call.name == "IsMatch" else None
        if args is None or not _span_field(args[0], "name"):
            return None
        regex = _literal(args[1], str)
        if regex is None:
            return None
        search = compile_regex(regex, 0).search
        return (6, lambda name: search(name) is not None)
    return None


def drop_ops(context: str, conditions: Sequence[str]) -> tuple[Op, ...] | None:
    """The ops dropping the spans any of ``conditions`` matches, or None."""
    if context != "span":
        return None
    ops = [_condition(parse_condition(text)) for text in conditions]
    return None if any(op is None for op in ops) else tuple(op for op in ops if op)


def run_ops(batch: Batch, ops: tuple[Op, ...]) -> int | None:
    """Run ``ops`` over the batch's bytes and put the result in the batch; how many spans
    were dropped, or None when the request needs the general path (malformed or non-UTF-8
    bytes are left for it to report, as it always did)."""
    try:
        result = edit(batch.data, ops)
    except ValueError:
        return None
    if result is None:
        return None
    data, dropped = result
    if data is not batch.data:
        batch.set_data(data, dropped)
    return dropped

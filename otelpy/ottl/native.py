"""Span statements and conditions of common shapes, mapped to the ops of
``otelpy.native._spanedit`` (see the op list at the top of spanedit.c) so the transform and
filter processors can run them over the request's bytes in C instead of over decoded
protobuf objects.

A config maps only when every statement and condition of every group does; otherwise the
processor runs the general path for all of it. In the ``span`` context (``span.`` prefix
optional), with the general path's semantics (first occurrence of a key, ``set`` ignores
nil, OTTL's comparison rules):

* ``set(attributes["k"], <literal> | resource.attributes["r"] | attributes["o"])``
* ``set(status.code, STATUS_CODE_... | <int>)``
* ``replace_pattern(attributes["k"], "regex", "replacement"[, SHA256[, "format"]])``
* ``delete_key(attributes, "k")``, ``truncate_all(attributes, N)``
* each with a ``where`` clause, and group ``conditions``, made of: ``attributes["k"]``,
  ``resource.attributes["k"]`` or ``name`` compared (``== != < <= > >=``) with a literal
  (nil, bool, int, float, string, bytes), ``IsMatch(name, "regex")`` (a regex that is a
  literal, optionally after ``^``, is a byte search in C; any other calls ``re``),
  ``true``/``false``, ``and``/``or``/``not``
* filter conditions of the same kinds.

None of these can fail on an item, so ``error_mode`` makes no difference. At run time the
C path hands a request back to the general path (``edit`` answers None) when it holds what
protobuf would read otherwise than one plain field: a repeated attribute key or status,
a KeyValue or AnyValue with repeated or unknown fields, an array or map to copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from otelpy.native._spanedit import edit
from otelpy.ottl import syntax as s
from otelpy.ottl.converters import HASHES
from otelpy.ottl.fields import ENUMS
from otelpy.ottl.functions import compile_regex
from otelpy.ottl.parser import parse_condition, parse_statement
from otelpy.ottl.patterns import replacer
from otelpy.ottl.program import RUN_ERRORS as _RUN_ERRORS
from otelpy.pdata import Batch
from otelpy.pdata.values import INT64_MAX, INT64_MIN, set_value

__all__ = ["drop_ops", "run", "run_ops", "span_ops"]

Op = tuple[Any, ...]
_CMP = {"==": 0, "!=": 1, "<": 2, "<=": 3, ">": 4, ">=": 5}
_FLIPPED = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_REGEX_SPECIAL = frozenset(".^$*+?{}[]\\|()")
_INT32 = (-(2**31), 2**31 - 1)
# op and condition codes of spanedit.c
_SET, _SWAP, _DELETE, _STATUS, _TRUNCATE, _DROP, _GATE = range(7)
_FROM_RESOURCE, _FROM_LITERAL, _FROM_ATTR = range(3)
_C_ATTR, _C_NAME, _C_PREFIX, _C_CONTAINS, _C_CALL, _C_AND, _C_OR, _C_NOT, _C_RESOURCE = range(9)


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


def _scalar(node: Any) -> tuple[bool, Any]:
    """(True, value) for a literal the C side compares or stores: nil, bool, an int64,
    float, string, bytes; an enum symbol is its int."""
    if isinstance(node, s.Symbol) and node.name in ENUMS["span"]:
        return True, ENUMS["span"][node.name]
    if not isinstance(node, s.Literal):
        return False, None
    value = node.value
    if type(value) is int and not INT64_MIN <= value <= INT64_MAX:
        return False, None
    return True, value


def _args(call: s.Call, low: int, high: int | None = None) -> list[Any] | None:
    if call.keys or not low <= len(call.args) <= (high or low) \
            or any(a.name is not None for a in call.args):
        return None
    return [a.value for a in call.args]


# -- conditions ---------------------------------------------------------------------------
def _comparison(tree: s.Comparison) -> Op | None:
    left, op, right = tree.left, tree.op, tree.right
    if isinstance(left, (s.Literal, s.Symbol)):
        left, op, right = right, _FLIPPED[op], left
    ok, literal = _scalar(right)
    if not ok:
        return None
    key = _span_attr(left)
    if key is not None:
        return (_C_ATTR, key, _CMP[op], literal)
    if (res_key := _resource_attr(left)) is not None:
        return (_C_RESOURCE, res_key, _CMP[op], literal)
    return (_C_NAME, _CMP[op], literal) if _span_field(left, "name") else None


def _is_match(call: s.Call) -> Op | None:
    args = _args(call, 2) if call.name == "IsMatch" else None
    if args is None or not _span_field(args[0], "name"):
        return None
    regex = _literal(args[1], str)
    if regex is None:
        return None
    anchored = regex.startswith("^")
    text = regex[1:] if anchored else regex
    if not _REGEX_SPECIAL.intersection(text):  # matches itself: a byte search
        return (_C_PREFIX if anchored else _C_CONTAINS, text)
    search = compile_regex(regex, 0).search
    return (_C_CALL, lambda name: search(name) is not None)


def _condition(tree: Any) -> Op | None:
    if isinstance(tree, s.Comparison):
        return _comparison(tree) if tree.op in _CMP else None
    if isinstance(tree, s.Not):
        inner = _condition(tree.operand)
        return None if inner is None else (_C_NOT, inner)
    if isinstance(tree, (s.And, s.Or)):
        parts = [_condition(o) for o in tree.operands]
        if any(p is None for p in parts):
            return None
        return (_C_AND if isinstance(tree, s.And) else _C_OR, tuple(parts))
    if isinstance(tree, s.BoolConst):
        if isinstance(tree.value, s.Call):
            return _is_match(tree.value)
        if type(tree.value.value) is bool:  # true: an empty and; false: an empty or
            return (_C_AND if tree.value.value else _C_OR, ())
    return None


# -- statements ---------------------------------------------------------------------------
def _anyvalue(value: Any) -> bytes:
    holder = AnyValue()
    set_value(holder, value)
    return holder.SerializeToString()


def _set(target: Any, source: Any, where: Any) -> list[Op] | None:
    if _span_field(target, "status", "code"):
        ok, code = _scalar(source)
        if not ok:
            return None
        if type(code) is not int:
            return []  # the setter ignores what is not an int
        return [(_STATUS, where, code)] if _INT32[0] <= code <= _INT32[1] else None
    key = _span_attr(target)
    if key is None:
        return None
    if (res_key := _resource_attr(source)) is not None:
        return [(_SET, where, key, _FROM_RESOURCE, res_key)]
    if (other := _span_attr(source)) is not None:
        return [(_SET, where, key, _FROM_ATTR, other)]
    ok, literal = _scalar(source)
    if not ok:
        return None
    return [] if literal is None else [(_SET, where, key, _FROM_LITERAL, _anyvalue(literal))]


def _replace_pattern(args: list[Any], where: Any) -> list[Op] | None:
    key, regex, template = _span_attr(args[0]), _literal(args[1], str), _literal(args[2], str)
    function = args[3] if len(args) > 3 else None
    fmt = _literal(args[4], str) if len(args) > 4 else None
    if key is None or regex is None or template is None or (len(args) > 4 and fmt is None):
        return None
    if function is not None and not (isinstance(function, s.Symbol)
                                     and function.name in HASHES):
        return None
    hashing = HASHES[function.name] if function is not None else None
    return [(_SWAP, where, key, replacer(compile_regex(regex, 0), template, hashing, fmt))]


def _statement(tree: s.Statement) -> list[Op] | None:
    where = None
    if tree.where is not None and (where := _condition(tree.where)) is None:
        return None
    call = tree.editor
    if call.name == "set" and (args := _args(call, 2)) is not None:
        return _set(args[0], args[1], where)
    if call.name == "replace_pattern" and (args := _args(call, 3, 5)) is not None:
        return _replace_pattern(args, where)
    if call.name in ("delete_key", "truncate_all") and (args := _args(call, 2)) is not None:
        if not _span_field(args[0], "attributes"):
            return None
        if call.name == "delete_key":
            key = _literal(args[1], str)
            return None if key is None else [(_DELETE, where, key)]
        limit = _literal(args[1], int)
        return None if limit is None or limit < 0 else [(_TRUNCATE, where, limit)]
    return None


def span_ops(groups: Sequence[tuple[str, Sequence[str], Sequence[str]]]) -> tuple[Op, ...] | None:
    """The ops of transform groups (context, statements, conditions) in order, or None
    when one of them does not map."""
    ops: list[Op] = []
    for context, statements, conditions in groups:
        if context != "span":
            return None
        group: list[Op] = []
        for text in statements:
            mapped = _statement(parse_statement(text))
            if mapped is None:
                return None
            group.extend(mapped)
        if conditions:
            gate = [_condition(parse_condition(text)) for text in conditions]
            if any(g is None for g in gate):
                return None
            ops.append((_GATE, (_C_OR, tuple(gate)), len(group)))
        ops.extend(group)
    return tuple(ops)


def drop_ops(context: str, conditions: Sequence[str]) -> tuple[Op, ...] | None:
    """The ops dropping the spans any of ``conditions`` matches, or None."""
    if context != "span":
        return None
    ops = [_condition(parse_condition(text)) for text in conditions]
    if any(op is None for op in ops):
        return None
    return tuple((_DROP, op) for op in ops)


def run(data: bytes, ops: tuple[Op, ...]) -> tuple[bytes, int] | None:
    """``edit(data, ops)``: the new request (``data`` itself when nothing changed) and the
    spans dropped, or None when the general path must run instead: the request holds what
    the ops leave to it, is malformed or not UTF-8 (the general path refuses it as it
    always has), or a regex callback raised what a statement may raise (the general path
    fails the statement under its ``error_mode``)."""
    try:
        return edit(data, ops)
    except _RUN_ERRORS:
        return None


def run_ops(batch: Batch, ops: tuple[Op, ...]) -> int | None:
    """:func:`run` on a batch: the result put in the batch and how many spans were dropped,
    or None when the request needs the general path (the batch is left as it was)."""
    result = run(batch.data, ops)
    if result is None:
        return None
    data, dropped = result
    if data is not batch.data:
        batch.set_data(data, dropped)
    return dropped

"""Editors: functions that change the item (the Collector's ``ottlfuncs``, lower-case
names). The target is a path; map editors change attribute maps in place and write other
maps (cache entries, nested values) back through the path."""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any

from otelpy.ottl import keyindex
from otelpy.ottl.converters import HASHES
from otelpy.ottl.errors import EvalError, ParseError
from otelpy.ottl.functions import (
    Function,
    Kind,
    Run,
    compile_regex,
    expect_map,
    expect_str,
    fn,
    literal_str,
    p,
    write_back,
)
from otelpy.ottl.paths import Accessor, plain
from otelpy.ottl.patterns import glob_regex, replacer
from otelpy.pdata.values import Attributes


def _settable(target: Accessor, column: int) -> Accessor:
    if target.set is None:
        raise ParseError("the target of this editor cannot be set", column)
    return target


def map_editor(change: Callable[[MutableMapping[str, Any]], None]) -> Callable[[Any, int], Run]:
    """The closure of an editor that changes a map target with ``change``."""
    def bind(target: Accessor, column: int) -> Run:
        _settable(target, column)

        def run(item: Any, cache: dict[str, Any]) -> None:
            value = target.get(item, cache)
            if value is None:
                return
            mapping = expect_map(value)
            change(mapping)
            write_back(target, item, cache, mapping)
        return run
    return bind


@fn(p("target", Kind.TARGET), p("value", Kind.GETTER))
def _set(args: list[Any], column: int) -> Run:
    target, getter = args
    setter = _settable(target, column).set
    assert setter is not None

    def run(item: Any, cache: dict[str, Any]) -> None:
        value = getter(item, cache)
        if value is not None:  # the Collector's set ignores nil
            setter(item, cache, value)
    return run


@fn(p("target", Kind.TARGET), p("key", Kind.STRING))
def _delete_key(args: list[Any], column: int) -> Run:
    target, key = args
    raw = target.key_values
    if raw is None:
        return map_editor(lambda m: m.pop(key, None))(target, column)
    return lambda item, cache: keyindex.delete(raw(item), key)


def _drop_where(mapping: MutableMapping[str, Any], doomed: Callable[[str], bool]) -> None:
    if isinstance(mapping, Attributes):
        kvs = mapping.key_values
        for i in reversed([i for i, kv in enumerate(kvs) if doomed(kv.key)]):
            del kvs[i]
        return
    for key in [k for k in mapping if doomed(k)]:
        del mapping[key]


@fn(p("target", Kind.TARGET), p("pattern", Kind.STRING))
def _delete_matching_keys(args: list[Any], column: int) -> Run:
    target, pattern = args
    search = compile_regex(pattern, column).search
    return map_editor(lambda m: _drop_where(m, lambda k: search(k) is not None))(target, column)


@fn(p("target", Kind.TARGET), p("keys", Kind.STRINGS))
def _keep_keys(args: list[Any], column: int) -> Run:
    target, keys = args
    keep = frozenset(keys)
    return map_editor(lambda m: _drop_where(m, lambda k: k not in keep))(target, column)


@fn(p("target", Kind.TARGET), p("pattern", Kind.STRING))
def _keep_matching_keys(args: list[Any], column: int) -> Run:
    target, pattern = args
    search = compile_regex(pattern, column).search
    return map_editor(lambda m: _drop_where(m, lambda k: search(k) is None))(target, column)


@fn(p("target", Kind.TARGET), p("limit", Kind.INT), p("priority_keys", Kind.STRINGS))
def _limit(args: list[Any], column: int) -> Run:
    target, limit, priority = args
    if limit < 1:
        raise ParseError(f"invalid limit for limit function, {limit} cannot be less than 1",
                         column)
    if len(priority) > limit:
        raise ParseError(f"priority_keys cannot have more keys ({len(priority)}) than the "
                         f"limit ({limit})", column)
    keep = frozenset(priority)

    def change(mapping: MutableMapping[str, Any]) -> None:
        if len(mapping) <= limit:
            return
        count = sum(1 for k in keep if k in mapping)
        doomed = []
        for key in list(mapping):
            if key in keep:
                continue
            if count < limit:
                count += 1
            else:
                doomed.append(key)
        doomed_set = frozenset(doomed)
        _drop_where(mapping, lambda k: k in doomed_set)
    return map_editor(change)(target, column)


@fn(p("target", Kind.TARGET), p("source", Kind.GETTER), p("strategy", Kind.STRING))
def _merge_maps(args: list[Any], column: int) -> Run:
    target, source, strategy = args
    if strategy not in ("insert", "update", "upsert"):
        raise ParseError(f"invalid value for strategy, {strategy}, must be 'insert', "
                         "'update' or 'upsert'", column)

    def run(item: Any, cache: dict[str, Any]) -> None:
        incoming = expect_map(source(item, cache), "source")
        incoming = plain(incoming)

        def change(mapping: MutableMapping[str, Any]) -> None:
            for key, value in incoming.items():
                present = key in mapping
                if strategy == "upsert" or (strategy == "insert") != present:
                    _put(mapping, key, value)
        map_editor(change)(target, column)(item, cache)
    return run


def _put(mapping: MutableMapping[str, Any], key: str, value: Any) -> None:
    try:
        mapping[key] = plain(value)
    except (TypeError, OverflowError) as exc:
        raise EvalError(str(exc)) from None


def _function_arg(function: str | None, column: int) -> Callable[[Any], Any] | None:
    if function is None:
        return None
    if function not in HASHES:
        raise ParseError(f"otelpy accepts only {', '.join(HASHES)} as the function argument, "
                         f"not {function}", column)
    return HASHES[function]


def _literal_template(getter: Any, item: Any, cache: dict[str, Any]) -> str:
    return expect_str(getter(item, cache), "replacement")


def _string_editor(target: Accessor, column: int,
                   change: Callable[[Any, dict[str, Any], str], str | None]) -> Run:
    setter = _settable(target, column).set
    assert setter is not None

    def run(item: Any, cache: dict[str, Any]) -> None:
        value = target.get(item, cache)
        if isinstance(value, str):
            new = change(item, cache, value)
            if new is not None and new != value:
                setter(item, cache, new)
    return run


def _cached_replacer(regex: Any, function: Any, fmt: Any) -> Callable[[str], Callable[[str],
                                                                                      str]]:
    made: dict[str, Callable[[str], str]] = {}

    def get(template: str) -> Callable[[str], str]:
        if template not in made:
            if len(made) > 64:
                made.clear()
            made[template] = replacer(regex, template, function, fmt)
        return made[template]
    return get


@fn(p("target", Kind.TARGET), p("regex", Kind.STRING), p("replacement", Kind.GETTER),
    p("function", Kind.FUNCTION, True), p("replacementFormat", Kind.STRING, True))
def _replace_pattern(args: list[Any], column: int) -> Run:
    target, pattern, replacement, function, fmt = args
    make = _cached_replacer(compile_regex(pattern, column), _function_arg(function, column), fmt)
    template = literal_str(replacement)
    if target.entry is not None and template is not None:
        return _replace_in_entry(_settable(target, column).entry, make(template))
    return _string_editor(target, column, lambda item, cache, text: make(
        _literal_template(replacement, item, cache))(text))


def _replace_in_entry(entry: Any, swap: Callable[[str], str]) -> Run:
    """replace_pattern on ``attributes["k"]`` with a literal replacement: the stored string
    is read and changed in place (a key that is absent or not a string is left alone, as
    the general path does)."""
    def run(item: Any, cache: dict[str, Any]) -> None:
        kv = entry(item)
        if kv is None:
            return
        value = kv.value
        if value.WhichOneof("value") == "string_value":
            text = value.string_value
            new = swap(text)
            if new != text:
                value.string_value = new
    return run


@fn(p("target", Kind.TARGET), p("mode", Kind.STRING), p("regex", Kind.STRING),
    p("replacement", Kind.GETTER), p("function", Kind.FUNCTION, True),
    p("replacementFormat", Kind.STRING, True))
def _replace_all_patterns(args: list[Any], column: int) -> Run:
    target, mode, pattern, replacement, function, fmt = args
    if mode not in ("key", "value"):
        raise ParseError(f"invalid mode {mode}, must be either 'key' or 'value'", column)
    make = _cached_replacer(compile_regex(pattern, column), _function_arg(function, column), fmt)

    def run(item: Any, cache: dict[str, Any]) -> None:
        swap = make(_literal_template(replacement, item, cache))

        def change(mapping: MutableMapping[str, Any]) -> None:
            for key in list(mapping):
                if mode == "value":
                    value = mapping[key]
                    if isinstance(value, str):
                        new = swap(value)
                        if new != value:
                            mapping[key] = new
                else:
                    new_key = swap(key)
                    if new_key != key:
                        mapping[new_key] = mapping.pop(key)
        map_editor(change)(target, column)(item, cache)
    return run


def _glob(pattern: str, column: int) -> Any:
    try:
        return glob_regex(pattern)
    except ValueError as exc:
        raise ParseError(str(exc), column) from None


def _hashed(function: Callable[[Any], Any] | None, fmt: str | None, text: str) -> str:
    return text if function is None else (fmt or "%s").replace("%s", str(function(text)), 1)


@fn(p("target", Kind.TARGET), p("pattern", Kind.STRING), p("replacement", Kind.GETTER),
    p("function", Kind.FUNCTION, True), p("replacementFormat", Kind.STRING, True))
def _replace_match(args: list[Any], column: int) -> Run:
    target, pattern, replacement, function, fmt = args
    match, hashing = _glob(pattern, column).match, _function_arg(function, column)
    return _string_editor(target, column, lambda item, cache, text: _hashed(
        hashing, fmt, _literal_template(replacement, item, cache)) if match(text) else None)


@fn(p("target", Kind.TARGET), p("pattern", Kind.STRING), p("replacement", Kind.GETTER),
    p("function", Kind.FUNCTION, True), p("replacementFormat", Kind.STRING, True))
def _replace_all_matches(args: list[Any], column: int) -> Run:
    target, pattern, replacement, function, fmt = args
    match, hashing = _glob(pattern, column).match, _function_arg(function, column)

    def run(item: Any, cache: dict[str, Any]) -> None:
        new = _hashed(hashing, fmt, _literal_template(replacement, item, cache))

        def change(mapping: MutableMapping[str, Any]) -> None:
            for key in list(mapping):
                value = mapping[key]
                if isinstance(value, str) and match(value):
                    mapping[key] = new
        map_editor(change)(target, column)(item, cache)
    return run


def _truncate(text: str, limit: int) -> str | None:
    if len(text) <= limit // 4:
        return None
    raw = text.encode()
    return raw[:limit].decode("utf-8", "ignore") if len(raw) > limit else None


@fn(p("target", Kind.TARGET), p("limit", Kind.INT))
def _truncate_all(args: list[Any], column: int) -> Run:
    target, limit = args
    if limit < 0:
        raise ParseError(f"invalid limit for truncate_all function, {limit} cannot be negative",
                         column)

    raw, shortest = target.key_values, limit // 4  # a longer string may exceed limit bytes
    if raw is not None:
        def run(item: Any, cache: dict[str, Any]) -> None:
            for kv in keyindex.elements(raw(item)):
                value = kv.value
                text = value.string_value  # "" unless it holds a string
                if len(text) > shortest:
                    cut = _truncate(text, limit)
                    if cut is not None:
                        value.string_value = cut
        return run

    def change(mapping: MutableMapping[str, Any]) -> None:
        for key, value in list(mapping.items()):
            if isinstance(value, str):
                cut = _truncate(value, limit)
                if cut is not None:
                    mapping[key] = cut
    return map_editor(change)(target, column)


def _flat(value: Any, prefix: str, depth: int | None, out: dict[str, Any]) -> None:
    for key, inner in value.items():
        name = f"{prefix}.{key}" if prefix else key
        _flat_value(inner, name, depth, out)


def _flat_value(inner: Any, name: str, depth: int | None, out: dict[str, Any]) -> None:
    deeper = None if depth is None else depth - 1
    if isinstance(inner, dict) and (depth is None or depth > 0):
        _flat(inner, name, deeper, out)
    elif isinstance(inner, list) and (depth is None or depth > 0):
        for i, element in enumerate(inner):
            _flat_value(element, f"{name}.{i}", deeper, out)
    else:
        out[name] = inner


@fn(p("target", Kind.TARGET), p("prefix", Kind.STRING, True), p("depth", Kind.INT, True),
    p("resolveConflicts", Kind.BOOL, True))
def _flatten(args: list[Any], column: int) -> Run:
    target, prefix, depth, resolve = args
    if depth is not None and depth < 0:
        raise ParseError("invalid depth for flatten function, {depth} cannot be negative",
                         column)
    if resolve:
        raise ParseError("flatten: resolveConflicts is not implemented by otelpy", column)

    def change(mapping: MutableMapping[str, Any]) -> None:
        flat: dict[str, Any] = {}
        _flat(plain(mapping), prefix or "", depth, flat)
        mapping.clear()
        for key, value in flat.items():
            _put(mapping, key, value)
    return map_editor(change)(target, column)


EDITORS: dict[str, Function] = {
    "set": _set,
    "delete_key": _delete_key,
    "delete_matching_keys": _delete_matching_keys,
    "keep_keys": _keep_keys,
    "keep_matching_keys": _keep_matching_keys,
    "limit": _limit,
    "merge_maps": _merge_maps,
    "replace_pattern": _replace_pattern,
    "replace_all_patterns": _replace_all_patterns,
    "replace_match": _replace_match,
    "replace_all_matches": _replace_all_matches,
    "truncate_all": _truncate_all,
    "flatten": _flatten,
}

"""One attribute action as written in a config (the Collector's ``attraction`` keys) and
the rules a list of them must follow.

The rules and their wording follow the Collector's ``NewAttrProc``; each message names the
action by its YAML path (``actions::2: ...``) so ``otelpy validate`` places it at that
list item's line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pydantic import Field

from otelpy.config.problems import did_you_mean
from otelpy.config.types import ConfigModel
from otelpy.goregex import compile_go
from otelpy.pdata.values import value_of

__all__ = ["ACTIONS", "CONVERTED_TYPES", "ActionKeyValue", "action_problems"]

ACTIONS = ("insert", "update", "upsert", "delete", "hash", "extract", "convert")
CONVERTED_TYPES = ("int", "double", "string")
_SETTING = ("insert", "update", "upsert")


class ActionKeyValue(ConfigModel):
    """One action on an attribute map; actions run in the order written."""

    key: str = Field(
        default="",
        description="The attribute to act on. Required, except for delete and hash with a "
                    "pattern.")
    action: str = Field(
        default="",
        description="insert, update, upsert, delete, hash, extract or convert (either case).")
    value: Any = Field(
        default=None,
        description="insert/update/upsert: the value to set; its YAML type becomes the "
                    "attribute type (string, int, double, bool, list, map).")
    from_attribute: str = Field(
        default="",
        description="insert/update/upsert: copy the value of this attribute; nothing happens "
                    "when it is absent (unless default_value is set).")
    from_context: str = Field(
        default="",
        description="insert/update/upsert: take the value from the client metadata of "
                    "receivers with include_metadata: \"metadata.<key>\" (or the bare key); "
                    "several values are joined with \";\". auth.* and client.address are not "
                    "carried by otelpy and are refused.")
    default_value: Any = Field(
        default=None,
        description="insert/update/upsert: the value to use when value/from_attribute "
                    "provide none (attribute absent).")
    pattern: str = Field(
        default="",
        description="delete/hash: a regular expression (RE2) selecting attribute keys to act "
                    "on too. extract: the regular expression applied to the value of key; "
                    "each named group (?P<name>...) sets the attribute name (overwriting).")
    converted_type: str = Field(
        default="",
        description="convert: the target type, int, double or string. Values that cannot be "
                    "converted are left as they are.")


def _sources(a: ActionKeyValue) -> list[str]:
    named = [("value", a.value is not None), ("from_attribute", bool(a.from_attribute)),
             ("from_context", bool(a.from_context))]
    return [name for name, present in named if present]


def _regex_problem(pattern: str, extract: bool) -> str | None:
    try:
        compiled = compile_go(pattern)
    except re.error as exc:
        return f'field "pattern" has invalid pattern "{pattern}": {exc}'
    if not extract:
        return None
    if compiled.groups == 0:
        return 'field "pattern" contains no named matcher groups'
    if compiled.groups > len(compiled.groupindex):
        return 'field "pattern" contains at least one unnamed matcher group'
    return None


def _setting_problems(a: ActionKeyValue, action: str) -> list[str]:
    sources = _sources(a)
    out = []
    if not sources and a.default_value is None:
        out.append('either field "value", "from_attribute", "from_context" or '
                   '"default_value" must be specified')
    if len(sources) > 1:
        out.append("multiple value sources are set (" + ", ".join(f'"{s}"' for s in sources)
                   + "); use one")
    if a.pattern:
        out.append(f'action "{action}" does not use the "pattern" field; remove it')
    if a.from_context.startswith("auth.") or a.from_context == "client.address":
        out.append(f'from_context "{a.from_context}": otelpy carries client metadata '
                   '(metadata.<key>) with the data, not authentication results or the client '
                   "address; use a metadata key")
    for name, raw in (("value", a.value), ("default_value", a.default_value)):
        if raw is not None:
            try:
                value_of(raw)
            except (TypeError, OverflowError) as exc:
                out.append(f'"{name}" cannot be an attribute value: {exc}')
    return out


def _other_problems(a: ActionKeyValue, action: str) -> list[str]:
    out = []
    if action in ("delete", "hash"):
        if a.value is not None or a.from_attribute:
            out.append(f'action "{action}" does not use the "value" or "from_attribute" '
                       "field; remove them")
        if a.pattern:
            out.extend(p for p in [_regex_problem(a.pattern, extract=False)] if p)
    elif action == "extract":
        if _sources(a):
            out.append(f'action "{action}" does not use a value source field; remove it')
        if not a.pattern:
            out.append('missing required field "pattern" for action "extract"')
        else:
            out.extend(p for p in [_regex_problem(a.pattern, extract=True)] if p)
    elif action == "convert":
        if _sources(a) or a.pattern:
            out.append(f'action "{action}" does not use value sources or the "pattern" '
                       "field; remove them")
        if not a.converted_type:
            out.append('missing required field "converted_type" for action "convert"')
        elif a.converted_type not in CONVERTED_TYPES:
            out.append(f'invalid value "{a.converted_type}" in field "converted_type": '
                       "expected int, double or string"
                       + did_you_mean(a.converted_type, CONVERTED_TYPES))
    return out


def _one_action(a: ActionKeyValue) -> list[str]:
    action = a.action.lower()
    if action not in ACTIONS:
        return [f'unsupported action "{a.action}": expected one of {", ".join(ACTIONS)}'
                + did_you_mean(action, ACTIONS)]
    if action in ("delete", "hash"):
        if not a.key and not a.pattern:
            return ['missing required field: at least one of "key" and "pattern" must be set']
    elif not a.key:
        return ['missing required field "key"']
    if action in _SETTING:
        return _setting_problems(a, action)
    if a.converted_type and action != "convert":
        return [f'action "{action}" does not use the "converted_type" field; remove it']
    return _other_problems(a, action)


def action_problems(actions: Sequence[ActionKeyValue], field: str) -> list[str]:
    """Every problem of ``actions`` (the list under ``field``), as ``field::i: message``."""
    if not actions:
        return [f'{field}: missing required field "{field}" (at least one action)']
    return [f"{field}::{i}: {problem}"
            for i, a in enumerate(actions) for problem in _one_action(a)]

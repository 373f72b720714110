"""Prometheus relabelling: every action, Prometheus's defaults and its config checks.

A :class:`RelabelRule` is one ``relabel_configs`` / ``metric_relabel_configs`` entry,
compiled once; :func:`relabel` applies a list of them to a label set the way Prometheus's
``model/relabel`` does:

* the values of ``source_labels`` are joined with ``separator`` (default ``;``);
* ``regex`` (default ``(.*)``, RE2 syntax) is anchored at both ends;
* ``replacement`` (default ``$1``) and a templated ``target_label`` are expanded as Go's
  ``Regexp.Expand`` does: ``$1``, ``${1}``, ``$name``, ``${name}``, ``$$``; a name is the
  longest run of letters, digits and ``_`` (so ``$1_x`` names group ``1_x`` and expands to
  nothing, as in Prometheus);
* setting a label to the empty string deletes it.

Actions: replace, keep, drop, keepequal, dropequal, hashmod, labelmap, labeldrop, labelkeep,
lowercase, uppercase (names are case-insensitive, as in Prometheus).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from otelpy.goregex import compile_go

__all__ = ["ACTIONS", "RelabelRule", "compile_rule", "expand", "relabel", "rule_problems"]

ACTIONS = ("replace", "keep", "drop", "keepequal", "dropequal", "hashmod", "labelmap",
           "labeldrop", "labelkeep", "lowercase", "uppercase")

DEFAULT_REGEX = "(.*)"
DEFAULT_SEPARATOR = ";"
DEFAULT_REPLACEMENT = "$1"

_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_TEMPLATED_TARGET = re.compile(r"(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+", re.ASCII)
_LEADING_FLAGS = re.compile(r"^\(\?([imsU]+)\)")
_NAME_CHAR = re.compile(r"\w+")


def _anchored(pattern: str) -> re.Pattern[str]:
    """``pattern`` compiled for whole-string matching (RE2 flags at the start are hoisted:
    Python refuses global flags after ``(?:``)."""
    flags = ""
    m = _LEADING_FLAGS.match(pattern)
    while m:
        flags += m.group(1)
        pattern = pattern[m.end():]
        m = _LEADING_FLAGS.match(pattern)
    if "U" in flags:
        raise re.error("the U (ungreedy) flag is not supported")
    prefix = f"(?{''.join(sorted(set(flags)))})" if flags else ""
    return compile_go(f"{prefix}(?:{pattern})")


def expand(template: str, match: re.Match[str]) -> str:
    """Go's ``Regexp.Expand`` of ``template`` for ``match``."""
    if "$" not in template:
        return template
    out: list[str] = []
    rest = template
    groups = match.re.groupindex
    while True:
        before, dollar, rest = rest.partition("$")
        out.append(before)
        if not dollar:
            return "".join(out)
        if rest.startswith("$"):
            out.append("$")
            rest = rest[1:]
            continue
        name, rest_after = _extract(rest)
        if name is None:
            out.append("$")
            continue
        rest = rest_after
        out.append(_group_text(match, name, groups))


def _extract(text: str) -> tuple[str | None, str]:
    brace = text.startswith("{")
    body = text[1:] if brace else text
    m = _NAME_CHAR.match(body)
    if m is None:
        return None, text
    name, end = m.group(0), m.end()
    if brace:
        if end >= len(body) or body[end] != "}":
            return None, text
        end += 1
    return name, body[end:]


def _group_text(match: re.Match[str], name: str, groups: Mapping[str, int]) -> str:
    if name.isascii() and name.isdigit():
        if len(name) > 1 and name[0] == "0" or len(name) > 8:
            return ""
        index = int(name)
        if index > (match.re.groups or 0):
            return ""
        return match.group(index) or ""
    if name in groups:
        return match.group(name) or ""
    return ""


@dataclass(frozen=True)
class RelabelRule:
    """One compiled relabel config."""

    action: str = "replace"
    source_labels: tuple[str, ...] = ()
    separator: str = DEFAULT_SEPARATOR
    regex: re.Pattern[str] = _anchored(DEFAULT_REGEX)
    target_label: str = ""
    replacement: str = DEFAULT_REPLACEMENT
    modulus: int = 0


def rule_problems(action: str, source_labels: Sequence[str], separator: str | None,
                  regex: str | None, target_label: str, replacement: str | None,
                  modulus: int) -> list[str]:
    """Prometheus's checks of one relabel config; messages start with the key at fault."""
    action = action.lower()
    if action not in ACTIONS:
        return [f"action: unknown relabel action {action!r} (one of {', '.join(ACTIONS)})"]
    problems = [f"source_labels: {name!r} is not a valid label name"
                for name in source_labels if not _LABEL_NAME.fullmatch(name)]
    if regex is not None:
        try:
            _anchored(regex)
        except re.error as exc:
            problems.append(f"regex: invalid regular expression {regex!r}: {exc}")
    needs_target = ("replace", "hashmod", "lowercase", "uppercase", "keepequal", "dropequal")
    if action in needs_target and not target_label:
        problems.append(f"target_label: relabel configuration for {action} action requires "
                        "'target_label' value")
    elif action == "replace" and not _TEMPLATED_TARGET.fullmatch(target_label):
        problems.append(f"target_label: {target_label!r} is invalid 'target_label' for "
                        f"{action} action")
    elif action in needs_target[1:] and not _LABEL_NAME.fullmatch(target_label):
        problems.append(f"target_label: {target_label!r} is invalid 'target_label' for "
                        f"{action} action")
    if action == "hashmod" and modulus == 0:
        problems.append("modulus: relabel configuration for hashmod requires non-zero modulus")
    if action == "labelmap" and replacement is not None \
            and not _TEMPLATED_TARGET.fullmatch(replacement):
        problems.append(f"replacement: {replacement!r} is invalid 'replacement' for "
                        f"{action} action")
    if action in ("labeldrop", "labelkeep") and (
            source_labels or target_label or modulus or separator not in (None, ";")
            or replacement not in (None, DEFAULT_REPLACEMENT)):
        problems.append(f"action: {action} action requires only 'regex', and no other fields")
    if action in ("keepequal", "dropequal") and (
            regex not in (None, DEFAULT_REGEX) or modulus
            or separator not in (None, ";") or replacement not in (None, DEFAULT_REPLACEMENT)):
        problems.append(f"action: {action} action requires only 'source_labels' and "
                        "`target_label`, and no other fields")
    return problems


def compile_rule(action: str = "replace", source_labels: Sequence[str] = (),
                 separator: str | None = None, regex: str | None = None,
                 target_label: str = "", replacement: str | None = None,
                 modulus: int = 0) -> RelabelRule:
    """A rule with Prometheus's defaults for the keys left None; raises ValueError with
    :func:`rule_problems`' messages when the config is invalid."""
    problems = rule_problems(action, source_labels, separator, regex, target_label,
                             replacement, modulus)
    if problems:
        raise ValueError("; ".join(problems))
    return RelabelRule(
        action=action.lower(), source_labels=tuple(source_labels),
        separator=DEFAULT_SEPARATOR if separator is None else separator,
        regex=_anchored(DEFAULT_REGEX if regex is None else regex),
        target_label=target_label,
        replacement=DEFAULT_REPLACEMENT if replacement is None else replacement,
        modulus=modulus)


def _set(labels: dict[str, str], name: str, value: str) -> None:
    if value:
        labels[name] = value
    else:
        labels.pop(name, None)


def _apply(rule: RelabelRule, labels: dict[str, str]) -> bool:
    """One rule on ``labels`` in place; False when the label set is dropped."""
    action = rule.action
    if action in ("labelmap", "labeldrop", "labelkeep"):
        _apply_names(rule, labels)
        return True
    value = rule.separator.join([labels.get(n, "") for n in rule.source_labels])
    if action == "replace":
        m = rule.regex.fullmatch(value)
        if m is not None:
            target = expand(rule.target_label, m)
            if _LABEL_NAME.fullmatch(target):
                _set(labels, target, expand(rule.replacement, m))
    elif action == "keep":
        return rule.regex.fullmatch(value) is not None
    elif action == "drop":
        return rule.regex.fullmatch(value) is None
    elif action == "keepequal":
        return labels.get(rule.target_label, "") == value
    elif action == "dropequal":
        return labels.get(rule.target_label, "") != value
    elif action == "hashmod":
        digest = hashlib.md5(value.encode(), usedforsecurity=False).digest()
        _set(labels, rule.target_label, str(int.from_bytes(digest[8:], "big") % rule.modulus))
    elif action == "lowercase":
        _set(labels, rule.target_label, value.lower())
    elif action == "uppercase":
        _set(labels, rule.target_label, value.upper())
    return True


def _apply_names(rule: RelabelRule, labels: dict[str, str]) -> None:
    for name, value in list(labels.items()):
        m = rule.regex.fullmatch(name)
        if rule.action == "labelmap":
            if m is not None:
                _set(labels, expand(rule.replacement, m), value)
        elif (m is not None) == (rule.action == "labeldrop"):
            del labels[name]


def relabel(labels: Mapping[str, str], rules: Iterable[RelabelRule]) -> dict[str, str] | None:
    """``labels`` after ``rules`` (a new dict), or None when a rule drops the set."""
    out = dict(labels)
    for rule in rules:
        if not _apply(rule, out):
            return None
    return out

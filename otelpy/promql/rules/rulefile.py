"""Prometheus rule files: YAML rule groups loaded with line numbers and validated as
``promtool check rules`` does, with its error texts (``file: line:col: group "g", rule 1,
"name": could not parse expression: 1:19: parse error: ...``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

from otelpy.promql import ast
from otelpy.promql.errors import ParseError
from otelpy.promql.lexer import parse_duration
from otelpy.promql.parser import parse
from otelpy.promql.rules.gotemplate import Template, TemplateError

_METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_GROUP_KEYS = {"name", "interval", "limit", "rules", "source_tenants"}
_RULE_KEYS = {"record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations"}


@dataclass
class Rule:
    name: str
    is_alert: bool
    expr_text: str
    expr: ast.Node | None = None
    for_ms: int = 0
    keep_firing_for_ms: int = 0
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)


@dataclass
class Group:
    name: str
    file: str
    interval_ms: int = 0
    limit: int = 0
    rules: list[Rule] = field(default_factory=list)


class RuleFileError(Exception):
    """Every problem of one rule file, each already formatted as promtool prints it."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def load(path: str) -> list[Group]:
    """The validated groups of ``path``; raises RuleFileError (or OSError)."""
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark is not None else ""
        raise RuleFileError([f"{path}: yaml: {line}{getattr(exc, 'problem', exc)}"]) from None
    if root is None:
        return []
    loader = _Loader(path)
    groups = loader.groups(root)
    if loader.problems:
        raise RuleFileError(loader.problems)
    return groups


def _pos(node: yaml.Node) -> str:
    return f"{node.start_mark.line + 1}:{node.start_mark.column + 1}"


def _scalar(node: yaml.Node | None) -> str:
    if node is None or isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null"):
        return ""
    if not isinstance(node, yaml.ScalarNode):
        raise TypeError(f"line {node.start_mark.line + 1}: expected a scalar")
    return str(node.value)


def _mapping(node: yaml.Node) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    if not isinstance(node, yaml.MappingNode):
        raise TypeError(f"line {node.start_mark.line + 1}: expected a mapping")
    return {str(k.value): (k, v) for k, v in node.value}


class _Loader:
    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[str] = []

    def strict(self, items: dict[str, tuple[yaml.Node, yaml.Node]], allowed: set[str],
               what: str) -> bool:
        unknown = [(k, n) for k, (n, _) in items.items() if k not in allowed]
        for key, node in unknown:
            self.problems.append(f"{self.path}: yaml: unmarshal errors:\n  line "
                                 f"{node.start_mark.line + 1}: field {key} not found in type "
                                 f"{what}")
        return not unknown

    def groups(self, root: yaml.Node) -> list[Group]:
        try:
            top = _mapping(root)
            if not self.strict(top, {"groups"}, "rulefmt.ruleGroups"):
                return []
            groups_node = top.get("groups", (None, None))[1]
            if groups_node is None or not isinstance(groups_node, yaml.SequenceNode):
                return []
            out = [self.group(g) for g in groups_node.value]
        except (TypeError, ValueError) as exc:
            self.problems.append(f"{self.path}: yaml: unmarshal errors:\n  {exc}")
            return []
        seen: set[str] = set()
        for g, node in zip(out, groups_node.value, strict=True):
            if not g.name:
                self.problems.append(f"{self.path}: {_pos(node)}: Groupname must not be empty")
            if g.name in seen:
                self.problems.append(f'{self.path}: {_pos(node)}: groupname: "{g.name}" is '
                                     "repeated in the same file")
            seen.add(g.name)
        return out

    def group(self, node: yaml.Node) -> Group:
        items = _mapping(node)
        self.strict(items, _GROUP_KEYS, "rulefmt.RuleGroup")
        g = Group(_scalar(items.get("name", (None, None))[1]), self.path)
        if "interval" in items:
            g.interval_ms = parse_duration(_scalar(items["interval"][1]))
        if "limit" in items:
            g.limit = int(_scalar(items["limit"][1]) or 0)
        rules = items.get("rules", (None, None))[1]
        for i, rnode in enumerate(rules.value if isinstance(rules, yaml.SequenceNode) else []):
            rule = self.rule(g.name, i + 1, rnode)
            if rule is not None:
                g.rules.append(rule)
        return g

    def rule(self, group: str, index: int, node: yaml.Node) -> Rule | None:
        items = _mapping(node)
        if not self.strict(items, _RULE_KEYS, "rulefmt.RuleNode"):
            return None
        get = {k: v for k, (_, v) in items.items()}
        record, alert = _scalar(get.get("record")), _scalar(get.get("alert"))
        name_node = get.get("alert") if alert else get.get("record")
        rule = Rule(alert or record, bool(alert), _scalar(get.get("expr")))
        rule.for_ms = parse_duration(_scalar(get.get("for"))) if "for" in get else 0
        if "keep_firing_for" in get:
            rule.keep_firing_for_ms = parse_duration(_scalar(get["keep_firing_for"]))
        rule.labels = {k: _scalar(v) for k, (_, v) in _mapping(get["labels"]).items()} \
            if isinstance(get.get("labels"), yaml.MappingNode) else {}
        rule.annotations = {k: _scalar(v) for k, (_, v) in _mapping(
            get["annotations"]).items()} if isinstance(get.get("annotations"),
                                                       yaml.MappingNode) else {}
        prefix = f'group "{group}", rule {index}, "{rule.name}": '

        def add(at: yaml.Node | None, msg: str) -> None:
            where = f"{_pos(at)}: " if at is not None else ""
            self.problems.append(f"{self.path}: {where}{prefix}{msg}")

        self.validate(rule, record, alert, get, name_node, add)
        return rule

    def validate(self, rule: Rule, record: str, alert: str, get: dict[str, yaml.Node],
                 name_node: yaml.Node | None, add: object) -> None:
        report = add  # (node, message) -> None
        if record and alert:
            report(get.get("record"), "only one of 'record' and 'alert' must be set")  # type: ignore
        if not record and not alert:
            report(get.get("record"), "one of 'record' or 'alert' must be set")  # type: ignore
        if not rule.expr_text:
            report(get.get("expr"), "field 'expr' must be set in rule")  # type: ignore
        else:
            try:
                rule.expr = parse(rule.expr_text)
            except ParseError as exc:
                report(get.get("expr"), "could not parse expression: "  # type: ignore
                       + exc.render(rule.expr_text))
        if record:
            rec = get.get("record")
            for key, msg in (("annotations", "invalid field 'annotations' in recording rule"),
                             ("for", "invalid field 'for' in recording rule"),
                             ("keep_firing_for",
                              "invalid field 'keep_firing_for' in recording rule")):
                if key == "annotations" and rule.annotations or key == "for" and rule.for_ms \
                        or key == "keep_firing_for" and rule.keep_firing_for_ms:
                    report(rec, msg)  # type: ignore
            if not _METRIC_NAME.fullmatch(record):
                report(rec, f"invalid recording rule name: {record}")  # type: ignore
        for k in rule.labels:
            if not _LABEL_NAME.fullmatch(k) or k == "__name__":
                report(None, f"invalid label name: {k}")  # type: ignore
        for k in rule.annotations:
            if not _LABEL_NAME.fullmatch(k):
                report(None, f"invalid annotation name: {k}")  # type: ignore
        if alert:
            for kind, mapping in (("label", rule.labels), ("annotation", rule.annotations)):
                for k, text in mapping.items():
                    try:
                        Template(text, {"query": _parse_only})
                    except TemplateError as exc:
                        report(None, f'{kind} "{k}": template: __alert_{alert}: {exc}')  # type: ignore


def _parse_only(text: str) -> list[object]:
    """``query`` as far as checking a template goes (it runs at evaluation only)."""
    return []

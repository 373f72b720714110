"""``otelpy rules test``: promtool's rule unit-test format, verdicts, output and exit codes
(``promtool test rules`` of Prometheus 2.42)."""

from __future__ import annotations

import glob
import math
import os
import sys
from dataclasses import dataclass, field
from typing import Any, TextIO

import yaml

from otelpy.promql.engine import Engine
from otelpy.promql.errors import EvalError, ParseError
from otelpy.promql.lexer import parse_duration
from otelpy.promql.parser import parse
from otelpy.promql.rules import rulefile
from otelpy.promql.rules.durations import go_duration, model_duration
from otelpy.promql.rules.ruleeval import GroupEvaluator
from otelpy.promql.rules.seriesdesc import parse_metric, parse_values
from otelpy.promql.storage import SeriesStore
from otelpy.promql.values import Labels, Scalar, Vector, format_e, format_labels

_FILE_KEYS = {"rule_files", "evaluation_interval", "group_eval_order", "tests"}
_GROUP_KEYS = {"interval", "input_series", "alert_rule_test", "promql_expr_test",
               "external_labels", "external_url", "name"}


class UnitTestError(Exception):
    """One failure of a test file, formatted as promtool prints it."""


@dataclass
class Output:
    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)


def run_files(files: list[str], output: Output | None = None) -> int:
    """Test every file; 0 when all pass, 1 otherwise."""
    o = output or Output()
    failed = False
    for path in files:
        errors = _file(path, o)
        if errors:
            o.err.write("  FAILED:\n")
            for e in errors:
                o.err.write(e + "\n")
                o.out.write("\n")
            failed = True
        else:
            o.out.write("  SUCCESS\n")
        o.out.write("\n")
    return 1 if failed else 0


def _dur(value: Any) -> int:
    if value is None:
        return 0
    return parse_duration(str(value))


def _file(path: str, o: Output) -> list[str]:
    o.out.write(f"Unit Testing:  {path}\n")
    try:
        with open(path, encoding="utf-8") as fh:
            doc = yaml.safe_load(fh) or {}
    except OSError as exc:
        return [f"open {path}: {exc.strerror.lower() if exc.strerror else exc}"]
    except yaml.YAMLError as exc:
        return [f"yaml: {exc}"]
    unknown = set(doc) - _FILE_KEYS
    if unknown:
        return [f"yaml: unmarshal errors:\n  field {sorted(unknown)[0]} not found in type "
                "main.unitTestFile"]
    rule_files = _glob(os.path.dirname(path), doc.get("rule_files") or [], o)
    interval = _dur(doc.get("evaluation_interval")) or 60_000
    order: dict[str, int] = {}
    for i, name in enumerate(doc.get("group_eval_order") or []):
        if name in order:
            return [f"group name repeated in evaluation order: {name}"]
        order[name] = i
    errors: list[str] = []
    for tg in doc.get("tests") or []:
        errors.extend(_TestGroup(tg, interval, order, rule_files).run())
    return errors


def _glob(base: str, patterns: list[str], o: Output) -> list[str]:
    out: list[str] = []
    for pattern in patterns:
        full = pattern if os.path.isabs(pattern) or not pattern else os.path.join(base, pattern)
        matches = sorted(glob.glob(full))
        if not matches:
            o.err.write(f"  WARNING: no file match pattern {full}\n")
        out.extend(matches)
    return out


class _TestGroup:
    def __init__(self, tg: dict[str, Any], interval: int, order: dict[str, int],
                 rule_files: list[str]) -> None:
        self.tg = tg
        self.interval = interval
        self.order = order
        self.rule_files = rule_files
        self.name = tg.get("name") or ""

    def run(self) -> list[str]:
        unknown = set(self.tg) - _GROUP_KEYS
        if unknown:
            return [f"yaml: unmarshal errors:\n  field {sorted(unknown)[0]} not found in type "
                    "main.testGroup"]
        store = SeriesStore()
        try:
            pending = self._load_series()
        except ParseError as exc:
            return [str(exc)]
        engine = Engine(store, subquery_step_ms=self.interval)
        groups: list[GroupEvaluator] = []
        ext = {str(k): str(v) for k, v in (self.tg.get("external_labels") or {}).items()}
        for path in self.rule_files:
            try:
                loaded = rulefile.load(path)
            except rulefile.RuleFileError as exc:
                return exc.problems
            groups.extend(GroupEvaluator(g, engine, ext) for g in loaded)
        groups.sort(key=lambda g: self.order.get(g.group.name, 0))
        return self._evaluate(store, pending, engine, groups)

    def _load_series(self) -> list[tuple[Labels, int, float]]:
        step = _dur(self.tg.get("interval"))
        samples: dict[Labels, list[tuple[Labels, int, float]]] = {}
        for item in self.tg.get("input_series") or []:
            metric = parse_metric(str(item.get("series", "")))
            values = parse_values(str(item.get("values", "")))
            samples[metric] = [(metric, i * step, v) for i, v in enumerate(values)
                               if v is not None]
        return sorted((s for ss in samples.values() for s in ss), key=lambda s: s[1])

    def _alert_tests(self) -> dict[int, list[dict[str, Any]]]:
        out: dict[int, list[dict[str, Any]]] = {}
        for case in self.tg.get("alert_rule_test") or []:
            out.setdefault(_dur(case.get("eval_time")), []).append(case)
        return out

    def _evaluate(self, store: SeriesStore, pending: list[tuple[Labels, int, float]],
                  engine: Engine, groups: list[GroupEvaluator]) -> list[str]:
        alert_tests = self._alert_tests()
        for cases in alert_tests.values():
            for case in cases:
                if not case.get("alertname"):
                    where = f" (in TestGroup {self.name})" if self.name else ""
                    return [f"an item under alert_rule_test misses required attribute "
                            f"alertname at eval_time {model_duration(_dur(case.get('eval_time')))}"
                            f"{where}"]
        times = sorted(alert_tests)
        max_t = max([*times, *(_dur(c.get("eval_time"))
                               for c in self.tg.get("promql_expr_test") or []), 0])
        errors: list[str] = []
        cursor, cur, ts = 0, 0, 0
        while ts <= max_t:
            while cursor < len(pending) and pending[cursor][1] <= ts:
                store.append(*pending[cursor])
                cursor += 1
            store.visible_until = None
            eval_errors = []
            for g in groups:
                g.evaluate(ts)
                for st in g.states:
                    if st.last_error is not None:
                        eval_errors.append(f"    rule: {st.rule.name}, time: {go_duration(ts)}, "
                                           f"err: {st.last_error}")
            errors.extend(eval_errors)
            if eval_errors:
                return errors
            while cur < len(times) and ts <= times[cur] < ts + self.interval:
                errors.extend(self._check_alerts(times[cur], alert_tests[times[cur]], groups))
                cur += 1
            ts += self.interval
        for case in self.tg.get("promql_expr_test") or []:
            errors.extend(self._check_expr(case, engine))
        return errors

    def _check_alerts(self, t: int, cases: list[dict[str, Any]],
                      groups: list[GroupEvaluator]) -> list[str]:
        errors = []
        for case in cases:
            name = str(case["alertname"])
            got = sorted((a.labels, a.annotations) for g in groups for a in g.firing(name))
            exp = []
            for a in case.get("exp_alerts") or []:
                labels = {str(k): str(v) for k, v in (a.get("exp_labels") or {}).items()}
                labels["alertname"] = name
                ann = {str(k): str(v) for k, v in (a.get("exp_annotations") or {}).items()}
                exp.append((tuple(sorted(labels.items())), tuple(sorted(ann.items()))))
            exp.sort()
            if exp != got:
                prefix = f"    name: {self.name},\n" if self.name else ""
                errors.append(f"{prefix}    alertname: {name}, time: {model_duration(t)}, \n"
                              f"        exp:{_indent(_alerts_text(exp))}, \n"
                              f"        got:{_indent(_alerts_text(got))}")
        return errors

    def _check_expr(self, case: dict[str, Any], engine: Engine) -> list[str]:
        expr = str(case.get("expr", ""))
        t = _dur(case.get("eval_time"))
        head = f"    expr: {_go_quote(expr)}, time: {model_duration(t)}"
        try:
            value = engine.instant(parse(expr), t)
        except ParseError as exc:
            return [f"{head}, err: {exc.render(expr)}"]
        except EvalError as exc:
            return [f"{head}, err: {exc}"]
        got: list[tuple[Labels, float]]
        if isinstance(value, Scalar):
            got = [((), value.v)]
        elif isinstance(value, Vector):
            got = [(s.metric, s.v) for s in value]
        else:
            return [f"{head}, err: rule result is not a vector or scalar"]
        exp = []
        for s in case.get("exp_samples") or []:
            text = str(s.get("labels", ""))
            try:
                exp.append((parse_metric(text), float(s.get("value", 0) or 0)))
            except ParseError as exc:
                return [f"{head}, err: labels {_go_quote(text)}: {exc.render(text)}"]
        exp.sort(key=lambda x: x[0])
        got.sort(key=lambda x: x[0])
        if len(exp) == len(got) and all(a[0] == b[0] and a[1] == b[1]
                                        for a, b in zip(exp, got, strict=True)):
            return []
        return [f"{head},\n        exp: {_samples_text(exp)}\n        got: {_samples_text(got)}"]


def _go_quote(s: str) -> str:
    from otelpy.promql.values import go_quote
    return go_quote(s)


def _samples_text(samples: list[tuple[Labels, float]]) -> str:
    if not samples:
        return "nil"
    return ", ".join(f"{format_labels(m)} {format_e(v)}" for m, v in samples)


def _alerts_text(alerts: list[tuple[Labels, Labels]]) -> str:
    if not alerts:
        return "[]"
    parts = [f"{i}:" + _indent("\n" + f"Labels:{format_labels(la)}\nAnnotations:"
                                      f"{format_labels(an)}", "  ")
             for i, (la, an) in enumerate(alerts)]
    return "[\n" + ",\n".join(parts) + "\n]"


def _indent(text: str, indent: str = "            ") -> str:
    return ("\n" + indent).join(text.split("\n"))


__all__ = ["math", "run_files"]

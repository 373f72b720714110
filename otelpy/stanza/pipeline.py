"""An operator list built into a graph: entries in, entries out.

:func:`operator_problems` checks a list the way the Collector does at start (unique ids,
outputs that exist, regexes, expressions, layouts) and returns every problem with its
``operators::<i>`` path. :class:`Pipeline` runs entries through; what leaves the last
operators is collected in :attr:`Pipeline.out`. Failures are counted per operator in
:attr:`Pipeline.errors` and passed to ``on_error`` for logging.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from typing import Any

from otelpy.stanza.config import (
    Add,
    Container,
    Copy,
    CsvParser,
    Flatten,
    JsonParser,
    KeyValueParser,
    Move,
    Noop,
    Recombine,
    RegexParser,
    Remove,
    Retain,
    Router,
    SeverityParser,
    SyslogParser,
    TimeParser,
)
from otelpy.stanza.container import ContainerOp
from otelpy.stanza.entry import Entry, FieldError, Origin, parse_field
from otelpy.stanza.expr import ExprError
from otelpy.stanza.operator import Operator, OperatorError
from otelpy.stanza.parsers import (
    CsvParserOp,
    JsonParserOp,
    KeyValueParserOp,
    RegexParserOp,
    regex_problems,
)
from otelpy.stanza.recombine import RecombineOp, RouterOp
from otelpy.stanza.severity import SeverityError
from otelpy.stanza.syslog import SyslogParserOp
from otelpy.stanza.timeparse import TimeParseError
from otelpy.stanza.transform import (
    AddOp,
    CopyOp,
    FlattenOp,
    MoveOp,
    RemoveOp,
    RetainOp,
    SeverityParserOp,
    TimeParserOp,
)

__all__ = ["Pipeline", "operator_problems", "BUILD_ERRORS"]

BUILD_ERRORS = (OperatorError, FieldError, ExprError, TimeParseError, SeverityError, re.error,
                ValueError)
ErrorLog = Callable[[str, str, bool, bool], None]


class _Sink(Operator):
    def __init__(self, out: list[Entry]) -> None:
        super().__init__("(receiver)", lambda *a: None)
        self.out = out

    def process(self, entry: Entry) -> None:
        self.out.append(entry)


def _build(cfg: Any, report: Any, now: Callable[[], float],
           monotonic: Callable[[], float]) -> Operator:
    simple: dict[type, Any] = {Move: MoveOp, Copy: CopyOp, Add: AddOp, Remove: RemoveOp,
                               Flatten: FlattenOp, Retain: RetainOp,
                               SeverityParser: SeverityParserOp, Router: RouterOp}
    timed: dict[type, Any] = {JsonParser: JsonParserOp, RegexParser: RegexParserOp,
                              CsvParser: CsvParserOp, KeyValueParser: KeyValueParserOp,
                              SyslogParser: SyslogParserOp, TimeParser: TimeParserOp}
    if isinstance(cfg, Noop):
        return Operator(cfg.operator_id(), report)
    if isinstance(cfg, Recombine):
        return RecombineOp(cfg, report, monotonic)
    if isinstance(cfg, Container):
        return ContainerOp(cfg, report, now, monotonic)
    if type(cfg) in timed:
        return timed[type(cfg)](cfg, report, now)  # type: ignore[no-any-return]
    return simple[type(cfg)](cfg, report)  # type: ignore[no-any-return]


def _outputs(value: str | list[str] | None) -> list[str] | None:
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


def operator_problems(configs: Sequence[Any], where: str = "operators") -> list[str]:
    """Every problem of ``configs`` as ``<where>::<i>: message`` (empty = valid)."""
    problems: list[str] = []
    ids: dict[str, int] = {}
    for i, cfg in enumerate(configs):
        op_id = cfg.operator_id()
        if op_id in ids:
            problems.append(f"{where}::{i}: duplicate operator id {op_id!r} (also "
                            f"{where}::{ids[op_id]}): give one of them an id")
        ids.setdefault(op_id, i)
        if isinstance(cfg, RegexParser):
            bad = regex_problems(cfg.regex)
            problems.extend(f"{where}::{i}::{p}" for p in bad)
            if bad:
                continue
        try:
            _build(cfg, lambda *a: None, time.time, time.monotonic)
        except BUILD_ERRORS as exc:
            problems.append(f"{where}::{i}: {cfg.operator_id()}: {exc}")
    for i, cfg in enumerate(configs):
        targets: list[str] = []
        if isinstance(cfg, Router):
            for route in cfg.routes:
                targets += _outputs(route.output) or []
            targets += _outputs(cfg.default) or []
        else:
            targets += _outputs(cfg.output) or []
        problems.extend(f"{where}::{i}::output: operator {cfg.operator_id()!r} outputs to "
                        f"{t!r}, which is not an operator id" for t in targets if t not in ids)
    return problems


class Pipeline:
    """The built graph of ``configs`` (valid per :func:`operator_problems`)."""

    def __init__(self, configs: Sequence[Any], on_error: ErrorLog | None = None,
                 now: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.out: list[Entry] = []
        self.errors: dict[str, int] = {}
        self.dropped = 0
        self._on_error = on_error
        self._monotonic = monotonic
        sink = self._sink = _Sink(self.out)
        self.operators = [_build(cfg, self._report, now, monotonic) for cfg in configs]
        by_id = {op.id: op for op in self.operators}
        for i, (cfg, op) in enumerate(zip(configs, self.operators, strict=True)):
            following: Operator = self.operators[i + 1] if i + 1 < len(configs) else sink
            if isinstance(op, RouterOp):
                for j, route in enumerate(cfg.routes):
                    op.route_outputs[j].extend(by_id[t] for t in _outputs(route.output) or [])
                op.default_outputs.extend(by_id[t] for t in _outputs(cfg.default) or [])
                continue
            named = _outputs(cfg.output)
            op.outputs.extend([by_id[t] for t in named] if named is not None else [following])
        self.head: Operator = self.operators[0] if self.operators else sink

    def body_parser(self) -> tuple[Callable[[str], dict[str, str] | None], set[str]] | None:
        """When the whole pipeline is one regex_parser from the body into the attributes
        and nothing else (no ``if``, timestamp, severity, body, preserve_to, output), its
        parse function and the names it sets: a receiver may parse a line itself and
        write the record directly, with the parsed names after its own attributes. The
        function answers None when the line does not match: then the receiver sends the
        entry through :meth:`process`, which reports the error as usual."""
        if len(self.operators) != 1 or not isinstance(self.operators[0], RegexParserOp):
            return None
        op = self.operators[0]
        if (op.condition is not None or op.parse_from != parse_field("body")
                or op.parse_to != parse_field("attributes") or op.preserve_to is not None
                or op.body_field is not None or op.time is not None or op.severity is not None
                or op.outputs != [self._sink]):
            return None
        search = op.regex.search

        def parse(text: str) -> dict[str, str] | None:
            match = search(text)
            return match.groupdict("") if match is not None else None

        return parse, set(op.regex.groupindex)

    def _report(self, operator_id: str, message: str, quiet: bool, dropped: bool) -> None:
        self.errors[operator_id] = self.errors.get(operator_id, 0) + 1
        if dropped:
            self.dropped += 1
        if self._on_error is not None:
            self._on_error(operator_id, message, quiet, dropped)

    def process(self, entry: Entry) -> None:
        self.head.process(entry)

    def take(self) -> list[Entry]:
        """The entries that left the pipeline since the last call."""
        out = self.out[:]
        self.out.clear()
        return out

    def flush_due(self) -> None:
        now = self._monotonic()
        for op in self.operators:
            op.flush_due(now)

    def flush_all(self) -> None:
        for op in self.operators:
            op.flush_all()

    def held(self) -> list[Origin]:
        return [o for op in self.operators for o in op.held()]

"""What every operator shares: outputs, ``if``, ``on_error``, and the parser steps
(``parse_from`` -> parse -> ``parse_to``, then the embedded ``timestamp`` and ``severity``
blocks), as the Collector's stanza ``helper`` package does them.

Operators are synchronous and run on whatever thread calls :meth:`Operator.process`; an
entry an operator fails on is reported to the pipeline's :class:`ErrorReport` (counted and
logged there) and, with ``on_error: send`` / ``send_quiet`` (the default), passed on
unchanged: the raw line is never lost to a parse error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from otelpy.stanza.config import SeverityConfig, TimeConfig
from otelpy.stanza.entry import Entry, Field, FieldError, Origin, parse_field
from otelpy.stanza.expr import ExprError, Expression, compile_expr
from otelpy.stanza.severity import SeverityError, SeverityMapping
from otelpy.stanza.timeparse import TimeLayout, TimeParseError

__all__ = ["Operator", "Transformer", "ParserOperator", "OperatorError", "ErrorReport",
           "TimeStep", "SeverityStep", "OPERATOR_ERRORS"]


class OperatorError(ValueError):
    """An entry this operator cannot handle."""


# what an operator's work may raise on bad data: reported per entry, never fatal
OPERATOR_ERRORS = (OperatorError, FieldError, ExprError, TimeParseError, SeverityError)


class ErrorReport(Protocol):
    def __call__(self, operator_id: str, message: str, quiet: bool, dropped: bool) -> None:
        """Count (and unless ``quiet`` log) one failure of ``operator_id``."""
        ...


class Operator:
    """A node of the operator graph."""

    def __init__(self, operator_id: str, report: ErrorReport) -> None:
        self.id = operator_id
        self.report = report
        self.outputs: list[Operator] = []

    def process(self, entry: Entry) -> None:
        self.emit(entry)

    def emit(self, entry: Entry) -> None:
        outputs = self.outputs
        last = len(outputs) - 1
        for i, out in enumerate(outputs):
            out.process(entry if i == last else entry.copy())

    # stateful operators (recombine, container) override these three
    def flush_due(self, now: float) -> None:
        """Emit what has waited past its flush period (``now``: monotonic seconds)."""

    def flush_all(self) -> None:
        """Emit everything held."""

    def held(self) -> list[Origin]:
        """Origins of the entries held, not yet emitted."""
        return []


class Transformer(Operator):
    """An operator with ``if`` and ``on_error``: :meth:`transform` changes the entry in
    place or raises one of OPERATOR_ERRORS."""

    def __init__(self, operator_id: str, report: ErrorReport, on_error: str = "send",
                 condition: str = "") -> None:
        super().__init__(operator_id, report)
        self.on_error = on_error
        self.condition: Expression | None = compile_expr(condition) if condition else None

    def skip(self, entry: Entry) -> bool:
        """True when ``if`` is false; raises ExprError when it is not a bool."""
        return self.condition is not None and not self.condition.test(entry)

    def process(self, entry: Entry) -> None:
        try:
            if self.skip(entry):
                self.emit(entry)
                return
            self.transform(entry)
        except OPERATOR_ERRORS as exc:
            self.fail(entry, str(exc))
            return
        self.emit(entry)

    def transform(self, entry: Entry) -> None:
        raise NotImplementedError

    def fail(self, entry: Entry, message: str) -> None:
        drop = self.on_error.startswith("drop")
        self.report(self.id, message, self.on_error.endswith("quiet"), drop)
        if not drop:
            self.emit(entry)


class TimeStep:
    """A ``timestamp`` block or the time_parser's own keys."""

    def __init__(self, cfg: TimeConfig, now: Callable[[], float]) -> None:
        self.field = parse_field(cfg.parse_from)
        self.layout = TimeLayout(cfg.layout, cfg.layout_type, cfg.location,
                                 cfg.time_zone_locations, now)

    def apply(self, entry: Entry) -> None:
        value, ok = self.field.get(entry)
        if not ok:
            raise OperatorError(f"time parser: log entry does not have the expected "
                                f"parse_from field {self.field}")
        entry.timestamp = self.layout.parse(value)


class SeverityStep:
    """A ``severity`` block or the severity_parser's own keys."""

    def __init__(self, cfg: SeverityConfig) -> None:
        self.field = parse_field(cfg.parse_from)
        self.mapping = SeverityMapping(cfg.preset, cfg.mapping, cfg.overwrite_text)

    def apply(self, entry: Entry) -> None:
        value, ok = self.field.get(entry)
        if not ok:
            raise OperatorError(f"severity parser: log entry does not have the expected "
                                f"parse_from field {self.field}")
        entry.severity, entry.severity_text = self.mapping.find(value)


class ParserOperator(Transformer):
    """parse_from -> :meth:`parse` -> parse_to, then ``body``, ``timestamp``, ``severity``."""

    def __init__(self, cfg: Any, report: ErrorReport, now: Callable[[], float]) -> None:
        super().__init__(cfg.operator_id(), report, cfg.on_error, cfg.if_)
        self.parse_from: Field = parse_field(cfg.parse_from)
        self.parse_to: Field = parse_field(cfg.parse_to)
        self.preserve_to: Field | None = parse_field(cfg.preserve_to) if cfg.preserve_to \
            else None
        self.body_field: Field | None = parse_field(cfg.body) if cfg.body else None
        self.time = TimeStep(cfg.timestamp, now) if cfg.timestamp else None
        self.severity = SeverityStep(cfg.severity) if cfg.severity else None

    def parse(self, value: Any) -> Any:
        raise NotImplementedError

    def transform(self, entry: Entry) -> None:
        value, ok = self.parse_from.get(entry)
        if not ok:
            raise OperatorError(f"Entry is missing the expected parse_from field "
                                f"{self.parse_from}")
        parsed = self.parse(value)
        if self.preserve_to is not None:
            self.preserve_to.set(entry, value)
        self.parse_to.set(entry, parsed)
        if self.body_field is not None:
            body, found = self.body_field.get(entry)
            if found:
                entry.body = body
        self.after_parse(entry)

    def after_parse(self, entry: Entry) -> None:
        errors = []
        for step in (self.time, self.severity):
            if step is None:
                continue
            try:
                step.apply(entry)
            except OPERATOR_ERRORS as exc:
                errors.append(str(exc))
        if errors:
            raise OperatorError("; ".join(errors))

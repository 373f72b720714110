"""move, copy, add, remove, flatten, retain, time_parser and severity_parser (the Collector's
stanza operators of the same names; pkg/stanza/docs/operators/*.md)."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

from otelpy.stanza.config import (
    Add,
    Copy,
    Flatten,
    Move,
    Remove,
    Retain,
    SeverityConfig,
    SeverityParser,
    TimeConfig,
    TimeParser,
)
from otelpy.stanza.entry import Entry, parse_field
from otelpy.stanza.expr import compile_expr
from otelpy.stanza.operator import (
    ErrorReport,
    OperatorError,
    SeverityStep,
    TimeStep,
    Transformer,
)

__all__ = ["MoveOp", "CopyOp", "AddOp", "RemoveOp", "FlattenOp", "RetainOp", "TimeParserOp",
           "SeverityParserOp"]

_EXPR = re.compile(r"^\s*EXPR\((.*)\)\s*$", re.DOTALL)


class MoveOp(Transformer):
    def __init__(self, cfg: Move, report: ErrorReport) -> None:
        super().__init__(cfg.operator_id(), report, cfg.on_error, cfg.if_)
        self.source, self.dest = parse_field(cfg.from_), parse_field(cfg.to)

    def transform(self, entry: Entry) -> None:
        value, ok = self.source.delete(entry)
        if not ok:
            raise OperatorError(f"move: field {self.source} does not exist")
        self.dest.set(entry, value)


class CopyOp(Transformer):
    def __init__(self, cfg: Copy, report: ErrorReport) -> None:
        super().__init__(cfg.operator_id(), report, cfg.on_error, cfg.if_)
        self.source, self.dest = parse_field(cfg.from_), parse_field(cfg.to)

    def transform(self, entry: Entry) -> None:
        value, ok = self.source.get(entry)
        if not ok:
            raise OperatorError(f"copy: from field {self.source} does not exist")
        self.dest.set(entry, copy.deepcopy(value))


class AddOp(Transformer):
    """A static value, or ``EXPR(...)`` evaluated per entry."""

    def __init__(self, cfg: Add, report: ErrorReport) -> None:
        super().__init__(cfg.operator_id(), report, cfg.on_error, cfg.if_)
        self.field = parse_field(cfg.field)
        self.value = cfg.value
        match = _EXPR.match(cfg.value) if isinstance(cfg.value, str) else None
        self.expr = compile_expr(match.group(1)) if match else None

    def transform(self, entry: Entry) -> None:
        value = self.expr.evaluate(entry) if self.expr else copy.deepcopy(self.value)
        self.field.set(entry, value)


class RemoveOp(Transformer):
    def __init__(self, cfg: Remove, report: ErrorReport) -> None:
        super().__init__(cfg.operator_id(), report, cfg.on_error, cfg.if_)
        self.field = parse_field(cfg.field)

    def transform(self, entry: Entry) -> None:
        _, ok = self.field.delete(entry)
        if not ok:
            raise OperatorError(f"remove: field {self.field} does not exist")


class FlattenOp(Transformer):
    """Moves the children of a body map up one level (body fields only, as the Collector)."""

    def __init__(self, cfg: Flatten, report: ErrorReport) -> None:
        super().__init__(cfg.operator_id(), report, cfg.on_error, cfg.if_)
        self.field = parse_field(cfg.field)
        if self.field.root != "body" or not self.field.keys:
            raise OperatorError("flatten: field must be a body field below the root "
                                "(e.g. body.key1)")

    def transform(self, entry: Entry) -> None:
        value, ok = self.field.get(entry)
        if not ok or not isinstance(value, dict):
            raise OperatorError(f"flatten: field {self.field} is not a map")
        self.field.delete(entry)
        parent_keys = self.field.keys[:-1]
        parent = entry.body
        for key in parent_keys:
            parent = parent[key]
        parent.update(value)


class RetainOp(Transformer):
    """Keeps the listed fields; a group (body, attributes, resource) none of them names
    stays whole."""

    def __init__(self, cfg: Retain, report: ErrorReport) -> None:
        super().__init__(cfg.operator_id(), report, cfg.on_error, cfg.if_)
        self.fields = [parse_field(f) for f in cfg.fields]
        self.groups = {f.root for f in self.fields}

    def transform(self, entry: Entry) -> None:
        kept: dict[str, list[tuple[Any, Any]]] = {g: [] for g in self.groups}
        for f in self.fields:
            value, ok = f.get(entry)
            if ok:
                kept[f.root].append((f, value))
        for group in self.groups:
            if group == "body" and not isinstance(entry.body, dict):
                continue
            setattr(entry, group, {})
            for f, value in kept[group]:
                f.set(entry, value)


class TimeParserOp(Transformer):
    def __init__(self, cfg: TimeParser, report: ErrorReport, now: Callable[[], float]) -> None:
        super().__init__(cfg.operator_id(), report, cfg.on_error, cfg.if_)
        if not cfg.parse_from or not cfg.layout:
            raise OperatorError("time_parser: parse_from and layout are required")
        self.step = TimeStep(TimeConfig(
            parse_from=cfg.parse_from, layout_type=cfg.layout_type, layout=cfg.layout,
            location=cfg.location, time_zone_locations=cfg.time_zone_locations), now)

    def transform(self, entry: Entry) -> None:
        self.step.apply(entry)


class SeverityParserOp(Transformer):
    def __init__(self, cfg: SeverityParser, report: ErrorReport) -> None:
        super().__init__(cfg.operator_id(), report, cfg.on_error, cfg.if_)
        if not cfg.parse_from:
            raise OperatorError("severity_parser: parse_from is required")
        self.step = SeverityStep(SeverityConfig(
            parse_from=cfg.parse_from, preset=cfg.preset, mapping=cfg.mapping,
            overwrite_text=cfg.overwrite_text))
        self.preserve_to = parse_field(cfg.preserve_to) if cfg.preserve_to else None

    def transform(self, entry: Entry) -> None:
        if self.preserve_to is not None:
            value, ok = self.step.field.get(entry)
            if ok:
                self.preserve_to.set(entry, copy.deepcopy(value))
        self.step.apply(entry)

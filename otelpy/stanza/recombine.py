"""recombine and router (the Collector's stanza operators of the same names).

recombine keeps one batch per source (``source_identifier``) and follows the Collector's
rules: a first-entry match flushes the batch before it and starts a new one; a last-entry
match ends the batch; ``max_batch_size``, ``max_log_size`` and, until a match was seen,
``max_unmatched_batch_size`` flush early; a batch older than ``force_flush_period`` is
flushed by :meth:`RecombineOp.flush_due`. The entries a batch holds are reported by
:meth:`RecombineOp.held` so a file reader never commits an offset past them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from otelpy.stanza.config import Recombine, Router
from otelpy.stanza.entry import Entry, Origin, parse_field
from otelpy.stanza.expr import compile_expr
from otelpy.stanza.operator import OPERATOR_ERRORS, ErrorReport, Operator, Transformer

__all__ = ["RecombineOp", "RouterOp"]

DEFAULT_SOURCE = "DefaultSourceIdentifier"


@dataclass
class _Batch:
    base: Entry
    started: float
    parts: list[str] = field(default_factory=list)
    size: int = 0
    count: int = 1
    match_detected: bool = False
    origins: list[Origin] = field(default_factory=list)


class RecombineOp(Transformer):
    def __init__(self, cfg: Recombine, report: ErrorReport, now: Callable[[], float]) -> None:
        super().__init__(cfg.operator_id(), report, cfg.on_error)
        if bool(cfg.is_first_entry) == bool(cfg.is_last_entry):
            raise ValueError("exactly one of is_first_entry and is_last_entry must be set")
        self.cfg = cfg
        self.first = bool(cfg.is_first_entry)
        self.expr = compile_expr(cfg.is_first_entry or cfg.is_last_entry)
        self.combine_field = parse_field(cfg.combine_field)
        self.source_field = parse_field(cfg.source_identifier)
        self.now = now
        self.batches: dict[str, _Batch] = {}

    def process(self, entry: Entry) -> None:
        try:
            matches = self.expr.test(entry)
        except OPERATOR_ERRORS as exc:
            self.fail(entry, str(exc))
            return
        source, ok = self.source_field.get(entry)
        source = source if ok and isinstance(source, str) and source else DEFAULT_SOURCE
        if matches and self.first:
            self._flush(source)
            self._add(entry, source, matches)
        elif matches:
            self._add(entry, source, matches)
            self._flush(source)
        else:
            self._add(entry, source, matches)

    def _add(self, entry: Entry, source: str, matches: bool) -> None:
        batch = self.batches.get(source)
        if batch is None:
            if len(self.batches) >= self.cfg.max_sources:
                self.report(self.id, "too many sources: flushing all batched logs (consider "
                            "increasing max_sources)", False, False)
                self.flush_all()
            batch = self.batches[source] = _Batch(entry, self.now())
        else:
            batch.count += 1
            if self.cfg.overwrite_with == "newest":
                batch.base = entry
        batch.match_detected = batch.match_detected or matches
        if entry.origin is not None:
            batch.origins.append(entry.origin)
        value, ok = self.combine_field.get(entry)
        if ok and isinstance(value, str):
            if batch.parts:
                batch.size += len(self.cfg.combine_with)
            batch.parts.append(value)
            batch.size += len(value)
        else:
            self.report(self.id, "entry does not contain the combine_field", False, False)
        cfg = self.cfg
        if (cfg.max_log_size and batch.size > cfg.max_log_size) or (
                cfg.max_batch_size and batch.count >= cfg.max_batch_size) or (
                not batch.match_detected and cfg.max_unmatched_batch_size
                and batch.count >= cfg.max_unmatched_batch_size):
            self._flush(source)

    def _flush(self, source: str) -> None:
        batch = self.batches.pop(source, None)
        if batch is None:
            return
        entry = batch.base
        self.combine_field.set(entry, self.cfg.combine_with.join(batch.parts))
        if batch.origins:
            entry.origin = Origin(batch.origins[0].source, min(o.start for o in batch.origins),
                                  max(o.end for o in batch.origins))
        self.emit(entry)

    def flush_due(self, now: float) -> None:
        for source, batch in list(self.batches.items()):
            if now - batch.started >= self.cfg.force_flush_period:
                self._flush(source)

    def flush_all(self) -> None:
        for source in list(self.batches):
            self._flush(source)

    def held(self) -> list[Origin]:
        return [o for batch in self.batches.values() for o in batch.origins]


class RouterOp(Operator):
    """The first route whose ``expr`` is true gets the entry (with its ``attributes``);
    otherwise ``default``, or the entry is dropped and counted."""

    def __init__(self, cfg: Router, report: ErrorReport) -> None:
        super().__init__(cfg.operator_id(), report)
        self.cfg = cfg
        self.exprs = [compile_expr(route.expr) for route in cfg.routes]
        self.route_outputs: list[list[Operator]] = [[] for _ in cfg.routes]
        self.default_outputs: list[Operator] = []

    def process(self, entry: Entry) -> None:
        for expr, route, outputs in zip(self.exprs, self.cfg.routes, self.route_outputs,
                                        strict=True):
            try:
                matched = expr.test(entry)
            except OPERATOR_ERRORS as exc:
                self.report(self.id, f"route {expr.source!r}: {exc}", True, False)
                continue
            if matched:
                entry.attributes.update(route.attributes)
                self._send(outputs, entry)
                return
        if self.default_outputs:
            self._send(self.default_outputs, entry)
        else:
            self.report(self.id, "entry matched no route and there is no default", True, True)

    def _send(self, outputs: list[Operator], entry: Entry) -> None:
        last = len(outputs) - 1
        for i, out in enumerate(outputs):
            out.process(entry if i == last else entry.copy())

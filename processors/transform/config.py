"""Configuration of the transform processor (the Collector's transformprocessor keys)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from otelpy.component import Signal
from otelpy.config.types import ConfigModel

if TYPE_CHECKING:
    from otelpy.ottl import StatementGroup

# otelpy.ottl is imported when a config is validated or a processor created, so that
# `otelpy components` and configs without OTTL do not load it
ErrorModeName = Literal["ignore", "silent", "propagate"]
ContextName = Literal["resource", "scope", "span", "spanevent", "metric", "datapoint", "log"]
SIGNAL_KEYS = {Signal.TRACES: "trace_statements", Signal.METRICS: "metric_statements",
               Signal.LOGS: "log_statements"}


class StatementGroupConfig(ConfigModel):
    """One group of the context-grouped form."""

    context: ContextName | None = Field(
        default=None,
        description="The OTTL context the statements run in. Empty: inferred from the "
                    "context names the paths start with (span.attributes -> span).")
    error_mode: ErrorModeName | None = Field(
        default=None, description="Overrides the processor's error_mode for this group.")
    conditions: list[str] = Field(
        default_factory=list,
        description="OTTL conditions, ORed: the statements run only on items where one "
                    "holds (in addition to each statement's own where clause).")
    statements: list[str] = Field(description="OTTL statements, run in order.")


Statements = list[str] | list[StatementGroupConfig]


class TransformConfig(ConfigModel):
    """``processors: transform:`` settings."""

    error_mode: ErrorModeName = Field(
        default="ignore",
        description="What a failing statement does: ignore (log, go on with the next "
                    "statement), silent (go on without logging), propagate (refuse the "
                    "whole batch with the error).")
    trace_statements: Statements = Field(
        default_factory=list,
        description="Statements for traces (contexts resource, scope, span, spanevent): "
                    "a list of statements (one group, context inferred) or a list of "
                    "groups (context, error_mode, conditions, statements).")
    metric_statements: Statements = Field(
        default_factory=list,
        description="Statements for metrics (contexts resource, scope, metric, "
                    "datapoint), in either form.")
    log_statements: Statements = Field(
        default_factory=list,
        description="Statements for logs (contexts resource, scope, log), in either form.")

    def groups(self, signal: Signal) -> list[StatementGroupConfig]:
        """The statements of ``signal`` as groups (the flat form is one group)."""
        entries = getattr(self, SIGNAL_KEYS[signal])
        if entries and all(isinstance(e, str) for e in entries):
            return [StatementGroupConfig(statements=list(entries))]
        return list(entries)

    def compile(self, signal: Signal) -> list[tuple[StatementGroup, str]]:
        """Every group of ``signal`` compiled, with its error mode; raises CompileError
        (first problem) or ValueError (context not of this signal)."""
        from otelpy.ottl import StatementGroup

        return [(StatementGroup.compile(g.statements, signal, g.context, g.conditions),
                 g.error_mode or self.error_mode) for g in self.groups(signal)]

    def validate_config(self) -> list[str]:
        problems = []
        for signal, key in SIGNAL_KEYS.items():
            flat = bool(getattr(self, key)) and isinstance(getattr(self, key)[0], str)
            for n, group in enumerate(self.groups(signal)):
                problems += _group_problems(key, n, flat, group, signal)
        return problems


def _group_problems(key: str, n: int, flat: bool, group: StatementGroupConfig,
                    signal: Signal) -> list[str]:
    from otelpy.ottl import CompileError, StatementGroup

    where = key if flat else f"{key}::{n}"
    try:
        StatementGroup.compile(group.statements, signal, group.context, group.conditions)
    except CompileError as exc:
        # compile errors in conditions and in statements share indexes: find which list
        listed = "statements" if exc.text in group.statements[exc.index:exc.index + 1] \
            else "conditions"
        inner = f"{where}::{exc.index}" if flat else f"{where}::{listed}::{exc.index}"
        return [f"{inner}: {exc}"]
    except ValueError as exc:
        return [f"{where}::context: {exc}" if not flat else f"{where}: {exc}"]
    return []

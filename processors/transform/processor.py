"""The transform processor: OTTL statement groups applied to every batch, in order."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from otelpy.component import ComponentBase, Settings, Signal
from otelpy.consumer import Capabilities, Consumer
from otelpy.errors import PermanentError
from otelpy.ottl import ErrorMode, StatementFailed, StatementGroup
from otelpy.ottl.native import run_ops, span_ops
from otelpy.ottl.report import FailureLog
from otelpy.pdata import Batch
from otelpy.processors.transform.config import TransformConfig


class TransformProcessor(Consumer, ComponentBase):
    """Changes items in place with the configured statements, then forwards the batch.

    Under ``error_mode: propagate`` a failing statement refuses the batch with a
    :class:`PermanentError` (the data would fail the same way again).
    """

    capabilities = Capabilities(mutates_data=True)

    def __init__(self, settings: Settings, cfg: TransformConfig, signal: Signal,
                 next_consumer: Consumer) -> None:
        self._groups: list[tuple[StatementGroup, ErrorMode]] = [
            (group, ErrorMode(mode)) for group, mode in cfg.compile(signal)]
        self._forward: Callable[[Batch], Awaitable[None]] = getattr(
            next_consumer, f"consume_{signal.value}")
        failures = settings.telemetry.counter(
            "otelpy_processor_transform_statement_errors",
            "Statement runs that failed on an item (error_mode ignore or silent)",
            ["processor"]).labels(processor=str(settings.id))
        self._report = FailureLog(settings.logger, failures.inc)
        self._failures = failures
        # the statements as C ops over the request's bytes, when every one maps
        self._native = span_ops([(g.context, [t for t, _ in g.statements],
                                  [t for t, _ in g.conditions]) for g, _ in self._groups]
                                ) if signal is Signal.TRACES and self._groups else None

    async def _apply(self, batch: Batch) -> None:
        if self._native is not None and run_ops(batch, self._native) is not None:
            await self._forward(batch)
            return
        if self._groups:
            request = batch.mutable_message()
            for group, mode in self._groups:
                try:
                    failed = group.execute(request, mode, self._report)
                except StatementFailed as exc:
                    raise PermanentError(str(exc)) from exc
                if failed and mode is ErrorMode.SILENT:  # ignore counts as it reports
                    self._failures.inc(failed)
        await self._forward(batch)

    async def consume_traces(self, batch: Batch) -> None:
        await self._apply(batch)

    async def consume_metrics(self, batch: Batch) -> None:
        await self._apply(batch)

    async def consume_logs(self, batch: Batch) -> None:
        await self._apply(batch)

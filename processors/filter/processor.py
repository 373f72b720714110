"""The filter processor: drops the items an OTTL condition (or the older include/exclude
properties) matches, and counts them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from otelpy.component import ComponentBase, Settings, Signal
from otelpy.consumer import Capabilities, Consumer
from otelpy.errors import PermanentError
from otelpy.ottl import ConditionSet, ErrorMode, StatementFailed
from otelpy.ottl.native import drop_ops, run_ops
from otelpy.ottl.report import FailureLog
from otelpy.pdata import Batch, items
from otelpy.pdata.items import ResourceItem
from otelpy.processors.filter import legacy
from otelpy.processors.filter.config import FilterConfig

_FILTERED = {Signal.TRACES: "otelcol_processor_filter_spans_filtered",
             Signal.METRICS: "otelcol_processor_filter_datapoints_filtered",
             Signal.LOGS: "otelcol_processor_filter_logs_filtered"}
_RETAIN = {"span": items.retain_spans, "spanevent": items.retain_span_events,
           "log": items.retain_log_records, "metric": items.retain_metrics,
           "datapoint": items.retain_data_points}
_ITEMS_OF = {Signal.TRACES: items.retain_spans, Signal.METRICS: items.retain_metrics,
             Signal.LOGS: items.retain_log_records}


class FilterProcessor(Consumer, ComponentBase):
    """Drops matching items, outermost context first (a dropped resource's spans are not
    checked again); a batch left empty is not forwarded."""

    capabilities = Capabilities(mutates_data=True)

    def __init__(self, settings: Settings, cfg: FilterConfig, signal: Signal,
                 next_consumer: Consumer) -> None:
        self._signal = signal
        self._mode = ErrorMode(cfg.error_mode)
        self._sets = [ConditionSet.compile(texts, signal, context)
                      for _, context, texts in cfg.conditions(signal)]
        self._legacy = _legacy_keep(cfg, signal)
        self._forward: Callable[[Batch], Awaitable[None]] = getattr(
            next_consumer, f"consume_{signal.value}")
        labels = {"processor": str(settings.id)}
        self._filtered = settings.telemetry.counter(
            _FILTERED[signal], "Items dropped by the filter processor's conditions",
            ["processor"]).labels(**labels)
        errors = settings.telemetry.counter(
            "otelpy_processor_filter_condition_errors",
            "Condition evaluations that failed (the item was kept)", ["processor"],
        ).labels(**labels)
        self._report = FailureLog(settings.logger, errors.inc)
        # one span condition set, every condition a C op over the request's bytes
        self._native = (drop_ops(self._sets[0].context, [t for t, _ in self._sets[0].conditions])
                        if signal is Signal.TRACES and len(self._sets) == 1
                        and self._legacy is None else None)

    def _drop(self, request: Any, conditions: ConditionSet) -> int:
        matches, mode, report = conditions.matches, self._mode, self._report
        if conditions.context == "resource":
            verdicts: dict[int, bool] = {}

            def keep(item: Any) -> bool:
                key = id(item.resource)
                if key not in verdicts:
                    verdicts[key] = not matches(ResourceItem(item.resource), mode, report)
                return verdicts[key]
            return _ITEMS_OF[self._signal](request, keep)
        return conditions.drop(request, _RETAIN[conditions.context], mode, report)

    async def _apply(self, batch: Batch) -> None:
        if not self._sets and self._legacy is None:
            await self._forward(batch)
            return
        native = run_ops(batch, self._native) if self._native is not None else None
        if native is not None:
            if native:
                self._filtered.inc(native)
            if batch.item_count:
                await self._forward(batch)
            return
        request = batch.mutable_message()
        dropped = 0
        try:
            for conditions in self._sets:
                removed = self._drop(request, conditions)
                if conditions.context != "spanevent":  # events are not counted as spans
                    dropped += removed
        except StatementFailed as exc:
            raise PermanentError(str(exc)) from exc
        if self._legacy is not None:
            dropped += _ITEMS_OF[self._signal](request, self._legacy)
        if dropped:
            self._filtered.inc(dropped)
        if batch.item_count == 0:
            return  # nothing left to send (the Collector skips the rest of the pipeline)
        await self._forward(batch)

    async def consume_traces(self, batch: Batch) -> None:
        await self._apply(batch)

    async def consume_metrics(self, batch: Batch) -> None:
        await self._apply(batch)

    async def consume_logs(self, batch: Batch) -> None:
        await self._apply(batch)


def _legacy_keep(cfg: FilterConfig, signal: Signal) -> Callable[[Any], bool] | None:
    props, matcher = {
        Signal.TRACES: (cfg.spans, legacy.span_matcher),
        Signal.METRICS: (cfg.metrics, legacy.metric_matcher),
        Signal.LOGS: (cfg.logs, legacy.log_matcher),
    }[signal]
    include = matcher(props.include) if props.include is not None else None  # type: ignore[arg-type]
    exclude = matcher(props.exclude) if props.exclude is not None else None  # type: ignore[arg-type]
    return legacy.keep_filter(include, exclude)

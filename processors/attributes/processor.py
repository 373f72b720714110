"""The attributes processor: applies attribute actions to the spans, log records and metric
data points that its include / exclude properties select."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from otelpy.attraction import AttrProc
from otelpy.component import ComponentBase, Settings, Signal
from otelpy.consumer import Capabilities, Consumer
from otelpy.filtermatch import log_skip, metric_skip, span_skip
from otelpy.pdata import Batch, ClientMetadata, items
from otelpy.processors.attributes.config import AttributesConfig

_SKIPS = {Signal.TRACES: span_skip, Signal.LOGS: log_skip, Signal.METRICS: metric_skip}
_WALKS = {Signal.TRACES: items.spans, Signal.LOGS: items.log_records,
          Signal.METRICS: items.data_points}


class AttributesProcessor(Consumer, ComponentBase):
    """One attributes processor instance (one per pipeline it appears in).

    Raises ValueError at creation when the actions are invalid or include / exclude name
    properties the signal does not have (``log_bodies`` in a traces pipeline ...).
    """

    capabilities = Capabilities(mutates_data=True)

    def __init__(self, settings: Settings, cfg: AttributesConfig, signal: Signal,
                 next_consumer: Consumer) -> None:
        self._actions = AttrProc(cfg.actions, "actions")
        self._skip: Callable[[Any], bool] | None = _SKIPS[signal](cfg.include, cfg.exclude)
        self._walk = _WALKS[signal]
        self._forward: Callable[[Batch], Awaitable[None]] = getattr(
            next_consumer, f"consume_{signal.value}")

    def process(self, request: Any, metadata: ClientMetadata | None = None) -> None:
        """Apply the actions to every selected item of a decoded request, in place
        (``from_context`` reads ``metadata``)."""
        skip, actions = self._skip, self._actions
        for item in self._walk(request):
            if skip is None or not skip(item):
                actions.process(item.attributes, metadata)

    async def _consume(self, batch: Batch) -> None:
        self.process(batch.mutable_message(), batch.metadata)
        await self._forward(batch)

    async def consume_traces(self, batch: Batch) -> None:
        await self._consume(batch)

    async def consume_metrics(self, batch: Batch) -> None:
        await self._consume(batch)

    async def consume_logs(self, batch: Batch) -> None:
        await self._consume(batch)

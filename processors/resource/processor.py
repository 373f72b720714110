"""The resource processor: applies attribute actions to the resource of every batch item."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from otelpy.attraction import AttrProc
from otelpy.component import ComponentBase, Settings, Signal
from otelpy.consumer import Capabilities, Consumer
from otelpy.pdata import Batch, ClientMetadata, items
from otelpy.processors.resource.config import ResourceConfig


class ResourceProcessor(Consumer, ComponentBase):
    """One resource processor instance (one per pipeline it appears in).

    Raises ValueError at creation when the actions are invalid.
    """

    capabilities = Capabilities(mutates_data=True)

    def __init__(self, settings: Settings, cfg: ResourceConfig, signal: Signal,
                 next_consumer: Consumer) -> None:
        self._actions = AttrProc(cfg.attributes, "attributes")
        self._forward: Callable[[Batch], Awaitable[None]] = getattr(
            next_consumer, f"consume_{signal.value}")

    def process(self, request: Any, metadata: ClientMetadata | None = None) -> None:
        """Apply the actions to every resource of a decoded request, in place
        (``from_context`` reads ``metadata``)."""
        for item in items.resources(request):
            self._actions.process(item.attributes, metadata)

    async def _consume(self, batch: Batch) -> None:
        self.process(batch.mutable_message(), batch.metadata)
        await self._forward(batch)

    async def consume_traces(self, batch: Batch) -> None:
        await self._consume(batch)

    async def consume_metrics(self, batch: Batch) -> None:
        await self._consume(batch)

    async def consume_logs(self, batch: Batch) -> None:
        await self._consume(batch)

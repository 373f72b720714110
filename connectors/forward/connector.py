"""The forward connector: hands batches on, unchanged, to pipelines of the same signal."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from otelpy.component import ComponentBase, Settings, Signal
from otelpy.config.types import EmptyConfig
from otelpy.consumer import Capabilities, Consumer
from otelpy.pdata import Batch


class ForwardConnector(Consumer, ComponentBase):
    """Exporter on the source pipeline, receiver on the target pipelines.

    Raises ValueError when ``source`` and ``target`` differ. A refusal by the
    target pipelines is raised back to the source pipeline.
    """

    capabilities = Capabilities(mutates_data=False)

    def __init__(self, settings: Settings, cfg: EmptyConfig, source: Signal, target: Signal,
                 next_consumer: Consumer) -> None:
        if source is not target:
            raise ValueError(f"forward connects a signal to itself, not {source} to {target}")
        self.signal = source
        self._forward: Callable[[Batch], Awaitable[None]] = getattr(
            next_consumer, f"consume_{target.value}")

    async def consume_traces(self, batch: Batch) -> None:
        await self._forward(batch)

    async def consume_metrics(self, batch: Batch) -> None:
        await self._forward(batch)

    async def consume_logs(self, batch: Batch) -> None:
        await self._forward(batch)

"""Batching by client metadata (``metadata_keys``): one batcher per combination of values.

Each distinct combination of the ``metadata_keys`` values a batch's client metadata
holds gets its own :class:`~otelpy.processors.batch.processor.BatchProcessor` (its own
buffer, size and timeout triggers), created on first use; what it sends carries those
keys' values as its client metadata, so exporters (``headers_setter``) and connectors
downstream see them. Past ``metadata_cardinality_limit`` combinations, a batch with a
new combination is refused with a permanent error and counted, as the Collector does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from otelpy.component import ComponentBase, Host, Settings, Signal
from otelpy.consumer import Capabilities, Consumer
from otelpy.errors import PermanentError
from otelpy.pdata import Batch, ClientMetadata
from otelpy.processors.batch.config import BatchConfig
from otelpy.processors.batch.processor import BatchProcessor

ShardFactory = Callable[[], BatchProcessor]


class PartitionedBatchProcessor(Consumer, ComponentBase):
    """Routes each batch to the batcher of its ``metadata_keys`` values."""

    capabilities = Capabilities(mutates_data=False)

    def __init__(self, settings: Settings, cfg: BatchConfig, signal: Signal,
                 new_shard: ShardFactory) -> None:
        self._keys = list(cfg.metadata_keys)
        self._limit = cfg.metadata_cardinality_limit
        self._new_shard = new_shard
        self._shards: dict[ClientMetadata, BatchProcessor] = {}
        self._host: Host | None = None
        self._closing = False
        self._log = settings.logger
        self._m_refused = settings.telemetry.items(
            "otelcol_processor_batch_metadata_cardinality_refused", signal,
            "Items refused because their client metadata made one combination too many "
            "(metadata_cardinality_limit)", ["processor"]).labels(processor=str(settings.id))

    @property
    def shards(self) -> int:
        """Metadata combinations with a batcher of their own."""
        return len(self._shards)

    async def _shard(self, batch: Batch) -> BatchProcessor:
        key = (batch.metadata or ClientMetadata()).subset(self._keys)
        shard = self._shards.get(key)
        if shard is not None:
            return shard
        if self._limit and len(self._shards) >= self._limit:
            self._m_refused.inc(batch.item_count)
            raise PermanentError(
                f"too many batcher metadata-value combinations (limit "
                f"{self._limit}); refused {dict(key)}")
        shard = self._shards[key] = self._new_shard()
        shard.out_metadata = key
        if self._host is not None and not self._closing:
            await shard.start(self._host)
        return shard

    async def _accept(self, batch: Batch) -> None:
        shard = await self._shard(batch)
        await getattr(shard, f"consume_{batch.signal.value}")(batch)

    async def consume_traces(self, batch: Batch) -> None:
        await self._accept(batch)

    async def consume_metrics(self, batch: Batch) -> None:
        await self._accept(batch)

    async def consume_logs(self, batch: Batch) -> None:
        await self._accept(batch)

    async def start(self, host: Host) -> None:
        self._host = host
        for shard in list(self._shards.values()):
            await shard.start(host)

    async def shutdown(self) -> None:
        """Drain every batcher at once (each within its own shutdown timeout)."""
        self._closing = True
        await asyncio.gather(*(s.shutdown() for s in list(self._shards.values())))

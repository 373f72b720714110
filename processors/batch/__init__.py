"""The ``batch`` processor: groups batches by size and time, without decoding them."""

from __future__ import annotations

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.consumer import Consumer
from otelpy.processors.batch.config import BatchConfig
from otelpy.processors.batch.partitioned import PartitionedBatchProcessor
from otelpy.processors.batch.processor import BatchProcessor
from otelpy.processors.batch.waiting import WaitingBatchProcessor


def _create_one(settings: Settings, cfg: BatchConfig, signal: Signal,
                next_consumer: Consumer) -> BatchProcessor:
    if cfg.wait_for_export:
        return WaitingBatchProcessor(settings, cfg, signal, next_consumer)
    return BatchProcessor(settings, cfg, signal, next_consumer)


def _create(settings: Settings, cfg: BatchConfig, signal: Signal,
            next_consumer: Consumer) -> BatchProcessor | PartitionedBatchProcessor:
    if cfg.metadata_keys:
        return PartitionedBatchProcessor(
            settings, cfg, signal, lambda: _create_one(settings, cfg, signal, next_consumer))
    return _create_one(settings, cfg, signal, next_consumer)


factory = Factory(
    type="batch",
    kind=Kind.PROCESSOR,
    config_type=BatchConfig,
    create=_create,
    stability={s.value: Stability.BETA for s in Signal},
    description="Groups spans, metric data points and log records into larger batches "
                "by count and time, at the byte level",
)

__all__ = ["factory", "BatchConfig", "BatchProcessor", "PartitionedBatchProcessor",
           "WaitingBatchProcessor"]

"""Configuration of the batch processor (the Collector's batchprocessor keys and defaults)."""

from __future__ import annotations

from pydantic import Field

from otelpy.config.lists import StringList
from otelpy.config.types import ConfigModel, Duration


class BatchConfig(ConfigModel):
    """``processors: batch:`` settings."""

    timeout: Duration = Field(
        default=0.2,
        description=(
            "Time after which a batch is sent regardless of its size. 0 sends every "
            "batch as soon as it arrives (only send_batch_max_size still applies)."
        ),
    )
    send_batch_size: int = Field(
        default=8192,
        ge=0,
        description=(
            "Number of spans, metric data points or log records after which a batch is "
            "sent regardless of the timeout. A trigger, not a size limit: see "
            "send_batch_max_size. 0 sends as soon as data arrives."
        ),
    )
    send_batch_max_size: int = Field(
        default=0,
        ge=0,
        description=(
            "Upper limit of the items in one sent batch; larger batches are split. 0 means "
            "no limit. When set, it must be greater than or equal to send_batch_size."
        ),
    )
    wait_for_export: bool = Field(
        default=False,
        description=(
            "otelpy: when true, a caller is answered only once the batch holding its data "
            "was accepted by the next consumer (with a persistent sending queue: durably "
            "enqueued), and a refusal downstream is raised to it. Needed for at-least-once "
            "delivery through this processor. False (the Collector's behaviour) accepts on "
            "buffering."
        ),
    )
    metadata_keys: StringList = Field(
        default_factory=list,
        description=(
            "Client metadata keys to batch by: each distinct combination of their values "
            "(from receivers with include_metadata) is batched separately and sent carrying "
            "those values. Empty = one batcher; client metadata is then dropped."
        ),
    )
    metadata_cardinality_limit: int = Field(
        default=1000,
        ge=0,
        description=(
            "Most distinct metadata value combinations batched at once; data with one "
            "more is refused (permanent error, counted). 0 = no limit."
        ),
    )

    def validate_config(self) -> list[str]:
        problems = []
        if self.send_batch_max_size and self.send_batch_max_size < self.send_batch_size:
            problems.append(
                f"send_batch_max_size ({self.send_batch_max_size}) must be greater than or "
                f"equal to send_batch_size ({self.send_batch_size})"
            )
        return problems

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
            "Client metadata keys to batch by. Not supported yet: must be empty "
            "(otelpy receivers do not pass client metadata along with batches)."
        ),
    )
    metadata_cardinality_limit: int = Field(
        default=1000,
        ge=0,
        description=(
            "Limit on distinct metadata value combinations; accepted for Collector "
            "compatibility, without effect while metadata_keys must be empty."
        ),
    )

    def validate_config(self) -> list[str]:
        problems = []
        if self.send_batch_max_size and self.send_batch_max_size < self.send_batch_size:
            problems.append(
                f"send_batch_max_size ({self.send_batch_max_size}) must be greater than or "
                f"equal to send_batch_size ({self.send_batch_size})"
            )
        if self.metadata_keys:
            problems.append(
                "metadata_keys: batching by client metadata is not supported by otelpy yet; "
                "remove the key or leave it empty"
            )
        return problems

"""Config models of the shared exporter keys: ``sending_queue``, ``retry_on_failure``, ``timeout``.

Key names and defaults follow the Collector's exporterhelper, with one otelpy
addition: ``sending_queue.overflow`` (``block`` | ``drop_newest``) names what a full
queue does. The Collector's ``block_on_overflow`` is accepted as an alias:
``block_on_overflow: false`` means ``overflow: drop_newest``. Setting both to
contradicting values is a config error. Unlike the Collector (which defaults to
refusing when full), otelpy blocks by default: a full queue is backpressure.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, TypeAdapter, field_validator, model_validator

from otelpy.component import ComponentID
from otelpy.config.types import ConfigModel, Duration

__all__ = ["QueueSettings", "RetrySettings", "ExporterHelperSettings", "Overflow",
           "OptInQueueSettings", "OptInRetrySettings"]

Overflow = Literal["block", "drop_newest"]
_BOOL = TypeAdapter(bool)


class QueueSettings(ConfigModel):
    """``sending_queue``: a queue of batches in front of the sender, in memory or (with
    ``storage``) on disk."""

    enabled: bool = Field(True, description="Queue batches and send them from worker tasks; "
                          "when false, the caller waits for each send (with retries).")
    num_consumers: int = Field(10, ge=1, description="Worker tasks sending batches from the "
                               "queue concurrently.")
    queue_size: int = Field(1000, ge=1, description="Maximum number of batches (requests, not "
                            "items) held in the queue.")
    block_on_overflow: bool = Field(True, description="Collector alias of `overflow`: true = "
                                    "`block`, false = `drop_newest`.")
    overflow: Overflow = Field("block", description="What a full queue does: `block` makes the "
                               "caller wait for room (backpressure); `drop_newest` drops the "
                               "incoming batch, counts it in otelcol_exporter_enqueue_failed_* "
                               "and logs (rate-limited).")
    storage: str | None = Field(None, description="ID of a storage extension "
                                "(`file_storage/<name>`): the queue is kept on disk, one per "
                                "signal, and a batch is accepted only once durably enqueued "
                                "(see docs/guarantees.md). Unset: the queue is in memory.")
    max_bytes: int = Field(0, ge=0, description="Persistent queue only: bound on the bytes of "
                           "the batches not yet delivered, besides queue_size; 0 = no byte "
                           "bound.")

    @field_validator("storage")
    @classmethod
    def _storage_id(cls, value: str | None) -> str | None:
        if value is not None:
            ComponentID.parse(value)  # ValueError names the problem
        return value

    def validate_config(self) -> list[str]:
        problems = []
        if self.storage is not None and not self.enabled:
            problems.append("sending_queue.storage needs sending_queue.enabled: true")
        if self.max_bytes and self.storage is None:
            problems.append("sending_queue.max_bytes applies to a persistent queue only: set "
                            "sending_queue.storage, or remove max_bytes")
        return problems

    @model_validator(mode="before")
    @classmethod
    def _reconcile_overflow(cls, data: Any) -> Any:
        """Fill whichever of ``overflow`` / ``block_on_overflow`` is missing from the other."""
        if not isinstance(data, dict):
            return data
        has_overflow, has_block = "overflow" in data, "block_on_overflow" in data
        if has_block:
            block = _BOOL.validate_python(data["block_on_overflow"])
            implied = "block" if block else "drop_newest"
            if not has_overflow:
                return {**data, "overflow": implied}
            if data["overflow"] in ("block", "drop_newest") and data["overflow"] != implied:
                raise ValueError(
                    f"block_on_overflow: {str(block).lower()} contradicts "
                    f"overflow: {data['overflow']}; set only one of them")
        elif has_overflow:
            return {**data, "block_on_overflow": data["overflow"] == "block"}
        return data


class RetrySettings(ConfigModel):
    """``retry_on_failure``: exponential backoff with jitter for retryable failures."""

    enabled: bool = Field(True, description="Retry batches refused with a retryable error.")
    initial_interval: Duration = Field(5.0, description="Wait after the first failure.")
    randomization_factor: float = Field(0.5, ge=0, le=1, description="Jitter: each wait is "
                                        "drawn from interval * (1 ± randomization_factor).")
    multiplier: float = Field(1.5, gt=0, description="Growth of the interval after each retry.")
    max_interval: Duration = Field(30.0, description="Upper bound of the interval.")
    max_elapsed_time: Duration = Field(300.0, description="Give up on a batch (counted as "
                                       "failed) after this long; 0 = retry forever.")

    def validate_config(self) -> list[str]:
        problems = []
        if self.max_elapsed_time and self.max_elapsed_time < self.initial_interval:
            problems.append("retry_on_failure.max_elapsed_time must not be less than "
                            "retry_on_failure.initial_interval")
        if self.max_elapsed_time and self.max_elapsed_time < self.max_interval:
            problems.append("retry_on_failure.max_elapsed_time must not be less than "
                            "retry_on_failure.max_interval")
        return problems


class OptInQueueSettings(QueueSettings):
    """``sending_queue`` of exporters that send inline unless asked (debug, file)."""

    enabled: bool = Field(False, description="Queue batches and send them from worker tasks; "
                          "when false, the caller waits for each send (with retries).")


class OptInRetrySettings(RetrySettings):
    """``retry_on_failure`` of exporters whose writes rarely fail transiently (debug, file)."""

    enabled: bool = Field(False, description="Retry batches refused with a retryable error.")


class ExporterHelperSettings(ConfigModel):
    """Base of exporter configs: the three exporterhelper keys, with the Collector's defaults."""

    timeout: Duration = Field(5.0, description="Time limit of one send attempt; 0 = none.")
    sending_queue: QueueSettings = Field(default_factory=QueueSettings,
                                         description="Sending queue (in memory, or on disk "
                                         "with `storage`).")
    retry_on_failure: RetrySettings = Field(default_factory=RetrySettings,
                                            description="Retries of failed sends.")

    def validate_config(self) -> list[str]:
        return self.retry_on_failure.validate_config() + self.sending_queue.validate_config()

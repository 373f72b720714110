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

from otelpy.config.lists import StringList
from otelpy.config.types import ConfigModel, Duration, ExtensionID

__all__ = ["QueueSettings", "RetrySettings", "ExporterHelperSettings", "Overflow",
           "OptInQueueSettings", "OptInRetrySettings", "BatchSettings", "Sizer"]

Overflow = Literal["block", "drop_newest"]
Sizer = Literal["requests", "items", "bytes"]
_BOOL = TypeAdapter(bool)
_NOT_SUPPORTED = "not supported by otelpy: "


class PartitionSettings(ConfigModel):
    """``sending_queue::batch::partition``."""

    metadata_keys: StringList = Field(
        default_factory=list, description="Client metadata keys to batch by. Not supported: "
        "must be empty (otelpy receivers do not pass client metadata along with batches).")

    @field_validator("metadata_keys")
    @classmethod
    def _no_keys(cls, value: list[str]) -> list[str]:
        if value:
            raise ValueError(_NOT_SUPPORTED + "otelpy receivers do not pass client metadata "
                             "along with batches; remove metadata_keys")
        return value


class BatchSettings(ConfigModel):
    """``sending_queue::batch``: the Collector's exporter-side batching."""

    flush_timeout: Duration = Field(0.2, description="Send a batch this long after its first "
                                    "data arrived, whatever its size; must be positive.")
    sizer: Literal["items", "bytes"] | None = Field(
        None, description="What min_size and max_size count: items (spans, data points, log "
        "records) or bytes (serialized). Unset: the queue's `sizer` if that is set, else "
        "items.")
    min_size: int = Field(8192, ge=0, description="Send as soon as a batch holds this much.")
    max_size: int = Field(0, ge=0, description="Split larger batches (items exactly; bytes "
                          "approximately, cutting between items); 0 = no maximum.")
    partition: PartitionSettings = Field(default_factory=PartitionSettings,
                                         description="Partitioning of batches.")

    @model_validator(mode="after")
    def _sizes(self) -> BatchSettings:
        if self.flush_timeout <= 0:
            raise ValueError("flush_timeout must be positive")
        if self.max_size and self.max_size < self.min_size:
            raise ValueError(f"max_size ({self.max_size}) must be greater or equal to "
                             f"min_size ({self.min_size})")
        return self


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
    storage: ExtensionID | None = Field(None, description="ID of a storage extension "
                                "(`file_storage/<name>`): the queue is kept on disk, one per "
                                "signal, and a batch is accepted only once durably enqueued "
                                "(see docs/guarantees.md). Unset: the queue is in memory.")
    max_bytes: int = Field(0, ge=0, description="Persistent queue only: bound on the bytes of "
                           "the batches not yet delivered, besides queue_size; 0 = no byte "
                           "bound.")
    blocking: bool | None = Field(None, description="The Collector's older name of "
                                  "block_on_overflow; read as block_on_overflow.")
    sizer: Sizer = Field("requests", description="What queue_size counts: requests "
                         "(batches), items (spans, data points, log records) or bytes "
                         "(serialized). A persistent queue counts requests only.")
    wait_for_result: bool = Field(False, description="The caller waits until its batch was "
                                  "sent (with retries) and gets the final error, as with "
                                  "`enabled: false`; not with `storage` or `batch`.")
    batch: BatchSettings | None = Field(None, description="Merge batches before sending "
                                        "(`batch: {}` for the defaults); unset: no batching.")

    def validate_config(self) -> list[str]:
        problems = []
        if self.storage is not None and not self.enabled:
            problems.append("sending_queue.storage needs sending_queue.enabled: true")
        if self.max_bytes and self.storage is None:
            problems.append("sending_queue.max_bytes applies to a persistent queue only: set "
                            "sending_queue.storage, or remove max_bytes")
        if self.storage is not None and self.wait_for_result:
            problems.append("sending_queue.wait_for_result: is not supported with a persistent "
                            "queue configured with `storage` (as in the Collector)")
        if self.storage is not None and self.sizer != "requests":
            problems.append("sending_queue.sizer: " + _NOT_SUPPORTED + "a persistent queue "
                            "counts requests; use sizer: requests (and max_bytes for a byte "
                            "bound)")
        if self.storage is not None and self.batch is not None:
            problems.append("sending_queue.batch: " + _NOT_SUPPORTED + "with `storage`: "
                            "otelpy merges batches in memory before the queue, which would "
                            "hold accepted data outside the persistent queue")
        if self.wait_for_result and self.batch is not None:
            problems.append("sending_queue.batch: " + _NOT_SUPPORTED + "together with "
                            "wait_for_result")
        batch = self.batch
        if batch is not None and batch.sizer == self.sizer and batch.min_size > self.queue_size:
            problems.append("sending_queue.batch.min_size: must be less than or equal to "
                            "queue_size")
        return problems

    @model_validator(mode="before")
    @classmethod
    def _batch_sizer(cls, data: Any) -> Any:
        """``batch::sizer`` unset takes the queue's ``sizer`` when that is set (the
        Collector's rule); a ``requests`` sizer is then refused for the batch."""
        if not isinstance(data, dict) or not isinstance(data.get("batch"), dict):
            return data
        batch = data["batch"]
        if "sizer" in data and batch.get("sizer") is None:
            if data["sizer"] == "requests":
                raise ValueError("batch supports only `items` or `bytes` sizer, found "
                                 '"requests" (from sending_queue::sizer); set batch::sizer')
            return {**data, "batch": {**batch, "sizer": data["sizer"]}}
        return data

    @property
    def batch_sizer(self) -> Literal["items", "bytes"]:
        """The sizer batching uses (items unless set)."""
        return self.batch.sizer or "items" if self.batch is not None else "items"

    @model_validator(mode="before")
    @classmethod
    def _reconcile_overflow(cls, data: Any) -> Any:
        """Fill whichever of ``overflow`` / ``block_on_overflow`` is missing from the other."""
        if not isinstance(data, dict):
            return data
        if "blocking" in data:  # the Collector's name before block_on_overflow
            if data["blocking"] is None:
                data = {k: v for k, v in data.items() if k != "blocking"}
            elif "block_on_overflow" in data:
                raise ValueError("blocking is the old name of block_on_overflow; set only "
                                 "block_on_overflow")
            else:
                data = {k if k != "blocking" else "block_on_overflow": v
                        for k, v in data.items()}
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

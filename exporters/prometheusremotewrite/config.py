"""Configuration of the prometheusremotewrite exporter: the Collector's keys and defaults."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from otelpy.config.client import HTTPClientSettings
from otelpy.config.prometheus import ResourceToTelemetrySettings
from otelpy.config.types import ConfigModel, Duration, ExtensionID
from otelpy.exporterhelper import Overflow, QueueSettings, RetrySettings

_NOT_SUPPORTED = "not supported by otelpy: "
TranslationStrategy = Literal["UnderscoreEscapingWithSuffixes",
                              "UnderscoreEscapingWithoutSuffixes",
                              "NoUTF8EscapingWithSuffixes", "NoTranslation"]
DEFAULT_MAX_BATCH_SIZE_BYTES = 3_000_000


class RemoteWriteQueueSettings(ConfigModel):
    """``remote_write_queue``: the queue in front of the sender (the Collector's key; this
    exporter has no ``sending_queue``)."""

    enabled: bool = Field(True, description="Queue batches and send them in order from one "
                          "worker; when false, the caller waits for each send (with retries).")
    queue_size: int = Field(10000, ge=1, description="Most OTLP batches (requests) held in "
                            "the queue.")
    num_consumers: int = Field(5, ge=1, description="Concurrent HTTP requests for the write "
                               "requests one batch is split into (max_batch_size_bytes); "
                               "batches themselves are sent one at a time, in order, since "
                               "Prometheus refuses out-of-order samples.")
    storage: ExtensionID | None = Field(
        None, description="otelpy addition: ID of a storage extension (`file_storage/<name>`): "
        "the queue is kept on disk and survives restarts (see docs/guarantees.md). Unset: "
        "memory.")
    overflow: Overflow = Field("block", description="otelpy addition: what a full queue does: "
                               "`block` (backpressure) or `drop_newest` (dropped, counted).")

    def queue(self) -> QueueSettings:
        """The shared helper's queue settings: one worker keeps the batches in order."""
        return QueueSettings.model_validate({
            "enabled": self.enabled, "queue_size": self.queue_size, "num_consumers": 1,
            "storage": self.storage, "overflow": self.overflow})


class PRWRetrySettings(RetrySettings):
    """``retry_on_failure`` with the remote write exporter's defaults (short intervals)."""

    initial_interval: Duration = Field(0.05, description="Wait after the first failure.")
    max_interval: Duration = Field(0.2, description="Upper bound of the interval.")
    max_elapsed_time: Duration = Field(60.0, description="Give up on a batch (counted as "
                                       "failed) after this long; 0 = retry forever.")


class EnabledSettings(ConfigModel):
    """A feature switch (``target_info``)."""

    enabled: bool = Field(True, description="Send a target_info series per resource.")


class PRWConfig(HTTPClientSettings):
    """``exporters: prometheusremotewrite:`` settings (HTTP client keys at the top level)."""

    endpoint: str = Field("", description="Remote write URL, e.g. "
                          "`http://prometheus:9090/api/v1/write` (required).")
    compression: Literal["snappy", ""] = Field(  # type: ignore[assignment]
        "snappy", description="Bodies are always snappy block-compressed, as remote write 1.0 "
        "requires; only `snappy` (or empty) is accepted.")
    timeout: Duration = Field(5.0, description="Time limit of one HTTP request; 0 = none.")
    retry_on_failure: PRWRetrySettings = Field(default_factory=PRWRetrySettings,
                                               description="Retries of failed requests "
                                               "(5xx, 429, connection errors).")
    remote_write_queue: RemoteWriteQueueSettings = Field(
        default_factory=RemoteWriteQueueSettings, description="Sending queue.")
    namespace: str = Field("", description="Prefix of every metric name (`<namespace>_`).")
    external_labels: dict[str, str] = Field(
        default_factory=dict, description="Labels added to every series where no attribute "
        "sets the same name; names are sanitized, values must not be empty.")
    resource_to_telemetry_conversion: ResourceToTelemetrySettings = Field(
        default_factory=ResourceToTelemetrySettings,
        description="Resource attributes as series labels (otherwise they are only on "
                    "target_info).")
    target_info: EnabledSettings = Field(default_factory=EnabledSettings,
                                         description="The target_info series.")
    disable_scope_info: bool = Field(
        False, description="Leave out the otel_scope_name, otel_scope_version, "
                           "otel_scope_schema_url and otel_scope_<attribute> labels.")
    add_metric_suffixes: bool = Field(
        True, description="Add unit and type suffixes (`_seconds`, `_total`, `_ratio`); "
                          "translation_strategy wins when set.")
    translation_strategy: TranslationStrategy | None = Field(
        None, description="UnderscoreEscapingWithSuffixes or UnderscoreEscapingWithout"
                          "Suffixes; the NoUTF8/NoTranslation ones need remote write 2.0.")
    send_metadata: bool = Field(False, description="Send one MetricMetadata (type, HELP, "
                                "unit) per metric family with the series.")
    max_batch_size_bytes: int = Field(
        DEFAULT_MAX_BATCH_SIZE_BYTES, ge=0, description="Split a batch's series into write "
        "requests of at most this many bytes (before compression); 0 = 3000000.")
    max_batch_request_parallelism: int | None = Field(
        None, ge=1, description="Concurrent requests for one split batch; unset: "
        "remote_write_queue.num_consumers.")
    protobuf_message: Literal["prometheus.WriteRequest", "io.prometheus.write.v2.Request"] = \
        Field("prometheus.WriteRequest", description="Remote write 1.0 "
              "(`prometheus.WriteRequest`) only; 2.0 is refused.")
    wal: dict[str, Any] | None = Field(None, description="The Collector's write-ahead log; "
                                       "refused: use remote_write_queue.storage.")

    @field_validator("wal")
    @classmethod
    def _no_wal(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            raise ValueError(_NOT_SUPPORTED + "otelpy keeps the queue on disk with "
                             "remote_write_queue::storage (a file_storage extension)")
        return value

    @field_validator("protobuf_message")
    @classmethod
    def _v1_only(cls, value: str) -> str:
        if value != "prometheus.WriteRequest":
            raise ValueError(_NOT_SUPPORTED + "remote write 2.0; use prometheus.WriteRequest")
        return value

    def with_suffixes(self) -> bool:
        """Whether unit and type suffixes are added (translation_strategy wins)."""
        if self.translation_strategy is not None:
            return self.translation_strategy.endswith("WithSuffixes")
        return self.add_metric_suffixes

    def batch_bytes(self) -> int:
        return self.max_batch_size_bytes or DEFAULT_MAX_BATCH_SIZE_BYTES

    def validate_config(self) -> list[str]:
        problems = self.retry_on_failure.validate_config()
        problems += self.remote_write_queue.queue().validate_config()
        if not self.endpoint:
            problems.append("endpoint: must be set (the remote write URL)")
        problems += HTTPClientSettings.validate_config(self)
        for key, value in self.external_labels.items():
            if not key or not value:
                problems.append("external_labels: contains an empty key or value")
                break
        if self.translation_strategy in ("NoUTF8EscapingWithSuffixes", "NoTranslation"):
            problems.append(f"translation_strategy: {self.translation_strategy} requires "
                            "Prometheus Remote Write 2.0 (UTF-8 names)")
        return problems

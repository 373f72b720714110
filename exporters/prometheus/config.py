"""Configuration of the prometheus exporter: the Collector's prometheusexporter keys."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from otelpy.config.auth import AuthSettings
from otelpy.config.prometheus import ResourceToTelemetrySettings
from otelpy.config.server import Endpoint
from otelpy.config.tls import TLSServerSettings
from otelpy.config.types import ConfigModel, Duration
from otelpy.exporterhelper import OptInQueueSettings

TranslationStrategy = Literal["UnderscoreEscapingWithSuffixes",
                              "UnderscoreEscapingWithoutSuffixes",
                              "NoUTF8EscapingWithSuffixes", "NoTranslation"]


class PrometheusConfig(ConfigModel):
    """``exporters: prometheus:`` settings."""

    endpoint: str = Field(
        default="", description="host:port serving /metrics (required); \":8889\" listens on "
                                "every interface, \"localhost\" binds 127.0.0.1.")
    tls: TLSServerSettings | None = Field(
        default=None, description="TLS (and with client_ca_file mutual TLS) for the endpoint; "
                                  "unset = plaintext.")
    auth: AuthSettings | None = Field(
        default=None, description="Authenticator extension every scrape must pass; refused "
                                  "requests get 401.")
    namespace: str = Field(default="", description="Prefix of every metric name "
                           "(`<namespace>_<name>`).")
    const_labels: dict[str, str] = Field(
        default_factory=dict, description="Labels added to every series (they win over "
                                          "attributes of the same name).")
    send_timestamps: bool = Field(False, description="Write each sample's timestamp (the data "
                                  "point's time) in the exposition.")
    metric_expiration: Duration = Field(
        300.0, description="A series not updated for this long is no longer exposed.")
    resource_to_telemetry_conversion: ResourceToTelemetrySettings = Field(
        default_factory=ResourceToTelemetrySettings,
        description="Resource attributes as series labels (otherwise they are only on "
                    "target_info).")
    enable_open_metrics: bool = Field(
        False, description="Serve OpenMetrics 1.0 (with exemplars on counters and histogram "
                           "buckets) to scrapers that ask for it in Accept; text 0.0.4 "
                           "otherwise.")
    add_metric_suffixes: bool = Field(
        True, description="Add unit and type suffixes (`_seconds`, `_total`, `_ratio`). "
                          "Deprecated in the Collector: translation_strategy wins when set.")
    translation_strategy: TranslationStrategy | None = Field(
        None, description="How names are translated; when set, wins over add_metric_suffixes. "
                          "The NoUTF8/NoTranslation strategies only decide suffixes here: "
                          "names are still escaped to `_`, since the text formats served "
                          "carry legacy names only.")
    without_scope_info: bool = Field(
        False, description="Leave out the otel_scope_name, otel_scope_version, "
                           "otel_scope_schema_url and otel_scope_<attribute> labels.")
    max_series: int = Field(
        500_000, ge=1, description="otelpy addition: most series kept; a point that would add "
                                   "one more is dropped and counted (reason series_limit).")
    sending_queue: OptInQueueSettings = Field(
        default_factory=lambda: OptInQueueSettings(),
        description="Sending queue; disabled by default, as in the Collector.")

    def validate_config(self) -> list[str]:
        problems = self.sending_queue.validate_config()
        if not self.endpoint.strip():
            problems.append("endpoint: expecting a non-blank address to serve /metrics on")
        else:
            try:
                Endpoint.parse(self.endpoint)
            except ValueError as exc:
                problems.append(f"endpoint: {exc}")
        return problems

    def with_suffixes(self) -> bool:
        """Whether unit and type suffixes are added (translation_strategy wins)."""
        if self.translation_strategy is not None:
            return self.translation_strategy.endswith("WithSuffixes")
        return self.add_metric_suffixes

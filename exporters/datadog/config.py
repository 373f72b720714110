"""Configuration of the datadog exporter (metrics): the Collector's datadogexporter keys."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from otelpy.config.tls import TLSClientSettings
from otelpy.config.types import ConfigModel, Duration, Secret
from otelpy.exporterhelper import ExporterHelperSettings


class APISettings(ConfigModel):
    """``api``: where and as whom to send."""

    key: Secret = Field(Secret(""), description="Datadog API key (required), sent as the "
                        "DD-API-KEY header; never logged, redacted when printed.")
    site: str = Field("datadoghq.com", description="Datadog site; metrics go to "
                      "https://api.<site> unless metrics::endpoint is set.")
    fail_on_invalid_key: bool = Field(False, description="Accepted for compatibility; the "
                                      "key is not validated at start.")


class HistogramSettings(ConfigModel):
    """``metrics::histograms``."""

    mode: Literal["counters", "nobuckets", "distributions"] = Field(
        "counters", description="`counters`: one `<name>.bucket` count per bucket, tagged "
        "lower_bound/upper_bound; `nobuckets`: no buckets. `distributions` (the Collector's "
        "default, sketches) is not supported yet.")
    send_aggregation_metrics: bool = Field(False, description="Also send `<name>.count`, "
                                           "`<name>.sum` (counts) and, for deltas, "
                                           "`<name>.min` / `<name>.max` (gauges).")
    send_count_sum_metrics: bool = Field(False, description="Deprecated name of "
                                         "send_aggregation_metrics.")


class SumSettings(ConfigModel):
    """``metrics::sums``."""

    cumulative_monotonic_mode: Literal["to_delta", "raw_value"] = Field(
        "to_delta", description="Cumulative monotonic sums: `to_delta` sends the difference "
        "from the previous point as a count; `raw_value` sends the value as a gauge.")
    initial_cumulative_monotonic_value: Literal["auto", "drop", "keep"] = Field(
        "auto", description="First point of a cumulative monotonic series (to_delta): `keep` "
        "sends its value, `drop` does not, `auto` sends it when its start time is after "
        "otelpy started (and differs from its time).")


class SummarySettings(ConfigModel):
    """``metrics::summaries``."""

    mode: Literal["noquantiles", "gauges"] = Field(
        "noquantiles", description="`gauges` also sends `<name>.quantile` gauges tagged "
        "quantile:<q>; count and sum are always sent as counts.")


class MetricsSettings(ConfigModel):
    """``metrics``."""

    endpoint: str = Field("", description="Metrics intake URL; default https://api.<site>.")
    series_api: Literal["v2", "v1"] = Field("v2", description="otelpy addition: POST "
                                            "/api/v2/series (default) or /api/v1/series.")
    compression: Literal["gzip", "deflate", "none"] = Field(
        "gzip", description="otelpy addition: Content-Encoding of request bodies.")
    resource_attributes_as_tags: bool = Field(False, description="Add every resource "
                                              "attribute as a tag (otherwise only the mapped "
                                              "ones: service, env, version, container, k8s, "
                                              "cloud).")
    instrumentation_scope_metadata_as_tags: bool = Field(
        False, description="Add `instrumentation_scope` and `instrumentation_scope_version` "
                           "tags.")
    delta_ttl: int = Field(3600, ge=1, description="Seconds a cumulative series' previous "
                           "point is kept for the to_delta conversion.")
    max_series: int = Field(1_000_000, ge=1, description="otelpy addition: most cumulative "
                            "series remembered for to_delta; a new one beyond is dropped and "
                            "counted.")
    histograms: HistogramSettings = Field(default_factory=HistogramSettings,
                                          description="Histogram mapping.")
    sums: SumSettings = Field(default_factory=SumSettings, description="Sum mapping.")
    summaries: SummarySettings = Field(default_factory=SummarySettings,
                                       description="Summary mapping.")


class TracesSettings(ConfigModel):
    """``traces``."""

    endpoint: str = Field("", description="Trace agent (or intake) base URL; traces go to "
                          "<endpoint>/v0.4/traces as msgpack. Default https://trace.agent.<site>"
                          " (the Collector sends its protobuf intake format there instead: "
                          "point this at a Datadog Agent).")


class LogsSettings(ConfigModel):
    """``logs``."""

    endpoint: str = Field("", description="Logs intake base URL; logs go to "
                          "<endpoint>/api/v2/logs. Default https://http-intake.logs.<site>.")


class DatadogConfig(ExporterHelperSettings):
    """``exporters: datadog:`` settings (metrics, traces, logs)."""

    api: APISettings = Field(default_factory=APISettings, description="API key and site.")
    hostname: str = Field("", description="Host of series whose resource names none "
                          "(datadog.host.name, host.name, ...); default: this machine's "
                          "hostname.")
    timeout: Duration = Field(15.0, description="Time limit of one request.")
    tls: TLSClientSettings = Field(default_factory=TLSClientSettings,
                                   description="TLS of the intake connection.")
    metrics: MetricsSettings = Field(default_factory=MetricsSettings,
                                     description="Metrics settings.")
    traces: TracesSettings = Field(default_factory=TracesSettings,
                                   description="Traces settings.")
    logs: LogsSettings = Field(default_factory=LogsSettings, description="Logs settings.")

    def validate_config(self) -> list[str]:
        problems = ExporterHelperSettings.validate_config(self)
        if not self.api.key:
            problems.append("api::key: required")
        if self.metrics.histograms.mode == "distributions":
            problems.append("metrics::histograms::mode: distributions (sketches) is not "
                            "supported yet; use counters or nobuckets")
        h = self.metrics.histograms
        if h.mode == "nobuckets" and not (h.send_aggregation_metrics or
                                          h.send_count_sum_metrics):
            problems.append("metrics::histograms: 'nobuckets' mode and "
                            "'send_aggregation_metrics' set to false will send no histogram "
                            "metrics")
        for key, url in (("metrics", self.metrics.endpoint), ("traces", self.traces.endpoint),
                         ("logs", self.logs.endpoint)):
            if url and not url.startswith(("http://", "https://")):
                problems.append(f"{key}::endpoint: must start with http:// or https://")
        return problems

    def traces_url(self) -> str:
        base = (self.traces.endpoint or f"https://trace.agent.{self.api.site}").rstrip("/")
        return f"{base}/v0.4/traces"

    def logs_url(self) -> str:
        base = (self.logs.endpoint or f"https://http-intake.logs.{self.api.site}").rstrip("/")
        return f"{base}/api/v2/logs"

    def series_url(self) -> str:
        base = (self.metrics.endpoint or f"https://api.{self.api.site}").rstrip("/")
        return f"{base}/api/{self.metrics.series_api}/series"

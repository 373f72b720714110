"""Configuration of the pushgateway exporter (otelpy's own; the Collector has no peer)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from otelpy.config.client import HTTPClientSettings
from otelpy.config.prometheus import ResourceToTelemetrySettings
from otelpy.config.types import ConfigModel, Duration
from otelpy.exporterhelper import ExporterHelperSettings, OptInQueueSettings


class BasicAuthSettings(ConfigModel):
    """``basic_auth``: HTTP basic credentials sent with every request."""

    username: str = Field(description="User name.")
    password: str = Field("", description="Password (redacted when printed).")


class PushgatewayConfig(ExporterHelperSettings, HTTPClientSettings):
    """``exporters: pushgateway:`` settings (HTTP client keys at the top level)."""

    endpoint: str = Field("", description="Base URL of the Pushgateway, e.g. "
                          "`http://pushgateway:9091` (required).")
    compression: Literal["none", ""] = Field(  # type: ignore[assignment]
        "none", description="Bodies are sent uncompressed.")
    timeout: Duration = Field(5.0, description="Time limit of one request; 0 = none.")
    job: str = Field("", description="The `job` of every group (required).")
    grouping_key: dict[str, str] = Field(
        default_factory=dict, description="Static labels of the grouping key, besides job.")
    grouping_key_from_resource: dict[str, str] = Field(
        default_factory=dict, description="Grouping key labels taken from resource "
        "attributes: label name -> attribute key (`instance: service.instance.id`); each "
        "distinct set of values is its own group. A missing attribute gives an empty value.")
    method: Literal["put", "post"] = Field(
        "put", description="`put` replaces every metric of the group with what otelpy holds "
        "for it; `post` replaces only the metrics of the same names.")
    delete_on_shutdown: bool = Field(False, description="DELETE every group this exporter "
                                     "pushed when otelpy stops.")
    basic_auth: BasicAuthSettings | None = Field(None, description="HTTP basic credentials "
                                                 "(or use `auth` with an extension).")
    namespace: str = Field("", description="Prefix of every metric name (`<namespace>_`).")
    const_labels: dict[str, str] = Field(default_factory=dict, description="Labels added to "
                                         "every series.")
    resource_to_telemetry_conversion: ResourceToTelemetrySettings = Field(
        default_factory=ResourceToTelemetrySettings,
        description="Resource attributes as series labels.")
    add_metric_suffixes: bool = Field(True, description="Add unit and type suffixes "
                                      "(`_seconds`, `_total`, `_ratio`).")
    without_scope_info: bool = Field(False, description="Leave out the otel_scope_* labels.")
    metric_expiration: Duration = Field(300.0, description="A series not updated for this "
                                        "long is left out of the next push.")
    max_series: int = Field(100_000, ge=1, description="Most series held per group; more "
                            "are dropped and counted (reason series_limit).")
    sending_queue: OptInQueueSettings = Field(
        default_factory=lambda: OptInQueueSettings(),
        description="Queue of pushes; disabled by default (each push sends the current "
        "state, so a queue only decouples the pipeline from the Pushgateway).")

    def validate_config(self) -> list[str]:
        problems = ExporterHelperSettings.validate_config(self)
        problems += HTTPClientSettings.validate_config(self)
        if not self.endpoint:
            problems.append("endpoint: must be set (the Pushgateway's base URL)")
        if not self.job:
            problems.append("job: must be set (the Pushgateway groups metrics by job)")
        if self.sending_queue.storage is not None:
            problems.append("sending_queue.storage: not supported by otelpy: the pushgateway "
                            "exporter pushes accumulated state, kept in memory")
        clash = {"job"} & (set(self.grouping_key) | set(self.grouping_key_from_resource))
        if clash:
            problems.append("grouping_key: `job` is set by the `job` key")
        return problems

"""Configuration of the influxdb exporter: the Collector's influxdbexporter keys."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from otelpy.config.client import HTTPClientSettings
from otelpy.config.types import ConfigModel, Duration, Secret
from otelpy.exporterhelper import ExporterHelperSettings


class V1Compatibility(ConfigModel):
    """``v1_compatibility``: write through the InfluxDB 1.x API (``/write?db=...``)."""

    enabled: bool = Field(False, description="Use the v1 API: POST /write with db, instead "
                          "of the v2 API (org, bucket, token).")
    db: str = Field("", description="Database to write to (required when enabled).")
    username: str = Field("", description="User for HTTP basic authentication (sent only "
                          "with a password).")
    password: Secret = Field(Secret(""), description="Password for HTTP basic "
                             "authentication.")
    retention_policy: str = Field("", description="otelpy addition: retention policy (`rp` "
                                  "query parameter); empty = the database's default.")


class InfluxDBConfig(ExporterHelperSettings, HTTPClientSettings):
    """``exporters: influxdb:`` settings (HTTP client keys at the top level, as in the
    Collector)."""

    endpoint: str = Field("", description="InfluxDB URL (required). A URL with no path (or "
                          "`/`) writes to /api/v2/write, or /write with v1_compatibility.")
    timeout: Duration = Field(5.0, description="Time limit of one request (one send "
                              "attempt), response included; 0 = none.")
    compression: Literal["gzip", "zstd", "none", ""] = Field(
        "none", description="Content-Encoding of request bodies: `gzip` or `none` (empty = "
                            "none; InfluxDB does not take zstd).")
    v1_compatibility: V1Compatibility = Field(default_factory=V1Compatibility,
                                              description="InfluxDB 1.x API settings.")
    org: str = Field("", description="v2 API: organization owning the bucket.")
    bucket: str = Field("", description="v2 API: bucket to write to (required without "
                        "v1_compatibility).")
    token: Secret = Field(Secret(""), description="v2 API: token, sent as `Authorization: "
                          "Token <token>`.")
    metrics_schema: Literal["telegraf-prometheus-v1", "telegraf-prometheus-v2"] = Field(
        "telegraf-prometheus-v1", description="Line protocol layout of metrics (see the "
        "README): v1 = one measurement per metric, v2 = measurement `prometheus`.")
    payload_max_lines: int = Field(10_000, ge=1, description="Most lines in one request; a "
                                   "batch with more is split.")
    payload_max_bytes: int = Field(10_000_000, ge=1, description="Most bytes in one request "
                                   "(before compression); a batch with more is split.")

    def validate_config(self) -> list[str]:
        problems = ExporterHelperSettings.validate_config(self)
        problems += HTTPClientSettings.validate_config(self)
        if not self.endpoint:
            problems.append("endpoint: must be specified")
        if self.compression == "zstd":
            problems.append("compression: InfluxDB takes gzip only")
        if self.v1_compatibility.enabled:
            if not self.v1_compatibility.db:
                problems.append("v1_compatibility::db: required when v1_compatibility is "
                                "enabled")
        elif not self.bucket:
            problems.append("bucket: required (or enable v1_compatibility with db)")
        return problems

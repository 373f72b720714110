"""Configuration of the jaeger_thrift exporter (the keys of the Collector's removed
``jaegerthrifthttpexporter``: a confighttp client with ``endpoint``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from otelpy.config.client import HTTPClientSettings
from otelpy.config.types import Duration
from otelpy.exporterhelper import ExporterHelperSettings


class JaegerThriftExporterConfig(ExporterHelperSettings, HTTPClientSettings):
    """``exporters: jaeger_thrift:`` settings (HTTP client keys at the top level)."""

    endpoint: str = Field("", description="Full URL batches are POSTed to (required), e.g. "
                          "`http://jaeger-collector:14268/api/traces`.")
    timeout: Duration = Field(5.0, description="Time limit of one request; 0 = none.")
    compression: Literal["gzip", "zstd", "none", ""] = Field(
        "none", description="Content-Encoding of request bodies: `gzip` or `none` (Jaeger's "
        "collector reads gzip bodies since 1.x; `none` is the safe default).")

    def validate_config(self) -> list[str]:
        problems = ExporterHelperSettings.validate_config(self)
        problems += HTTPClientSettings.validate_config(self)
        if not self.endpoint:
            problems.append("endpoint: must be specified")
        if self.compression == "zstd":
            problems.append("compression: the jaeger_thrift exporter sends gzip or none")
        return problems


__all__ = ["JaegerThriftExporterConfig"]

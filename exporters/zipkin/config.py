"""Configuration of the zipkin exporter (the Collector's zipkinexporter keys)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from otelpy.config.client import HTTPClientSettings
from otelpy.config.types import Duration
from otelpy.exporterhelper import ExporterHelperSettings


class ZipkinExporterConfig(ExporterHelperSettings, HTTPClientSettings):
    """``exporters: zipkin:`` settings (HTTP client keys at the top level)."""

    endpoint: str = Field("", description="Full URL spans are POSTed to (required), e.g. "
                          "`http://zipkin:9411/api/v2/spans`.")
    timeout: Duration = Field(5.0, description="Time limit of one request; 0 = none.")
    compression: Literal["gzip", "zstd", "none", ""] = Field(
        "none", description="Content-Encoding of request bodies: `gzip` or `none`.")
    format: Literal["json", "proto"] = Field(
        "json", description="Encoding: Zipkin v2 `json` or `proto` (protobuf ListOfSpans).")
    default_service_name: str = Field(
        "<missing service name>", description="Local service name of spans whose resource "
        "names no service.")

    def validate_config(self) -> list[str]:
        problems = ExporterHelperSettings.validate_config(self)
        problems += HTTPClientSettings.validate_config(self)
        if not self.endpoint:
            problems.append("endpoint: must be specified")
        if self.compression == "zstd":
            problems.append("compression: the zipkin exporter sends gzip or none")
        return problems


__all__ = ["ZipkinExporterConfig"]

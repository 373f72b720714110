"""Configuration of the loki exporter (the Collector's lokiexporter keys, plus otelpy's
``encoding``, ``tenant`` and ``structured_metadata``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from otelpy.config.client import HTTPClientSettings
from otelpy.config.types import ConfigModel, Duration
from otelpy.exporterhelper import ExporterHelperSettings

DEFAULT_LABELS = ("exporter", "job", "instance", "level")


class TenantSettings(ConfigModel):
    """The tenant (``X-Scope-OrgID``) of records without a ``loki.tenant`` hint."""

    source: Literal["static", "attributes"] = Field(
        "static", description="`static`: `value` is the tenant; `attributes`: `value` names "
        "the resource (then record) attribute holding it.")
    value: str = Field(description="The tenant, or the attribute name holding it.")


class LokiExporterConfig(ExporterHelperSettings, HTTPClientSettings):
    """``exporters: loki:`` settings (HTTP client keys at the top level)."""

    endpoint: str = Field("", description="Push URL (required), e.g. "
                          "`http://loki:3100/loki/api/v1/push`.")
    timeout: Duration = Field(30.0, description="Time limit of one request; 0 = none.")
    compression: Literal["gzip", "zstd", "none", ""] = Field(
        "", description="`gzip` compresses JSON bodies (protobuf bodies are always snappy).")
    default_labels_enabled: dict[str, bool] = Field(
        default_factory=dict, description="Turn default labels off: `exporter` "
        "(`exporter=\"OTLP\"`), `job` (service.namespace/service.name), `instance` "
        "(service.instance.id), `level` (from the severity); unset = on.")
    encoding: Literal["protobuf", "json"] = Field(
        "protobuf", description="Push body: snappy-compressed protobuf `PushRequest` "
        "(Loki's default) or JSON (otelpy's key).")
    tenant: TenantSettings | None = Field(
        None, description="Tenant of records without a `loki.tenant` hint (otelpy's key; "
        "the Collector's removed `tenant` setting). Unset: only `headers` set one.")
    structured_metadata: list[str] = Field(
        default_factory=list, description="Record attributes sent as Loki structured "
        "metadata instead of in the line (otelpy's key; Loki 2.9+ with structured metadata "
        "enabled).")

    def validate_config(self) -> list[str]:
        problems = ExporterHelperSettings.validate_config(self)
        problems += HTTPClientSettings.validate_config(self)
        if not self.endpoint:
            problems.append("endpoint: must be specified")
        for key in self.default_labels_enabled:
            if key not in DEFAULT_LABELS:
                problems.append(f"default_labels_enabled::{key}: unknown default label "
                                f"(one of {', '.join(DEFAULT_LABELS)})")
        if self.compression == "zstd":
            problems.append("compression: the loki exporter sends gzip or none")
        return problems


__all__ = ["LokiExporterConfig", "TenantSettings"]

"""Configuration of the headers_setter extension (the Collector's headerssetterextension
keys). Values come from ``value`` only: otelpy pipelines carry no request context, so
``from_context`` is refused with an explanation rather than silently never matching."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from otelpy.config.types import ConfigModel, Secret


class HeaderSetting(ConfigModel):
    """One header to set on outgoing requests."""

    key: str = Field(description="Header name (gRPC metadata key).")
    value: Secret | None = Field(
        default=None, description="The value (redacted when printed; `${env:VAR}` works). "
                                  "Required unless action is delete.")
    from_context: str | None = Field(
        default=None, description="Not supported: otelpy pipelines carry no request "
                                  "metadata, so setting it is a config error.")
    default_value: Secret | None = Field(
        default=None, description="Only meaningful with from_context (not supported); use "
                                  "value.")
    action: Literal["insert", "update", "upsert", "delete"] = Field(
        default="upsert", description="insert: only when absent; update: only when present; "
                                      "upsert: always; delete: remove the header.")


class HeadersSetterConfig(ConfigModel):
    """``extensions: headers_setter:`` settings."""

    headers: list[HeaderSetting] = Field(
        default_factory=list, description="Headers to set, applied in order.")

    def validate_config(self) -> list[str]:
        if not self.headers:
            return ["headers: missing headers configuration"]
        problems = []
        for i, h in enumerate(self.headers):
            if not h.key.strip():
                problems.append(f"headers::{i}::key: missing header name")
            if h.from_context is not None or h.default_value is not None:
                problems.append(f"headers::{i}::from_context: not supported: otelpy pipelines "
                                "carry no request metadata; use value (env references such "
                                "as ${env:VAR} work)")
            elif h.value is None and h.action != "delete":
                problems.append(f"headers::{i}::value: missing header value (required unless "
                                "action is delete)")
        return problems

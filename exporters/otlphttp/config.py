"""Configuration of the otlphttp exporter: the Collector's otlphttpexporter keys and defaults."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from otelpy.component import Signal
from otelpy.config.client import HTTPClientSettings
from otelpy.config.types import Duration
from otelpy.exporterhelper import ExporterHelperSettings


class OTLPHTTPConfig(ExporterHelperSettings, HTTPClientSettings):
    """``exporters: otlphttp:`` settings (HTTP client keys at the top level, as in the
    Collector)."""

    timeout: Duration = Field(30.0, description="Time limit of one request (one send "
                              "attempt), response included; 0 = none.")
    traces_endpoint: str = Field("", description="URL for traces; default: endpoint + "
                                 "/v1/traces.")
    metrics_endpoint: str = Field("", description="URL for metrics; default: endpoint + "
                                  "/v1/metrics.")
    logs_endpoint: str = Field("", description="URL for logs; default: endpoint + /v1/logs.")
    encoding: Literal["proto", "json"] = Field("proto", description="Body encoding: "
                                                "`proto` (application/x-protobuf) or `json` "
                                                "(OTLP/JSON, application/json).")

    def signal_url(self, signal: Signal) -> str:
        """The URL ``signal`` is POSTed to; ValueError when none can be made."""
        override = {Signal.TRACES: self.traces_endpoint, Signal.METRICS: self.metrics_endpoint,
                    Signal.LOGS: self.logs_endpoint}[signal]
        if override:
            return override
        if not self.endpoint:
            raise ValueError(f"either endpoint or {signal}_endpoint must be specified")
        base = self.endpoint if self.endpoint.endswith("/") else self.endpoint + "/"
        return f"{base}v1/{signal}"

    def validate_config(self) -> list[str]:
        problems = ExporterHelperSettings.validate_config(self)
        problems += HTTPClientSettings.validate_config(self)
        if not (self.endpoint or self.traces_endpoint or self.metrics_endpoint
                or self.logs_endpoint):
            problems.append("endpoint: at least one of endpoint, traces_endpoint, "
                            "metrics_endpoint, logs_endpoint must be specified")
        for key in ("traces_endpoint", "metrics_endpoint", "logs_endpoint"):
            url = getattr(self, key)
            if url and not url.startswith(("http://", "https://")):
                problems.append(f"{key}: must start with http:// or https://")
        return problems

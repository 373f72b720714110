"""Configuration of the otlp (gRPC) exporter: the Collector's otlpexporter keys and defaults."""

from __future__ import annotations

from otelpy.config.client import GRPCClientSettings
from otelpy.exporterhelper import ExporterHelperSettings


class OTLPConfig(ExporterHelperSettings, GRPCClientSettings):
    """``exporters: otlp:`` settings (gRPC client keys at the top level, as in the Collector)."""

    def validate_config(self) -> list[str]:
        return (ExporterHelperSettings.validate_config(self)
                + GRPCClientSettings.validate_config(self))

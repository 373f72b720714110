"""Configuration of the otlp (gRPC) exporter: the Collector's otlpexporter keys and defaults."""

from __future__ import annotations

from otelpy.config.client import GRPCClientSettings
from otelpy.exporterhelper import ExporterHelperSettings
from otelpy.grpcbridge import parse_target


class OTLPConfig(ExporterHelperSettings, GRPCClientSettings):
    """``exporters: otlp:`` settings (gRPC client keys at the top level, as in the Collector)."""

    def validate_config(self) -> list[str]:
        problems = (ExporterHelperSettings.validate_config(self)
                    + GRPCClientSettings.validate_config(self))
        if self.endpoint and self.tls.insecure_skip_verify and not self.plaintext():
            try:  # the TLS bridge connects to one host:port
                parse_target(self.target())
            except ValueError as exc:
                problems.append(f"endpoint: {exc}")
        return problems

"""Config models shared by the Prometheus exporters (pull, remote write, pushgateway)."""

from __future__ import annotations

from pydantic import Field

from otelpy.config.types import ConfigModel

__all__ = ["ResourceToTelemetrySettings"]


class ResourceToTelemetrySettings(ConfigModel):
    """``resource_to_telemetry_conversion``: resource attributes as labels of every series."""

    enabled: bool = Field(False, description="Add every resource attribute as a label of each "
                          "series (point attributes win on a clash).")
    exclude_service_attributes: bool = Field(
        False, description="Leave out service.name, service.namespace and service.instance.id "
                           "(already the job and instance labels).")

"""Configuration of the nginx receiver (the Collector's nginxreceiver keys)."""

from __future__ import annotations

import re

from pydantic import Field

from otelpy.config.types import ConfigModel, Duration

__all__ = ["NginxConfig", "NginxMetrics"]


class MetricToggle(ConfigModel):
    """A metric the Collector emits by default."""

    enabled: bool = Field(default=True, description="Whether it is emitted.")


def _toggle(name: str, description: str) -> object:
    return Field(default_factory=MetricToggle, alias=name, description=description)


class NginxMetrics(ConfigModel):
    """`metrics::<name>::enabled` toggles (all on by default)."""

    nginx_requests: MetricToggle = _toggle(  # type: ignore[assignment]
        "nginx.requests", "Total number of requests made to the server since it started.")
    nginx_connections_accepted: MetricToggle = _toggle(  # type: ignore[assignment]
        "nginx.connections_accepted", "The total number of accepted client connections.")
    nginx_connections_handled: MetricToggle = _toggle(  # type: ignore[assignment]
        "nginx.connections_handled", "The total number of handled connections.")
    nginx_connections_current: MetricToggle = _toggle(  # type: ignore[assignment]
        "nginx.connections_current", "The current number of connections by state.")

    def enabled(self, name: str) -> bool:
        return bool(getattr(self, re.sub(r"\W", "_", name)).enabled)


class NginxConfig(ConfigModel):
    """The nginx receiver: reads stub_status every collection_interval."""

    endpoint: str = Field(default="http://localhost:80/status",
                          description="URL of nginx's stub_status page.")
    collection_interval: Duration = Field(default=10.0, gt=0,
                                          description="How often the page is read.")
    initial_delay: Duration = Field(default=1.0, description="Delay before the first read.")
    timeout: Duration = Field(default=0.0,
                              description="Longest a read may take (0: collection_interval).")
    metrics: NginxMetrics = Field(default_factory=NginxMetrics,
                                  description="Metric toggles.")

    def validate_config(self) -> list[str]:
        if not self.endpoint.startswith(("http://", "https://")):
            return [f"endpoint: {self.endpoint!r} must be an http(s) URL"]
        return []

"""Configuration of the httpcheck receiver (the Collector's httpcheckreceiver keys)."""

from __future__ import annotations

from pydantic import Field

from otelpy.config.types import ConfigModel, Duration, Secret

__all__ = ["HttpCheckConfig", "HttpCheckMetrics", "Target"]


class MetricToggle(ConfigModel):
    """A metric the Collector emits by default."""

    enabled: bool = Field(default=True, description="Whether it is emitted.")


class HttpCheckMetrics(ConfigModel):
    """`metrics::<name>::enabled` toggles (all on by default, as in the Collector)."""

    httpcheck_status: MetricToggle = Field(
        default_factory=MetricToggle, alias="httpcheck.status",
        description="1 for the answer's status class, 0 for the other classes.")
    httpcheck_duration: MetricToggle = Field(
        default_factory=MetricToggle, alias="httpcheck.duration",
        description="How long the check took, in ms.")
    httpcheck_error: MetricToggle = Field(
        default_factory=MetricToggle, alias="httpcheck.error",
        description="1 when the request failed, with error.message.")


class Target(ConfigModel):
    """One URL (or several sharing method and headers) to check."""

    endpoint: str = Field(default="", description="URL to request (http:// or https://).")
    endpoints: list[str] = Field(default_factory=list,
                                 description="More URLs checked with the same settings.")
    method: str = Field(default="GET", description="HTTP method.")
    headers: dict[str, Secret] = Field(default_factory=dict,
                                       description="Request headers (secrets redacted).")

    def urls(self) -> list[str]:
        return ([self.endpoint] if self.endpoint else []) + list(self.endpoints)


class HttpCheckConfig(ConfigModel):
    """The httpcheck receiver: requests each target every collection_interval."""

    targets: list[Target] = Field(default_factory=list, description="Targets to check.")
    collection_interval: Duration = Field(default=60.0, gt=0,
                                          description="How often the targets are checked.")
    initial_delay: Duration = Field(default=1.0, description="Delay before the first check.")
    timeout: Duration = Field(default=0.0,
                              description="Longest a request may take (0: collection_interval).")
    metrics: HttpCheckMetrics = Field(default_factory=HttpCheckMetrics,
                                      description="Metric toggles.")

    def validate_config(self) -> list[str]:
        problems = []
        if not self.targets:
            problems.append("targets: no targets configured")
        for i, target in enumerate(self.targets):
            if not target.urls():
                problems.append(f"targets::{i}: no endpoint specified")
            for url in target.urls():
                if not url.startswith(("http://", "https://")):
                    problems.append(f"targets::{i}: endpoint {url!r} must be an http(s) URL")
        return problems

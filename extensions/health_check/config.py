"""Configuration of the health_check extension (the Collector's healthcheckextension keys)."""

from __future__ import annotations

from pydantic import Field

from otelpy.config.auth import AuthSettings
from otelpy.config.server import Endpoint
from otelpy.config.tls import TLSServerSettings
from otelpy.config.types import ConfigModel, Duration


class ResponseBody(ConfigModel):
    """Static bodies replacing the default JSON answer."""

    healthy: str = Field(default="", description="Body returned with 200 when healthy.")
    unhealthy: str = Field(default="", description="Body returned with 503 when not healthy.")


class CheckCollectorPipeline(ConfigModel):
    """Deprecated in the Collector (it never worked as intended); accepted, no effect."""

    enabled: bool = Field(
        default=False,
        description="Deprecated; accepted for Collector compatibility, has no effect (health "
                    "always follows the status of every pipeline).")
    interval: Duration = Field(default=300.0, description="Deprecated; no effect.")
    exporter_failure_threshold: int = Field(default=5, description="Deprecated; no effect.")


class HealthCheckConfig(ConfigModel):
    """``extensions: health_check:`` settings."""

    endpoint: str = Field(
        default="localhost:13133",
        description="host:port to serve the health check on; \":13133\" listens on every "
                    "interface, \"localhost\" binds 127.0.0.1.")
    tls: TLSServerSettings | None = Field(
        default=None, description="TLS (and with client_ca_file mutual TLS) for the endpoint; "
                                  "unset = plaintext.")
    auth: AuthSettings | None = Field(
        default=None, description="Authenticator extension every request (health and status) "
                                  "must pass; refused requests get 401.")
    path: str = Field(
        default="/",
        description="URL path of the health check; must start with /. The status of every "
                    "pipeline is served at this path + /status.")
    checks_path: str = Field(
        default="/health/checks",
        description="URL path of the overall status of the healthcheck receivers (JSON in "
                    "the spec's shape; 503 when overall_status is critical, 404 when no "
                    "healthcheck receiver runs): a Kubernetes readiness probe.")
    response_body: ResponseBody | None = Field(
        default=None, description="Static bodies replacing the default JSON answer.")
    check_collector_pipeline: CheckCollectorPipeline = Field(
        default=CheckCollectorPipeline(),
        description="Deprecated in the Collector; accepted, has no effect.")

    def validate_config(self) -> list[str]:
        problems = []
        try:
            Endpoint.parse(self.endpoint)
        except ValueError as exc:
            problems.append(str(exc))
        if not self.path.startswith("/"):
            problems.append(f"path {self.path!r} must start with /")
        if not self.checks_path.startswith("/"):
            problems.append(f"checks_path {self.checks_path!r} must start with /")
        elif self.checks_path in (self.path, self.status_path):
            problems.append(f"checks_path {self.checks_path!r} is already served as the "
                            "health or status path")
        if self.check_collector_pipeline.exporter_failure_threshold <= 0:
            problems.append("check_collector_pipeline.exporter_failure_threshold must be "
                            "greater than zero")
        return problems

    @property
    def status_path(self) -> str:
        """Where the per-pipeline status JSON is served."""
        return self.path.rstrip("/") + "/status"

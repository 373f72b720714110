"""Configuration of the healthcheck receiver: named checks, each a probe type's settings
(:mod:`otelpy.probes.config`) plus when and how much it matters, and the overall-status
thresholds. The spec's ``health_config`` validates as written: ``database`` is accepted for
``postgresql``, ``interval_seconds`` / ``timeout_seconds`` for ``interval`` / ``timeout``."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from otelpy.config.types import ConfigModel, Duration, format_duration
from otelpy.probes import config as probes

__all__ = ["Alerting", "Check", "CheckCommon", "HealthCheckReceiverConfig"]

DEFAULT_INTERVAL = 30.0
DEFAULT_TIMEOUT = 5.0


class CheckCommon(ConfigModel):
    """Keys every check has, whatever its type."""

    interval: Duration | None = Field(
        default=None, description="How often the check runs (default 30s).")
    interval_seconds: float | None = Field(
        default=None, gt=0, description="The spec's spelling of interval, in seconds.")
    timeout: Duration | None = Field(
        default=None, description="A run still going after this is cut and reported failed "
                                  "(default 5s).")
    timeout_seconds: float | None = Field(
        default=None, gt=0, description="The spec's spelling of timeout, in seconds.")
    critical: bool = Field(
        default=False, description="A failure of this check counts toward "
                                   "alerting.critical_failure_threshold (the overall status "
                                   "turns critical; readiness answers 503).")

    @property
    def every(self) -> float:
        """The interval in seconds."""
        if self.interval is not None:
            return self.interval
        return self.interval_seconds or DEFAULT_INTERVAL

    @property
    def cutoff(self) -> float:
        """The timeout in seconds."""
        if self.timeout is not None:
            return self.timeout
        return self.timeout_seconds or DEFAULT_TIMEOUT

    def common_problems(self) -> list[str]:
        problems = []
        if self.interval is not None and self.interval_seconds is not None:
            problems.append("interval and interval_seconds are the same setting: give one")
        if self.timeout is not None and self.timeout_seconds is not None:
            problems.append("timeout and timeout_seconds are the same setting: give one")
        if self.every <= 0:
            problems.append("interval must be greater than zero")
        if self.cutoff <= 0:
            problems.append("timeout must be greater than zero")
        return problems

    def probe_problems(self) -> list[str]:
        return []


class HttpCheck(probes.HttpProbeSettings, CheckCommon):
    type: Literal["http"] = Field(description="Check type.")


class TcpCheck(probes.TcpProbeSettings, CheckCommon):
    type: Literal["tcp"] = Field(description="Check type.")


class DnsCheck(probes.DnsProbeSettings, CheckCommon):
    type: Literal["dns"] = Field(description="Check type.")


class GrpcCheck(probes.GrpcProbeSettings, CheckCommon):
    type: Literal["grpc"] = Field(description="Check type.")


class PostgresqlCheck(probes.PostgresqlProbeSettings, CheckCommon):
    type: Literal["postgresql", "database"] = Field(
        description="Check type; `database` (the spec's name) means postgresql.")


class RedisCheck(probes.RedisProbeSettings, CheckCommon):
    type: Literal["redis"] = Field(description="Check type.")


class CustomCheck(probes.CustomProbeSettings, CheckCommon):
    type: Literal["custom"] = Field(description="Check type.")


class KubernetesCheck(probes.KubernetesProbeSettings, CheckCommon):
    type: Literal["kubernetes"] = Field(description="Check type.")


Check = Annotated[
    HttpCheck | TcpCheck | DnsCheck | GrpcCheck | PostgresqlCheck | RedisCheck | CustomCheck
    | KubernetesCheck,
    Field(discriminator="type")]

CHECK_MODELS: tuple[type[CheckCommon], ...] = (
    HttpCheck, TcpCheck, DnsCheck, GrpcCheck, PostgresqlCheck, RedisCheck, CustomCheck,
    KubernetesCheck)


class Alerting(ConfigModel):
    """How many failures make the overall status warning or critical."""

    critical_failure_threshold: int = Field(
        default=1, ge=1, description="Overall critical when this many checks with "
                                     "critical: true are critical, failed or not run yet.")
    warning_failure_threshold: int = Field(
        default=3, ge=1, description="Otherwise overall warning when this many checks are "
                                     "warning, critical or failed.")
    notification_channels: list[str] = Field(
        default_factory=list, description="Names carried on every state-change log event "
                                          "(attribute healthcheck.notification_channels) for "
                                          "a pipeline to route them to notifiers.")


class HealthCheckReceiverConfig(ConfigModel):
    """``receivers: healthcheck:`` settings."""

    checks: dict[str, Check] = Field(
        default_factory=dict, description="Named checks; each has a type (http, tcp, dns, "
                                          "grpc, postgresql or database, redis, custom) and "
                                          "that type's keys (see the tables below).")
    alerting: Alerting = Field(default_factory=Alerting,
                               description="Overall-status thresholds.")
    custom_check_modules: list[str] = Field(
        default_factory=list, description="Modules searched, in order, for a custom check's "
                                          "check_function given without a module.")
    custom_check_threads: int = Field(
        default=4, ge=1, le=64, description="Threads running sync custom check functions.")

    def validate_config(self) -> list[str]:
        problems = [] if self.checks else ["checks: at least one check is required"]
        for name, check in self.checks.items():
            problems += [f"checks::{name}: {p}"
                         for p in check.common_problems() + check.probe_problems()]
        return problems

    def describe(self) -> str:
        return ", ".join(f"{n} ({c.type} every {format_duration(c.every)})"
                         for n, c in self.checks.items())

"""Settings of each probe type, as config models a component composes into its own.

The ``healthcheck`` receiver puts these keys beside its per-check keys (``interval``,
``critical``, ...); a service metrics receiver (``httpcheck``, ``redis``, ``postgresql``)
can map its own keys onto them. Nothing here imports a driver: the probes are built by
:func:`otelpy.probes.build.build_probe` when a component is created.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field

from otelpy.config.server import Endpoint
from otelpy.config.tls import TLSClientSettings, check_grpc_tls
from otelpy.config.types import ConfigModel, Duration, Secret
from otelpy.k8swatch.config import K8sAPIConfig

__all__ = ["CustomProbeSettings", "DnsProbeSettings", "GrpcProbeSettings", "HttpProbeSettings",
           "KubernetesProbeSettings", "PostgresqlProbeSettings", "RedisProbeSettings",
           "TcpProbeSettings", "FUNCTION_REF"]

FUNCTION_REF = re.compile(r"^([A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*:)?[A-Za-z_][\w]*$")
_JSON_PATH = re.compile(r"^\$?(\.?[^.\[\]]+|\[\d+\])*$")


def _endpoint_problems(endpoint: str, key: str = "endpoint") -> list[str]:
    if not endpoint:
        return [f"{key} is required (host:port)"]
    try:
        Endpoint.parse(endpoint)
    except ValueError as exc:
        return [f"{key}: {exc}"]
    return []


class HttpProbeSettings(ConfigModel):
    """An HTTP(S) request and what its answer must look like."""

    url: str = Field(default="", description="URL to request (http:// or https://). Required.")
    method: str = Field(default="GET", description="HTTP method.")
    headers: dict[str, Secret] = Field(
        default_factory=dict, description="Request headers; values may hold secrets "
                                          "(`${env:TOKEN}`) and are redacted in print-config.")
    body: str = Field(default="", description="Request body (sent when not empty).")
    expected_status_codes: list[int] = Field(
        default_factory=list, description="Status codes that count as healthy; empty = any "
                                          "2xx. Any other code is critical.")
    body_regex: str = Field(
        default="", description="Python regular expression the body must contain (search); "
                                "critical when it does not.")
    json_path: str = Field(
        default="", description="Dotted path into a JSON body (`status`, `$.checks.db`, "
                                "`items[0].state`); critical when missing, or when it differs "
                                "from json_value (or is falsy when json_value is unset).")
    json_value: Any = Field(default=None, description="Value expected at json_path (any JSON "
                                                      "value; compared for equality).")
    tls: TLSClientSettings | None = Field(
        default=None, description="TLS for https:// URLs (CA, client certificate, "
                                  "insecure_skip_verify); unset = verify against system CAs.")
    certificate_warning_days: float = Field(
        default=14.0, ge=0, description="https only: warning when the server certificate "
                                        "expires in fewer days than this (0 = off); the days "
                                        "left are in the details.")
    latency_warning: Duration = Field(
        default=0.0, description="Warning when the answer takes longer than this (0 = off).")
    follow_redirects: bool = Field(default=True, description="Follow redirects.")
    max_body_bytes: int = Field(default=1 << 20, ge=0, le=64 << 20,
                                description="Bytes of the body read for body_regex and "
                                            "json_path; the rest is ignored.")

    def probe_problems(self) -> list[str]:
        problems = []
        if not re.match(r"^https?://[^/]", self.url):
            problems.append(f"url {self.url!r} must be an http:// or https:// URL")
        if self.body_regex:
            try:
                re.compile(self.body_regex)
            except re.error as exc:
                problems.append(f"body_regex: invalid regular expression: {exc}")
        if self.json_path and not _JSON_PATH.match(self.json_path):
            problems.append(f"json_path {self.json_path!r}: expected a dotted path such as "
                            "status, $.checks.db or items[0].state")
        problems += [f"expected_status_codes: {c} is not an HTTP status code"
                     for c in self.expected_status_codes if not 100 <= c <= 599]
        if self.tls is not None and self.tls.reload_interval:
            problems.append("tls::reload_interval is not supported by http checks yet (each "
                            "check reads its TLS files at start)")
        if self.tls is not None and self.tls.server_name_override:
            problems.append("tls::server_name_override is not supported by http checks yet")
        return problems


class TcpProbeSettings(ConfigModel):
    """A TCP connect."""

    endpoint: str = Field(default="", description="host:port to connect to. Required.")

    def probe_problems(self) -> list[str]:
        return _endpoint_problems(self.endpoint)


class DnsProbeSettings(ConfigModel):
    """A DNS query and the records it must return."""

    name: str = Field(default="", description="Name to resolve. Required.")
    record_type: str = Field(default="A", description="Record type: A, AAAA, CNAME, MX, TXT, "
                                                      "SRV, NS, PTR.")
    expected: list[str] = Field(
        default_factory=list, description="Records that must all be in the answer (as text, "
                                          "e.g. 10.0.0.1); empty = any non-empty answer.")
    nameserver: str = Field(default="", description="host:port of the server to ask; unset = "
                                                    "the system resolver's.")

    def probe_problems(self) -> list[str]:
        problems = [] if self.name else ["name is required"]
        if self.record_type.upper() not in ("A", "AAAA", "CNAME", "MX", "TXT", "SRV", "NS",
                                            "PTR"):
            problems.append(f"record_type {self.record_type!r} is not one of A, AAAA, CNAME, "
                            "MX, TXT, SRV, NS, PTR")
        if self.nameserver:
            problems += _endpoint_problems(self.nameserver, "nameserver")
        return problems


class GrpcProbeSettings(ConfigModel):
    """A call to the standard gRPC health service (grpc.health.v1.Health/Check)."""

    endpoint: str = Field(default="", description="host:port of the gRPC server. Required.")
    service: str = Field(default="", description="Service name asked about; \"\" = the "
                                                 "server as a whole.")
    tls: TLSClientSettings | None = Field(
        default=None, description="TLS; unset = plaintext (h2c).")

    def probe_problems(self) -> list[str]:
        problems = _endpoint_problems(self.endpoint)
        tls = self.tls
        if tls is not None and tls.insecure_skip_verify and not tls.insecure:
            problems.append("tls::insecure_skip_verify is not supported by grpc checks yet")
        elif tls is not None:
            try:
                check_grpc_tls(tls)
            except ValueError as exc:
                problems.append(f"tls: {exc}")
        return problems


class PostgresqlProbeSettings(ConfigModel):
    """A PostgreSQL server: connect, SELECT 1, connections, slow queries, replication lag."""

    connection_string: Secret = Field(
        default=Secret(""), description="libpq URI (postgresql://user:pass@host:port/db?"
                                        "sslmode=...). Required; redacted in print-config.")
    slow_query_threshold: Duration = Field(
        default=5.0, description="Active queries running longer than this are slow "
                                 "(pg_stat_activity); counted in details, warning when any.")
    connections_warning_ratio: float = Field(
        default=0.8, gt=0, le=1, description="Warning when connections / max_connections "
                                             "reaches this.")
    connections_critical_ratio: float = Field(
        default=0.95, gt=0, le=1, description="Critical when connections / max_connections "
                                              "reaches this.")
    replication_lag_warning: Duration = Field(
        default=30.0, description="On a replica: warning when replay lags more (0 = off).")
    replication_lag_critical: Duration = Field(
        default=300.0, description="On a replica: critical when replay lags more (0 = off).")

    def probe_problems(self) -> list[str]:
        dsn = self.connection_string.reveal()
        if not re.match(r"^postgres(ql)?://", dsn):
            return ["connection_string must be a postgresql:// URI"]
        return []


class RedisProbeSettings(ConfigModel):
    """A Redis server: PING, INFO memory, clients and replication (plaintext; TLS is not
    supported yet)."""

    host: str = Field(default="localhost", description="Redis host.")
    port: int = Field(default=6379, ge=1, le=65535, description="Redis port.")
    username: str = Field(default="", description="ACL user name (Redis 6+).")
    password: Secret = Field(default=Secret(""), description="Password (AUTH).")
    db: int = Field(default=0, ge=0, description="Database number.")
    memory_warning_ratio: float = Field(
        default=0.9, gt=0, le=1, description="With maxmemory set: warning when used_memory / "
                                             "maxmemory reaches this.")
    clients_warning: int = Field(default=0, ge=0, description="Warning when connected "
                                                              "clients reach this (0 = off).")


class CustomProbeSettings(ConfigModel):
    """A Python callable."""

    check_function: str = Field(
        default="", description="`module:function`, or a bare function name looked up in "
                                "the receiver's custom_check_modules. Called with parameters "
                                "as keyword arguments; sync (run in a thread) or async. "
                                "Required.")
    parameters: dict[str, Any] = Field(default_factory=dict,
                                       description="Keyword arguments of the function.")

    def probe_problems(self) -> list[str]:
        if not FUNCTION_REF.match(self.check_function):
            return [f"check_function {self.check_function!r}: expected module:function or a "
                    "function name"]
        return []


K8S_RESOURCES = ("deployments", "pods", "services")


class KubernetesProbeSettings(K8sAPIConfig):
    """Deployments ready vs desired and pods not ready or crash-looping in one namespace."""

    namespace: str = Field(default="default", description="Namespace to look at.")
    resources: list[str] = Field(
        default_factory=lambda: ["deployments", "pods"],
        description="Kinds to check: deployments (ready vs desired replicas), pods (not ready, "
                    "CrashLoopBackOff, restarts), services (counted).")
    degraded_ready_ratio: float = Field(
        default=0.5, ge=0, le=1,
        description="A deployment with fewer ready replicas than desired is warning while "
                    "ready/desired is at least this ratio, critical below it (and at 0 ready).")
    restarts_warning: int = Field(
        default=5, ge=0,
        description="A container restarted at least this many times makes the check warning "
                    "(0 = off).")

    def probe_problems(self) -> list[str]:
        unknown = [r for r in self.resources if r not in K8S_RESOURCES]
        if unknown:
            return [f"resources: {', '.join(map(repr, unknown))} not one of "
                    f"{', '.join(K8S_RESOURCES)}"]
        if not self.resources:
            return ["resources: at least one of " + ", ".join(K8S_RESOURCES) + " is required"]
        return []

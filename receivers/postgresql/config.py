"""Configuration of the postgresql receiver (the Collector's postgresqlreceiver keys)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, create_model

from otelpy.config.types import ConfigModel, Duration, Secret
from otelpy.receivers.postgresql.metadata import METRICS

__all__ = ["PostgresqlConfig", "PostgresqlMetrics"]


class EnabledByDefault(ConfigModel):
    enabled: bool = Field(default=True, description="Whether it is emitted.")


class DisabledByDefault(ConfigModel):
    enabled: bool = Field(default=False, description="Whether it is emitted.")


class _Toggles(ConfigModel):
    def enabled(self, name: str) -> bool:
        return bool(getattr(self, re.sub(r"\W", "_", name)).enabled)


def _toggles() -> type[_Toggles]:
    fields: dict[str, Any] = {}
    for name, meta in METRICS.items():
        kind = EnabledByDefault if meta.enabled else DisabledByDefault
        fields[re.sub(r"\W", "_", name)] = (kind, Field(
            default_factory=kind, alias=name, description=meta.description))
    return create_model("PostgresqlMetrics", __base__=_Toggles, **fields)


PostgresqlMetrics = _toggles()


class PostgresqlConfig(ConfigModel):
    """The postgresql receiver: statistics views every collection_interval."""

    endpoint: str = Field(default="localhost:5432", description="host:port of the server.")
    transport: str = Field(default="tcp", description="Only tcp is supported.")
    username: str = Field(default="", description="User to connect as. Required.")
    password: Secret = Field(default=Secret(""), description="Password.")
    databases: list[str] = Field(default_factory=list,
                                 description="Databases to report; empty = every database "
                                             "that accepts connections (not templates).")
    exclude_databases: list[str] = Field(default_factory=list,
                                         description="Databases not reported.")
    collection_interval: Duration = Field(default=10.0, gt=0,
                                          description="How often statistics are read.")
    initial_delay: Duration = Field(default=1.0, description="Delay before the first read.")
    timeout: Duration = Field(default=0.0,
                              description="Longest a read may take (0: collection_interval).")
    metrics: PostgresqlMetrics = Field(  # type: ignore[valid-type]
        default_factory=PostgresqlMetrics, description="`metrics::<name>::enabled` toggles "
                                                       "(the Collector's defaults).")

    def host_port(self) -> tuple[str, int]:
        host, _, port = self.endpoint.rpartition(":")
        return host.strip("[]"), int(port)

    def validate_config(self) -> list[str]:
        problems = []
        host, _, port = self.endpoint.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            problems.append(f"endpoint: {self.endpoint!r} is not host:port")
        if not self.username:
            problems.append("username: must be set")
        if self.transport != "tcp":
            problems.append(f"transport: {self.transport!r} is not supported (tcp only)")
        return problems

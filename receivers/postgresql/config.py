"""Configuration of the postgresql receiver (the Collector's postgresqlreceiver keys)."""

from __future__ import annotations

import re

from pydantic import Field

from otelpy.config.types import ConfigModel, Duration, Secret

__all__ = ["PostgresqlConfig", "PostgresqlMetrics"]


class MetricToggle(ConfigModel):
    """A metric the Collector emits by default."""

    enabled: bool = Field(default=True, description="Whether it is emitted.")


def _toggle(name: str) -> object:
    return Field(default_factory=MetricToggle, alias=name, description=f"`{name}`.")


class PostgresqlMetrics(ConfigModel):
    """`metrics::<name>::enabled` toggles (all on by default)."""

    postgresql_backends: MetricToggle = _toggle("postgresql.backends")  # type: ignore
    postgresql_commits: MetricToggle = _toggle("postgresql.commits")  # type: ignore
    postgresql_rollbacks: MetricToggle = _toggle("postgresql.rollbacks")  # type: ignore
    postgresql_db_size: MetricToggle = _toggle("postgresql.db_size")  # type: ignore
    postgresql_connection_max: MetricToggle = _toggle(  # type: ignore
        "postgresql.connection.max")
    postgresql_database_count: MetricToggle = _toggle(  # type: ignore
        "postgresql.database.count")

    def enabled(self, name: str) -> bool:
        return bool(getattr(self, re.sub(r"\W", "_", name)).enabled)


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
    metrics: PostgresqlMetrics = Field(default_factory=PostgresqlMetrics,
                                       description="Metric toggles.")

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

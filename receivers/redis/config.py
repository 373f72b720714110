"""Configuration of the redis receiver (the Collector's redisreceiver keys)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field, create_model

from otelpy.config.types import ConfigModel, Duration, Secret
from otelpy.receivers.redis.metadata import CPU_DESCRIPTION, DB_METRICS, METRICS, OFF_BY_DEFAULT

__all__ = ["RedisConfig"]


class EnabledByDefault(ConfigModel):
    enabled: bool = Field(default=True, description="Whether it is emitted.")


class DisabledByDefault(ConfigModel):
    enabled: bool = Field(default=False, description="Whether it is emitted.")


def _toggles() -> type[BaseModel]:
    entries = [(m[0], True, m[4]) for m in METRICS] + [
        ("redis.cpu.time", True, CPU_DESCRIPTION)] + [
        (m[0], True, m[3]) for m in DB_METRICS] + [
        (m[0], False, m[4]) for m in OFF_BY_DEFAULT] + [
        ("redis.role", False, "Redis node's role (attribute role), value 1")]
    fields: dict[str, Any] = {}
    for name, enabled, description in entries:
        kind = EnabledByDefault if enabled else DisabledByDefault
        fields[re.sub(r"\W", "_", name)] = (kind, Field(
            default_factory=kind, alias=name, description=description))
    return create_model("RedisMetrics", __base__=ConfigModel, **fields)


RedisMetrics = _toggles()


class ResourceAttributes(ConfigModel):
    """The Collector's resource attribute toggles (and defaults)."""

    redis_version: EnabledByDefault = Field(
        default_factory=EnabledByDefault, alias="redis.version",
        description="Redis server's version (INFO redis_version).")
    server_address: DisabledByDefault = Field(
        default_factory=DisabledByDefault, alias="server.address",
        description="Redis server's address (from endpoint).")
    server_port: DisabledByDefault = Field(
        default_factory=DisabledByDefault, alias="server.port",
        description="Redis server's port (from endpoint, a string as in the Collector).")


class RedisConfig(ConfigModel):
    """The redis receiver: INFO every collection_interval, as the Collector's metrics."""

    endpoint: str = Field(default="localhost:6379", description="host:port of the server.")
    transport: str = Field(default="tcp", description="Only tcp is supported.")
    username: str = Field(default="", description="ACL user name (Redis 6+).")
    password: Secret = Field(default=Secret(""), description="Password (AUTH).")
    collection_interval: Duration = Field(default=10.0, gt=0,
                                          description="How often INFO is read.")
    initial_delay: Duration = Field(default=1.0, description="Delay before the first read.")
    timeout: Duration = Field(default=0.0,
                              description="Longest a read may take (0: collection_interval).")
    metrics: RedisMetrics = Field(  # type: ignore[valid-type]
        default_factory=RedisMetrics, description="`metrics::<name>::enabled` toggles.")
    resource_attributes: ResourceAttributes = Field(
        default_factory=ResourceAttributes,
        description="`resource_attributes::<name>::enabled` toggles.")

    def host_port(self) -> tuple[str, int]:
        host, _, port = self.endpoint.rpartition(":")
        return host.strip("[]"), int(port)

    def enabled(self, name: str) -> bool:
        return bool(getattr(self.metrics, re.sub(r"\W", "_", name)).enabled)

    def validate_config(self) -> list[str]:
        problems = []
        host, _, port = self.endpoint.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            problems.append(f"endpoint: {self.endpoint!r} is not host:port")
        if self.transport != "tcp":
            problems.append(f"transport: {self.transport!r} is not supported (tcp only)")
        return problems

"""Redis probe (redis-py asyncio): PING, INFO memory / clients / replication."""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis
import redis.exceptions
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from otelpy.probes.config import RedisProbeSettings
from otelpy.probes.result import ProbeResult, Status

__all__ = ["RedisProbe"]

_ERRORS = (OSError, redis.exceptions.RedisError)


class RedisProbe:
    """One client (its pool reconnects after a server restart); a fresh connection is made
    when the old one broke."""

    def __init__(self, settings: RedisProbeSettings) -> None:
        self.settings = settings
        self._client = aioredis.Redis(
            host=settings.host, port=settings.port, db=settings.db,
            username=settings.username or None,
            password=settings.password.reveal() or None,
            retry=Retry(NoBackoff(), 0), health_check_interval=0)

    async def check(self) -> ProbeResult:
        try:
            await self._client.ping()
            info = await self._client.info()
        except _ERRORS as exc:
            await self._client.connection_pool.disconnect()
            return ProbeResult(Status.CRITICAL, {}, f"{type(exc).__name__}: {exc}")
        return self._judge(info)

    async def info(self) -> dict[str, Any]:
        """The server's whole ``INFO`` (the redis receiver's source); raises the client's
        errors, after dropping a broken connection."""
        try:
            return dict(await self._client.info())
        except _ERRORS:
            await self._client.connection_pool.disconnect()
            raise

    def _judge(self, info: dict[str, Any]) -> ProbeResult:
        s = self.settings
        used, limit = int(info.get("used_memory", 0)), int(info.get("maxmemory", 0))
        clients = int(info.get("connected_clients", 0))
        role = str(info.get("role", ""))
        details: dict[str, Any] = {"used_memory": used, "maxmemory": limit,
                                   "connected_clients": clients, "role": role}
        findings: list[tuple[Status, str]] = []
        if limit and used / limit >= s.memory_warning_ratio:
            findings.append((Status.WARNING, f"used memory {used} of maxmemory {limit}"))
        if s.clients_warning and clients >= s.clients_warning:
            findings.append((Status.WARNING, f"{clients} clients connected"))
        if role == "slave":
            link = str(info.get("master_link_status", ""))
            details["master_link_status"] = link
            if link != "up":
                findings.append((Status.CRITICAL, f"replication link to the master is "
                                                  f"{link or 'unknown'}"))
        else:
            details["connected_slaves"] = int(info.get("connected_slaves", 0))
        return ProbeResult.worst(findings, details)

    async def close(self) -> None:
        await self._client.aclose()

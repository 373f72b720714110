"""PostgreSQL probe (asyncpg): connect, SELECT 1, connections against max_connections, slow
queries from pg_stat_activity, replication lag on a replica."""

from __future__ import annotations

from typing import Any

import asyncpg

from otelpy.probes.config import PostgresqlProbeSettings
from otelpy.probes.result import ProbeResult, Status

__all__ = ["PostgresqlProbe"]

_CONNECTIONS = "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
_SLOW = """
SELECT count(*), coalesce(max(extract(epoch FROM now() - query_start)), 0)::float8
FROM pg_stat_activity
WHERE state = 'active' AND backend_type = 'client backend' AND pid <> pg_backend_pid()
  AND now() - query_start > make_interval(secs => $1)
"""
_LAG = ("SELECT coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0)"
        "::float8")
_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)


class PostgresqlProbe:
    """A fresh connection per run (what a new client of the database would meet)."""

    def __init__(self, settings: PostgresqlProbeSettings) -> None:
        self.settings = settings

    async def check(self) -> ProbeResult:
        try:
            conn = await asyncpg.connect(self.settings.connection_string.reveal(),
                                         timeout=3600)  # the runner's timeout cuts it
        except _ERRORS as exc:
            return ProbeResult(Status.CRITICAL, {}, f"cannot connect: {type(exc).__name__}: "
                                                    f"{exc}")
        try:
            details = await self._measure(conn)
        except _ERRORS as exc:
            return ProbeResult(Status.CRITICAL, {}, f"{type(exc).__name__}: {exc}")
        finally:
            await conn.close(timeout=5)
        return self._judge(details)

    async def _measure(self, conn: Any) -> dict[str, Any]:
        await conn.fetchval("SELECT 1")
        max_conn = int(await conn.fetchval("SHOW max_connections"))
        connections = int(await conn.fetchval(_CONNECTIONS))
        slow, longest = await conn.fetchrow(_SLOW, self.settings.slow_query_threshold)
        details: dict[str, Any] = {
            "connections": connections, "max_connections": max_conn,
            "slow_queries": int(slow), "longest_query_seconds": round(float(longest), 3)}
        if await conn.fetchval("SELECT pg_is_in_recovery()"):
            details["replication_lag_seconds"] = round(float(await conn.fetchval(_LAG)), 3)
        return details

    def _judge(self, d: dict[str, Any]) -> ProbeResult:
        s = self.settings
        findings: list[tuple[Status, str]] = []
        ratio = d["connections"] / max(d["max_connections"], 1)
        if ratio >= s.connections_critical_ratio:
            findings.append((Status.CRITICAL, f"{d['connections']} of {d['max_connections']} "
                                              "connections in use"))
        elif ratio >= s.connections_warning_ratio:
            findings.append((Status.WARNING, f"{d['connections']} of {d['max_connections']} "
                                             "connections in use"))
        if d["slow_queries"]:
            findings.append((Status.WARNING, f"{d['slow_queries']} quer(ies) running longer "
                                             f"than {s.slow_query_threshold:g}s"))
        lag = d.get("replication_lag_seconds")
        if lag is not None and s.replication_lag_critical and lag > s.replication_lag_critical:
            findings.append((Status.CRITICAL, f"replication lag {lag:.0f}s"))
        elif lag is not None and s.replication_lag_warning and lag > s.replication_lag_warning:
            findings.append((Status.WARNING, f"replication lag {lag:.0f}s"))
        return ProbeResult.worst(findings, d)

    async def close(self) -> None:
        return None

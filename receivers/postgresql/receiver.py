"""The postgresql receiver: each collection (asyncpg) reads pg_stat_database,
pg_database_size and max_connections, then each database's pg_stat_user_tables,
pg_statio_user_tables and pg_stat_user_indexes over a connection to it; the Collector's
metrics and resources (metadata.py). A failed read is logged and counted; the next tick
tries again."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from otelpy import __version__
from otelpy.clock import run_every
from otelpy.component import ComponentBase, Host, Settings, Signal
from otelpy.consumer import Consumer
from otelpy.errors import ConsumerError
from otelpy.pdata.build import RequestBuilder
from otelpy.receivers.postgresql.build import (
    BGWRITER,
    BGWRITER_17,
    INDEXES,
    STATS,
    TABLES,
    Point,
    bgwriter_points,
    database_points,
    index_points,
    metrics,
    table_points,
)
from otelpy.receivers.postgresql.config import PostgresqlConfig

__all__ = ["PostgresqlReceiver"]

SCOPE = "github.com/open-telemetry/opentelemetry-collector-contrib/receiver/postgresqlreceiver"
_ERRORS = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


@dataclass
class _Snapshot:
    max_connections: int
    bgwriter: Any  # the row of BGWRITER
    databases: list[Any]  # rows of STATS, filtered
    tables: dict[str, list[Any]] = field(default_factory=dict)  # database -> rows of TABLES
    indexes: dict[str, list[Any]] = field(default_factory=dict)  # database -> rows of INDEXES


class PostgresqlReceiver(ComponentBase):
    def __init__(self, settings: Settings, cfg: PostgresqlConfig, consumer: Consumer) -> None:
        self.settings = settings
        self.cfg = cfg
        self.consumer = consumer
        self._task: asyncio.Task[None] | None = None
        self._start_ns = 0
        self.failures = 0

    async def start(self, host: Host | None = None) -> None:
        if self._task is None:
            self._start_ns = self.settings.clock.time_ns()
            self._task = asyncio.create_task(self._run(), name=f"{self.settings.id} pg")

    async def shutdown(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        await run_every(self.settings.clock, self.cfg.collection_interval,
                        self.cfg.initial_delay, self.scrape_once)

    async def _connect(self, database: str) -> asyncpg.Connection:
        host, port = self.cfg.host_port()
        return await asyncpg.connect(host=host, port=port, user=self.cfg.username,
                                     password=self.cfg.password.reveal() or None,
                                     database=database, ssl=False)

    async def _read(self) -> _Snapshot:
        """Database statistics over one connection, then each database's tables and
        indexes over a connection to it (a database that cannot be read is logged and
        counted; the others are reported)."""
        conn = await self._connect(self.cfg.databases[0] if self.cfg.databases else "postgres")
        try:
            rows = await conn.fetch(STATS)
            max_conn = int(await conn.fetchval("SHOW max_connections"))
            version = int(await conn.fetchval("SHOW server_version_num"))
            bgwriter = await conn.fetchrow(BGWRITER_17 if version >= 170000 else BGWRITER)
        finally:
            await conn.close()
        wanted = set(self.cfg.databases)
        snap = _Snapshot(max_conn, bgwriter, [
            r for r in rows if (not wanted or r["datname"] in wanted)
            and r["datname"] not in self.cfg.exclude_databases])
        for row in snap.databases:
            name = row["datname"]
            try:
                db = await self._connect(name)
                try:
                    snap.tables[name] = list(await db.fetch(TABLES))
                    snap.indexes[name] = list(await db.fetch(INDEXES))
                finally:
                    await db.close()
            except _ERRORS as exc:
                self.failures += 1
                self.settings.logger.warning("receiver %s: tables of %s: %s: %s",
                                             self.settings.id, name, type(exc).__name__, exc)
        return snap

    async def scrape_once(self) -> bool:
        """Read the statistics once and send; False (logged, counted) when it failed."""
        timeout = self.cfg.timeout or self.cfg.collection_interval
        try:
            snap = await asyncio.wait_for(self._read(), timeout)
        except _ERRORS as exc:
            self.failures += 1
            self.settings.logger.warning("receiver %s: reading %s failed: %s: %s",
                                         self.settings.id, self.cfg.endpoint,
                                         type(exc).__name__, exc)
            return False
        try:
            await self.consumer.consume_metrics(self._batch(snap).batch())
        except ConsumerError as exc:  # refused: counted by the engine
            self.settings.logger.warning("receiver %s: pipeline refused a scrape: %s",
                                         self.settings.id, exc)
        return True

    def _batch(self, snap: _Snapshot) -> RequestBuilder:
        """One resource for the cluster, one per database, table and index."""
        now_ns = self.settings.clock.time_ns()
        builder = RequestBuilder(Signal.METRICS)

        def emit(resource: dict[str, Any], points: list[Point]) -> None:
            out = metrics(points, self.cfg.metrics.enabled, self._start_ns, now_ns)
            if out:
                builder.scope(resource, SCOPE, __version__).metrics.extend(out)

        emit({}, [("postgresql.connection.max", snap.max_connections, {}),
                  ("postgresql.database.count", len(snap.databases), {}),
                  *bgwriter_points(snap.bgwriter)])
        for row in snap.databases:
            db = row["datname"]
            tables = snap.tables.get(db)
            emit({"postgresql.database.name": db},
                 database_points(row, None if tables is None else len(tables)))
            for t in tables or ():
                emit({"postgresql.database.name": db,
                      "postgresql.table.name": f"{t['schemaname']}.{t['relname']}"},
                     table_points(t))
            for i in snap.indexes.get(db, ()):
                emit({"postgresql.database.name": db, "postgresql.table.name": i["relname"],
                      "postgresql.index.name": i["indexrelname"]}, index_points(i))
        return builder

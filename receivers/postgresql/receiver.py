"""The postgresql receiver: one connection per collection (asyncpg), pg_stat_database and
pg_database_size per database, max_connections; the Collector's metric names, one resource
per database (``postgresql.database.name``) plus the cluster-wide ones on an empty resource.
A failed read is logged and counted; the next tick tries again."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import asyncpg
from opentelemetry.proto.metrics.v1.metrics_pb2 import AggregationTemporality, Metric

from otelpy import __version__
from otelpy.clock import run_every
from otelpy.component import ComponentBase, Host, Settings, Signal
from otelpy.consumer import Consumer
from otelpy.errors import ConsumerError
from otelpy.pdata.build import RequestBuilder
from otelpy.receivers.postgresql.config import PostgresqlConfig

__all__ = ["PostgresqlReceiver"]

SCOPE = "github.com/open-telemetry/opentelemetry-collector-contrib/receiver/postgresqlreceiver"
_STATS = """SELECT d.datname, s.numbackends, s.xact_commit, s.xact_rollback,
                   pg_database_size(d.datname) AS size
            FROM pg_database d JOIN pg_stat_database s ON s.datid = d.oid
            WHERE NOT d.datistemplate AND d.datallowconn ORDER BY d.datname"""
# (name, column, kind, unit, description)
_PER_DB = (("postgresql.backends", "numbackends", "sum", "1", "The number of backends."),
           ("postgresql.commits", "xact_commit", "counter", "1", "The number of commits."),
           ("postgresql.rollbacks", "xact_rollback", "counter", "1",
            "The number of rollbacks."),
           ("postgresql.db_size", "size", "sum", "By", "The database disk usage."))


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

    async def _read(self) -> tuple[list[Any], int]:
        host, port = self.cfg.host_port()
        database = self.cfg.databases[0] if self.cfg.databases else "postgres"
        conn = await asyncpg.connect(host=host, port=port, user=self.cfg.username,
                                     password=self.cfg.password.reveal() or None,
                                     database=database, ssl=False)
        try:
            rows = await conn.fetch(_STATS)
            max_conn = int(await conn.fetchval("SHOW max_connections"))
        finally:
            await conn.close()
        return list(rows), max_conn

    async def scrape_once(self) -> bool:
        """Read the statistics once and send; False (logged, counted) when it failed."""
        timeout = self.cfg.timeout or self.cfg.collection_interval
        try:
            rows, max_conn = await asyncio.wait_for(self._read(), timeout)
        except (OSError, TimeoutError, asyncpg.PostgresError,
                asyncpg.InterfaceError) as exc:
            self.failures += 1
            self.settings.logger.warning("receiver %s: reading %s failed: %s: %s",
                                         self.settings.id, self.cfg.endpoint,
                                         type(exc).__name__, exc)
            return False
        wanted = set(self.cfg.databases)
        rows = [r for r in rows if (not wanted or r["datname"] in wanted)
                and r["datname"] not in self.cfg.exclude_databases]
        now_ns = self.settings.clock.time_ns()
        builder = RequestBuilder(Signal.METRICS)
        cluster = [_metric("postgresql.connection.max", "gauge", "{connection}",
                           "Configured maximum number of client connections allowed",
                           max_conn, self._start_ns, now_ns),
                   _metric("postgresql.database.count", "sum", "{databases}",
                           "Number of user databases.", len(rows), self._start_ns, now_ns)]
        builder.scope({}, SCOPE, __version__).metrics.extend(
            m for m in cluster if self.cfg.metrics.enabled(m.name))
        for row in rows:
            builder.scope({"postgresql.database.name": row["datname"]}, SCOPE,
                          __version__).metrics.extend(
                _metric(name, kind, unit, text, row[column], self._start_ns, now_ns)
                for name, column, kind, unit, text in _PER_DB
                if self.cfg.metrics.enabled(name))
        try:
            await self.consumer.consume_metrics(builder.batch())
        except ConsumerError as exc:  # refused: counted by the engine
            self.settings.logger.warning("receiver %s: pipeline refused a scrape: %s",
                                         self.settings.id, exc)
        return True


def _metric(name: str, kind: str, unit: str, description: str, value: int,
            start_ns: int, now_ns: int) -> Metric:
    metric = Metric(name=name, description=description, unit=unit)
    if kind == "gauge":
        metric.gauge.data_points.add(time_unix_nano=now_ns, as_int=int(value))
        return metric
    metric.sum.aggregation_temporality = \
        AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE
    metric.sum.is_monotonic = kind == "counter"
    metric.sum.data_points.add(start_time_unix_nano=start_ns, time_unix_nano=now_ns,
                               as_int=int(value))
    return metric

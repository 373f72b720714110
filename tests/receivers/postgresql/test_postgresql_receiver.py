"""The postgresql receiver against a real PostgreSQL 15: values checked against what the
server reports in the same test."""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.pdata.values import Attributes
from otelpy.receivers.postgresql import PostgresqlConfig, factory
from otelpy.receivers.postgresql.receiver import PostgresqlReceiver
from otelpy.telemetry import Telemetry
from otelpy.testing.dbservers import PostgresServer
from otelpy.testing.polling import until
from otelpy.testing.process import free_port
from otelpy.testing.sink import SinkConsumer


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    base = Path(tempfile.mkdtemp(prefix="otelpy-pg-"))  # /tmp: the postgres user can enter
    base.chmod(0o755)
    server = PostgresServer(base / "pg")
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


def make(cfg: dict[str, Any]) -> tuple[PostgresqlReceiver, SinkConsumer]:
    config = PostgresqlConfig.model_validate({"username": "postgres", **cfg})
    assert config.validate_config() == []
    settings = Settings(ComponentID("postgresql"), Kind.RECEIVER,
                        logging.getLogger("test.postgresql"), Telemetry())
    sink = SinkConsumer()
    rec = factory.create(settings, config, {Signal.METRICS: sink})
    assert isinstance(rec, PostgresqlReceiver)
    return rec, sink


def last(sink: SinkConsumer) -> dict[tuple[str, str], int]:
    """(database or "", metric) -> value of the latest batch."""
    out = {}
    for rm in sink.batches[-1].message.resource_metrics:
        db = str(Attributes(rm.resource.attributes).as_dict().get(
            "postgresql.database.name", ""))
        for sm in rm.scope_metrics:
            for m in sm.metrics:
                data = m.gauge if m.HasField("gauge") else m.sum
                out[(db, m.name)] = data.data_points[0].as_int
    return out


async def test_values_match_the_server(postgres: PostgresServer) -> None:
    conn = await asyncpg.connect(postgres.dsn)
    try:
        await conn.execute("CREATE DATABASE shop")
        shop = await asyncpg.connect(postgres.dsn.rsplit("/", 1)[0] + "/shop")
        await shop.execute("CREATE TABLE t AS SELECT generate_series(1, 50000) AS n")
        rec, sink = make({"endpoint": f"127.0.0.1:{postgres.port}",
                          "exclude_databases": ["postgres"]})
        assert await rec.scrape_once()
        got = last(sink)
        stats = await conn.fetchrow(
            "SELECT numbackends, xact_commit, xact_rollback, pg_database_size('shop') AS size,"
            " current_setting('max_connections')::int AS max FROM pg_stat_database"
            " WHERE datname = 'shop'")
        assert got[("", "postgresql.connection.max")] == stats["max"]
        assert got[("", "postgresql.database.count")] == 1
        assert {db for db, _ in got} == {"", "shop"}
        assert got[("shop", "postgresql.backends")] == stats["numbackends"] == 1
        assert got[("shop", "postgresql.db_size")] == stats["size"] > 1_000_000
        assert 0 < got[("shop", "postgresql.commits")] <= stats["xact_commit"]
        with pytest.raises(asyncpg.PostgresError):
            await shop.execute("SELECT * FROM missing")
        await shop.close()
        before = got[("shop", "postgresql.rollbacks")]

        async def rolled_back() -> bool:  # statistics arrive when the backend reports
            assert await rec.scrape_once()
            return last(sink)[("shop", "postgresql.rollbacks")] > before

        await until(rolled_back)
        server_says = await conn.fetchval(
            "SELECT xact_rollback FROM pg_stat_database WHERE datname = 'shop'")
        assert last(sink)[("shop", "postgresql.rollbacks")] == server_says
    finally:
        await conn.close()


async def test_toggle_schedule_and_failure(postgres: PostgresServer) -> None:
    rec, sink = make({"endpoint": f"127.0.0.1:{postgres.port}", "databases": ["postgres"],
                      "collection_interval": "50ms", "initial_delay": "0s",
                      "metrics": {"postgresql.db_size": {"enabled": False}}})
    await rec.start()
    try:
        await until(lambda: len(sink.batches) >= 3)
    finally:
        await rec.shutdown()
    got = last(sink)
    assert ("postgres", "postgresql.db_size") not in got
    assert ("postgres", "postgresql.backends") in got
    down, down_sink = make({"endpoint": f"127.0.0.1:{free_port()}"})
    assert not await down.scrape_once()
    assert down.failures == 1 and down_sink.batches == []


def test_config_problems() -> None:
    cfg = PostgresqlConfig.model_validate({"endpoint": "x", "transport": "unix"})
    assert cfg.validate_config() == ["endpoint: 'x' is not host:port",
                                     "username: must be set",
                                     "transport: 'unix' is not supported (tcp only)"]

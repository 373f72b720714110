"""The postgresql receiver's default metric set pinned against the Collector's
metadata.yaml, and its per-table and per-index metrics checked against what a real
PostgreSQL reports in the same test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import asyncpg
import pytest
from test_postgresql_receiver import make
from test_postgresql_receiver import postgres as postgres  # noqa: F401 - the fixture

from otelpy.pdata.values import Attributes
from otelpy.testing.dbservers import PostgresServer
from otelpy.testing.polling import until
from otelpy.testing.sink import SinkConsumer

# The Collector's receiver/postgresqlreceiver/metadata.yaml, default-enabled metrics this
# receiver emits: name -> (kind, monotonic, unit, point attribute keys, resource keys).
DB = ("postgresql.database.name",)
TABLE = ("postgresql.database.name", "postgresql.table.name")
INDEX = ("postgresql.database.name", "postgresql.index.name", "postgresql.table.name")
COLLECTOR_DEFAULTS: dict[str, tuple[str, bool, str, tuple[str, ...], tuple[str, ...]]] = {
    "postgresql.connection.max": ("gauge", False, "{connections}", (), ()),
    "postgresql.database.count": ("sum", False, "{databases}", (), ()),
    "postgresql.bgwriter.buffers.allocated": ("sum", True, "{buffers}", (), ()),
    "postgresql.bgwriter.buffers.writes": ("sum", True, "{buffers}", ("source",), ()),
    "postgresql.bgwriter.checkpoint.count": ("sum", True, "{checkpoints}", ("type",), ()),
    "postgresql.bgwriter.duration": ("sum", True, "ms", ("type",), ()),
    "postgresql.bgwriter.maxwritten": ("sum", True, "1", (), ()),
    "postgresql.backends": ("sum", False, "1", (), DB),
    "postgresql.commits": ("sum", True, "1", (), DB),
    "postgresql.rollbacks": ("sum", True, "1", (), DB),
    "postgresql.db_size": ("sum", False, "By", (), DB),
    "postgresql.table.count": ("sum", False, "{table}", (), DB),
    "postgresql.rows": ("sum", False, "1", ("state",), TABLE),
    "postgresql.operations": ("sum", True, "1", ("operation",), TABLE),
    "postgresql.blocks_read": ("sum", True, "1", ("source",), TABLE),
    "postgresql.table.size": ("sum", False, "By", (), TABLE),
    "postgresql.table.vacuum.count": ("sum", True, "{vacuum}", (), TABLE),
    "postgresql.index.scans": ("sum", True, "{scans}", (), INDEX),
    "postgresql.index.size": ("gauge", False, "By", (), INDEX),
}


@pytest.fixture
async def shop(postgres: PostgresServer) -> Iterator[asyncpg.Connection]:  # noqa: F811
    admin = await asyncpg.connect(postgres.dsn)
    await admin.execute("DROP DATABASE IF EXISTS shop")
    await admin.execute("CREATE DATABASE shop")
    await admin.close()
    conn = await asyncpg.connect(postgres.dsn.rsplit("/", 1)[0] + "/shop")
    await conn.execute("CREATE SCHEMA sales")
    await conn.execute("CREATE TABLE sales.orders (id int PRIMARY KEY, note text)")
    await conn.execute("INSERT INTO sales.orders SELECT n, 'x' FROM generate_series(1, 500) n")
    await conn.execute("UPDATE sales.orders SET note = 'y' WHERE id <= 40")
    await conn.execute("DELETE FROM sales.orders WHERE id > 490")
    await conn.execute("VACUUM sales.orders")
    await conn.execute("SET enable_seqscan = off")
    for i in range(3):
        await conn.fetchval("SELECT note FROM sales.orders WHERE id = $1", i + 1)
    yield conn
    await conn.close()


def shapes(sink: SinkConsumer) -> dict[str, tuple[str, bool, str, tuple[str, ...],
                                                  tuple[str, ...]]]:
    out = {}
    for rm in sink.batches[-1].message.resource_metrics:
        resource = tuple(sorted(Attributes(rm.resource.attributes).as_dict()))
        for sm in rm.scope_metrics:
            for m in sm.metrics:
                data = m.gauge if m.HasField("gauge") else m.sum
                keys = {k for p in data.data_points for k in Attributes(p.attributes).as_dict()}
                out[m.name] = ("gauge" if m.HasField("gauge") else "sum",
                               m.HasField("sum") and m.sum.is_monotonic, m.unit,
                               tuple(sorted(keys)), resource)
    return out


def points(sink: SinkConsumer, **resource: str) -> dict[tuple[str, str], int]:
    """(metric, the point's one attribute value or "") -> value, on one resource."""
    out = {}
    for rm in sink.batches[-1].message.resource_metrics:
        if Attributes(rm.resource.attributes).as_dict() != resource:
            continue
        for sm in rm.scope_metrics:
            for m in sm.metrics:
                data = m.gauge if m.HasField("gauge") else m.sum
                for p in data.data_points:
                    attrs = list(Attributes(p.attributes).as_dict().values())
                    out[(m.name, str(attrs[0]) if attrs else "")] = \
                        p.as_double if p.HasField("as_double") else p.as_int
    return out


async def test_default_metric_set_is_the_collectors(postgres: PostgresServer,  # noqa: F811
                                                    shop: asyncpg.Connection) -> None:
    rec, sink = make({"endpoint": f"127.0.0.1:{postgres.port}", "databases": ["shop"]})
    assert await rec.scrape_once()
    assert shapes(sink) == COLLECTOR_DEFAULTS
    on, on_sink = make({"endpoint": f"127.0.0.1:{postgres.port}", "databases": ["shop"],
                        "metrics": {"postgresql.sequential_scans": {"enabled": True},
                                    "postgresql.blocks_read": {"enabled": False}}})
    assert await on.scrape_once()
    got = shapes(on_sink)
    assert got["postgresql.sequential_scans"] == ("sum", True, "{sequential_scan}", (), TABLE)
    assert "postgresql.blocks_read" not in got


async def test_table_and_index_values_match_the_server(postgres: PostgresServer,  # noqa: F811
                                                       shop: asyncpg.Connection) -> None:
    rec, sink = make({"endpoint": f"127.0.0.1:{postgres.port}", "databases": ["shop"]})
    query = """SELECT s.*, io.*, pg_relation_size(s.relid) AS size FROM pg_stat_user_tables s
               JOIN pg_statio_user_tables io USING (relid) WHERE s.relname = 'orders'"""
    server: dict[str, Any] = {}

    async def settled() -> bool:  # the backend's counters reach the views when it reports
        server.update(dict(await shop.fetchrow(query)))
        return server["n_tup_del"] == 10 and server["vacuum_count"] == 1 and \
            await shop.fetchval("SELECT idx_scan FROM pg_stat_user_indexes") >= 3

    await until(settled)
    assert await rec.scrape_once()
    table = points(sink, **{"postgresql.database.name": "shop",
                            "postgresql.table.name": "sales.orders"})
    assert table[("postgresql.rows", "live")] == server["n_live_tup"] > 0
    assert table[("postgresql.rows", "dead")] == server["n_dead_tup"]
    assert table[("postgresql.operations", "ins")] == 500
    assert table[("postgresql.operations", "upd")] == 40
    assert table[("postgresql.operations", "del")] == 10
    assert table[("postgresql.operations", "hot_upd")] == server["n_tup_hot_upd"]
    assert table[("postgresql.table.size", "")] == server["size"] > 0
    assert table[("postgresql.table.vacuum.count", "")] == 1
    assert {s for (name, s) in table if name == "postgresql.blocks_read"} == {
        "heap_read", "heap_hit", "idx_read", "idx_hit", "toast_read", "toast_hit",
        "tidx_read", "tidx_hit"}
    assert table[("postgresql.blocks_read", "heap_hit")] >= server["heap_blks_hit"] > 0
    index = points(sink, **{"postgresql.database.name": "shop",
                            "postgresql.table.name": "orders",
                            "postgresql.index.name": "orders_pkey"})
    size = await shop.fetchval("SELECT pg_relation_size('sales.orders_pkey')")
    assert index == {("postgresql.index.scans", ""): index[("postgresql.index.scans", "")],
                     ("postgresql.index.size", ""): size}
    assert index[("postgresql.index.scans", "")] >= 3
    database = points(sink, **{"postgresql.database.name": "shop"})
    assert database[("postgresql.table.count", "")] == 1


async def test_bgwriter_matches_the_server(postgres: PostgresServer,  # noqa: F811
                                           shop: asyncpg.Connection) -> None:
    await shop.execute("CHECKPOINT")  # a requested checkpoint: count and writes move
    rec, sink = make({"endpoint": f"127.0.0.1:{postgres.port}", "databases": ["shop"]})
    server: dict[str, Any] = {}

    async def same() -> bool:  # the counters move on their own: read both until they agree
        server.update(dict(await shop.fetchrow("SELECT * FROM pg_stat_bgwriter")))
        assert await rec.scrape_once()
        again = dict(await shop.fetchrow("SELECT * FROM pg_stat_bgwriter"))
        return again == server

    await until(same)
    got = points(sink)
    assert got[("postgresql.bgwriter.checkpoint.count", "requested")] == \
        server["checkpoints_req"] >= 1
    assert got[("postgresql.bgwriter.checkpoint.count", "scheduled")] == \
        server["checkpoints_timed"]
    assert got[("postgresql.bgwriter.buffers.writes", "checkpoints")] == \
        server["buffers_checkpoint"]
    assert got[("postgresql.bgwriter.buffers.writes", "bgwriter")] == server["buffers_clean"]
    assert got[("postgresql.bgwriter.buffers.writes", "backend")] == server["buffers_backend"]
    assert got[("postgresql.bgwriter.buffers.writes", "backend_fsync")] == \
        server["buffers_backend_fsync"]
    assert got[("postgresql.bgwriter.buffers.allocated", "")] == server["buffers_alloc"] > 0
    assert got[("postgresql.bgwriter.duration", "write")] == server["checkpoint_write_time"]
    assert got[("postgresql.bgwriter.duration", "sync")] == server["checkpoint_sync_time"]
    assert got[("postgresql.bgwriter.maxwritten", "")] == server["maxwritten_clean"]

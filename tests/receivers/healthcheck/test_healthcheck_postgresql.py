"""The postgresql (and spec's database) check against a real PostgreSQL 15: healthy with its
details, critical within one interval of the server stopping and healthy again when it
returns, slow queries in the details."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from harness import make

from otelpy.probes.result import Status
from otelpy.testing.clock import FakeClock
from otelpy.testing.dbservers import PostgresServer
from otelpy.testing.polling import until


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


async def test_stopped_server_turns_critical_within_one_interval_and_back(
        postgres: PostgresServer) -> None:
    clock = FakeClock()
    receiver, _, host = make({"database_postgresql": {
        "type": "database", "connection_string": postgres.dsn, "timeout_seconds": 5,
        "critical": True, "interval_seconds": 30}}, clock)
    await receiver.start(host)
    state = receiver.states["database_postgresql"]
    await until(lambda: state.status is Status.HEALTHY, 30, "first run healthy")
    assert state.type == "postgresql"
    assert state.details["max_connections"] == 100
    assert state.details["connections"] >= 1
    assert state.details["slow_queries"] == 0
    assert "replication_lag_seconds" not in state.details  # a primary
    assert receiver.report()["overall_status"] == "healthy"
    postgres.stop()
    try:
        last = state.last_check_ns
        await clock.advance(30)  # one interval
        await until(lambda: state.last_check_ns != last, 30, "the next run")
        assert state.status is Status.CRITICAL
        assert state.message.startswith("cannot connect: ")
        assert receiver.report()["overall_status"] == "critical"
    finally:
        postgres.start()
    last = state.last_check_ns
    await clock.advance(30)
    await until(lambda: state.last_check_ns != last, 30, "the run after the restart")
    assert state.status is Status.HEALTHY
    await receiver.shutdown()


async def test_slow_query_shows_in_details(postgres: PostgresServer) -> None:
    receiver, _, host = make({"db": {"type": "postgresql", "connection_string": postgres.dsn,
                                     "slow_query_threshold": "200ms", "interval": "1h"}})
    await receiver.start(host)
    await until(lambda: receiver.states["db"].status is Status.HEALTHY, 30)
    conn = await asyncpg.connect(postgres.dsn)
    slow = asyncio.create_task(conn.execute("SELECT pg_sleep(60)"))
    try:
        async def slow_seen() -> bool:
            await receiver.run_check("db")
            return bool(receiver.states["db"].details["slow_queries"])

        await until(slow_seen, 30, "the slow query in the details", interval=0.1)
        state = receiver.states["db"]
        assert state.status is Status.WARNING
        assert state.details["slow_queries"] == 1
        assert state.details["longest_query_seconds"] >= 0.2
        assert "running longer than 0.2s" in state.message
    finally:
        slow.cancel()
        conn.terminate()
    await receiver.shutdown()


async def test_connections_near_max_are_warning_then_critical(
        postgres: PostgresServer) -> None:
    receiver, _, host = make({"db": {"type": "postgresql", "connection_string": postgres.dsn,
                                     "connections_warning_ratio": 0.05,
                                     "connections_critical_ratio": 0.1, "interval": "1h"}})
    await receiver.start(host)
    await until(lambda: receiver.states["db"].last_check_ns != 0, 30)
    extra = [await asyncpg.connect(postgres.dsn) for _ in range(5)]
    try:
        await receiver.run_check("db")
        assert receiver.states["db"].status is Status.WARNING  # >= 6 of 100
        extra += [await asyncpg.connect(postgres.dsn) for _ in range(5)]
        await receiver.run_check("db")
        assert receiver.states["db"].status is Status.CRITICAL  # >= 11 of 100
        assert "of 100 connections in use" in receiver.states["db"].message
    finally:
        for conn in extra:
            await conn.close()
    await receiver.shutdown()

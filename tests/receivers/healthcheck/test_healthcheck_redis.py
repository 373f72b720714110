"""The redis check against real redis-server processes: PING and INFO details, critical
within one interval of a stop and back after, a replica's link to its master."""

from __future__ import annotations

from pathlib import Path

import redis.asyncio as aioredis
from harness import make

from otelpy.probes.result import Status
from otelpy.testing.clock import FakeClock
from otelpy.testing.dbservers import RedisServer
from otelpy.testing.polling import until


async def test_stopped_server_turns_critical_within_one_interval_and_back(
        tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "redis")
    server.start()
    clock = FakeClock()
    receiver, _, host = make({"redis_cache": {
        "type": "redis", "host": "127.0.0.1", "port": server.port, "timeout_seconds": 2,
        "critical": True, "interval_seconds": 15}}, clock)
    try:
        await receiver.start(host)
        state = receiver.states["redis_cache"]
        await until(lambda: state.status is Status.HEALTHY, 30)
        assert state.details["role"] == "master"
        assert state.details["connected_clients"] >= 1
        assert state.details["used_memory"] > 0
        server.stop()
        last = state.last_check_ns
        await clock.advance(15)
        await until(lambda: state.last_check_ns != last, 30)
        assert state.status is Status.CRITICAL
        assert "ConnectionError" in state.message
        server.start()
        last = state.last_check_ns
        await clock.advance(15)
        await until(lambda: state.last_check_ns != last, 30)
        assert state.status is Status.HEALTHY
    finally:
        await receiver.shutdown()
        server.stop()


async def test_memory_and_clients_warnings(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "redis")
    server.start()
    client = aioredis.Redis(host="127.0.0.1", port=server.port)
    receiver, _, host = make({"r": {"type": "redis", "host": "127.0.0.1", "port": server.port,
                                    "clients_warning": 2, "interval": "1h"}})
    try:
        await client.ping()
        await receiver.start(host)
        await until(lambda: receiver.states["r"].last_check_ns != 0, 30)
        state = receiver.states["r"]
        assert state.status is Status.WARNING
        assert "clients connected" in state.message
        used = state.details["used_memory"]
        await client.config_set("maxmemory", str(int(used * 1.02)))
        await receiver.run_check("r")
        assert "maxmemory" in receiver.states["r"].message
        assert receiver.states["r"].details["maxmemory"] == int(used * 1.02)
    finally:
        await client.aclose()
        await receiver.shutdown()
        server.stop()


async def test_replica_link_down_is_critical(tmp_path: Path) -> None:
    master = RedisServer(tmp_path / "master")
    master.start()
    replica = RedisServer(tmp_path / "replica", replica_of=master.port)
    replica.start()
    receiver, _, host = make({"replica": {"type": "redis", "host": "127.0.0.1",
                                          "port": replica.port, "interval": "1h"}})
    try:
        await receiver.start(host)

        async def link(expected: str) -> bool:
            await receiver.run_check("replica")
            return receiver.states["replica"].details.get("master_link_status") == expected

        await until(lambda: link("up"), 30, "replica linked", interval=0.05)
        assert receiver.states["replica"].status is Status.HEALTHY
        assert receiver.states["replica"].details["role"] == "slave"
        master.stop()
        await until(lambda: link("down"), 30, "replica link down", interval=0.05)
        assert receiver.states["replica"].status is Status.CRITICAL
        assert receiver.states["replica"].message == \
            "replication link to the master is down"
    finally:
        await receiver.shutdown()
        replica.stop()
        master.stop()

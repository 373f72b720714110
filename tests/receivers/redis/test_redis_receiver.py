"""The redis receiver against a real redis-server: metric values checked against the
server's own INFO read in the same test."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.pdata import items
from otelpy.pdata.values import Attributes
from otelpy.receivers.redis import RedisConfig, factory
from otelpy.receivers.redis.receiver import RedisReceiver
from otelpy.telemetry import Telemetry
from otelpy.testing.dbservers import RedisServer
from otelpy.testing.polling import until
from otelpy.testing.process import free_port
from otelpy.testing.sink import SinkConsumer


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    srv = RedisServer(tmp_path / "redis")
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


def make(cfg: dict[str, Any]) -> tuple[RedisReceiver, SinkConsumer]:
    config = RedisConfig.model_validate(cfg)
    assert config.validate_config() == []
    settings = Settings(ComponentID("redis"), Kind.RECEIVER, logging.getLogger("test.redis"),
                        Telemetry())
    sink = SinkConsumer()
    rec = factory.create(settings, config, {Signal.METRICS: sink})
    assert isinstance(rec, RedisReceiver)
    return rec, sink


def last(sink: SinkConsumer) -> dict[str, list[tuple[dict[str, Any], Any]]]:
    out: dict[str, list[tuple[dict[str, Any], Any]]] = {}
    for m in items.metrics(sink.batches[-1].message):
        data = m.metric.gauge if m.metric.HasField("gauge") else m.metric.sum
        out[m.metric.name] = [(Attributes(p.attributes).as_dict(),
                               p.as_int if p.HasField("as_int") else p.as_double)
                              for p in data.data_points]
    return out


async def test_values_match_the_servers_info(server: RedisServer) -> None:
    client = aioredis.Redis(host="127.0.0.1", port=server.port)
    await client.set("a", "1")
    await client.set("b", "2", ex=1000)
    rec, sink = make({"endpoint": f"127.0.0.1:{server.port}"})
    try:
        assert await rec.scrape_once()
        info = await client.info()
        got = last(sink)
        assert got["redis.db.keys"] == [({"db": "0"}, 2)]
        assert got["redis.db.expires"] == [({"db": "0"}, 1)]
        # our client + the receiver's connection
        assert got["redis.clients.connected"] == [({}, info["connected_clients"])] == [({}, 2)]
        commands = got["redis.commands.processed"][0][1]
        assert 0 < commands < info["total_commands_processed"]
        assert got["redis.uptime"][0][1] <= info["uptime_in_seconds"]
        assert abs(got["redis.memory.used"][0][1] - info["used_memory"]) < 1_000_000
        assert "redis.role" not in got  # off by default, as in the Collector
        assert {a["state"] for a, _ in got["redis.cpu.time"]} == {
            "sys", "user", "sys_children", "user_children"}
        for _ in range(5):
            await client.get("a")
        assert await rec.scrape_once()
        assert last(sink)["redis.commands.processed"][0][1] >= commands + 5
        assert last(sink)["redis.keyspace.hits"][0][1] >= 5
        batch = sink.batches[-1].message
        resource = Attributes(batch.resource_metrics[0].resource.attributes).as_dict()
        assert resource == {"server.address": "127.0.0.1", "server.port": server.port}
    finally:
        await rec.shutdown()
        await client.aclose()


async def test_toggles_schedule_and_outage(server: RedisServer) -> None:
    rec, sink = make({"endpoint": f"127.0.0.1:{server.port}", "collection_interval": "50ms",
                      "initial_delay": "0s",
                      "metrics": {"redis.uptime": {"enabled": False},
                                  "redis.role": {"enabled": True}}})
    await rec.start()
    try:
        await until(lambda: len(sink.batches) >= 3)
        got = last(sink)
        assert "redis.uptime" not in got and got["redis.role"] == [({"role": "primary"}, 1)]
        server.stop()
        await until(lambda: rec.failures >= 2)
        before = len(sink.batches)
        server.start()
        await until(lambda: len(sink.batches) > before)
    finally:
        await rec.shutdown()


async def test_refused_connection_is_counted_not_raised() -> None:
    rec, sink = make({"endpoint": f"127.0.0.1:{free_port()}"})
    try:
        assert not await rec.scrape_once()
        assert rec.failures == 1 and sink.batches == []
    finally:
        await rec.shutdown()


def test_config_problems() -> None:
    cfg = RedisConfig.model_validate({"endpoint": "nohost", "transport": "unix"})
    assert cfg.validate_config() == ["endpoint: 'nohost' is not host:port",
                                     "transport: 'unix' is not supported (tcp only)"]

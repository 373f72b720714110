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
        assert {a["state"] for a, _ in got["redis.cpu.time"]} == {  # Redis 6+: main thread
            "sys", "user", "sys_children", "user_children", "sys_main_thread",
            "user_main_thread"} if "used_cpu_sys_main_thread" in info else {
            "sys", "user", "sys_children", "user_children"}
        for _ in range(5):
            await client.get("a")
        assert await rec.scrape_once()
        assert last(sink)["redis.commands.processed"][0][1] >= commands + 5
        assert last(sink)["redis.keyspace.hits"][0][1] >= 5
        batch = sink.batches[-1].message
        resource = Attributes(batch.resource_metrics[0].resource.attributes).as_dict()
        assert resource == {"redis.version": info["redis_version"]}  # the Collector's default
        on, on_sink = make({"endpoint": f"127.0.0.1:{server.port}", "resource_attributes": {
            "server.address": {"enabled": True}, "server.port": {"enabled": True},
            "redis.version": {"enabled": False}}})
        assert await on.scrape_once()
        await on.shutdown()
        resource = Attributes(on_sink.batches[-1].message.resource_metrics[0].resource
                              .attributes).as_dict()
        assert resource == {"server.address": "127.0.0.1", "server.port": str(server.port)}
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


# The Collector's receiver/redisreceiver/metadata.yaml, default-enabled metrics a standalone
# primary reports: name -> (kind, monotonic, unit, double, point attribute keys)
COLLECTOR_DEFAULTS = {
    "redis.uptime": ("sum", True, "s", False, ()),
    "redis.cpu.time": ("sum", True, "s", True, ("state",)),
    "redis.clients.connected": ("sum", False, "{client}", False, ()),
    "redis.clients.max_input_buffer": ("gauge", False, "By", False, ()),
    "redis.clients.max_output_buffer": ("gauge", False, "By", False, ()),
    "redis.clients.blocked": ("sum", False, "{client}", False, ()),
    "redis.keys.expired": ("sum", True, "{event}", False, ()),
    "redis.keys.evicted": ("sum", True, "{key}", False, ()),
    "redis.connections.received": ("sum", True, "{connection}", False, ()),
    "redis.connections.rejected": ("sum", True, "{connection}", False, ()),
    "redis.memory.used": ("gauge", False, "By", False, ()),
    "redis.memory.peak": ("gauge", False, "By", False, ()),
    "redis.memory.rss": ("gauge", False, "By", False, ()),
    "redis.memory.lua": ("gauge", False, "By", False, ()),
    "redis.memory.fragmentation_ratio": ("gauge", False, "1", True, ()),
    "redis.rdb.changes_since_last_save": ("sum", False, "{change}", False, ()),
    "redis.commands": ("gauge", False, "{ops}/s", False, ()),
    "redis.commands.processed": ("sum", True, "{command}", False, ()),
    "redis.net.input": ("sum", True, "By", False, ()),
    "redis.net.output": ("sum", True, "By", False, ()),
    "redis.keyspace.hits": ("sum", True, "{hit}", False, ()),
    "redis.keyspace.misses": ("sum", True, "{miss}", False, ()),
    "redis.latest_fork": ("gauge", False, "us", False, ()),
    "redis.slaves.connected": ("sum", False, "{replica}", False, ()),
    "redis.replication.backlog_first_byte_offset": ("gauge", False, "By", False, ()),
    "redis.replication.offset": ("gauge", False, "By", False, ()),
    "redis.db.keys": ("gauge", False, "{key}", False, ("db",)),
    "redis.db.expires": ("gauge", False, "{key}", False, ("db",)),
    "redis.db.avg_ttl": ("gauge", False, "ms", False, ("db",)),
}


async def test_default_metric_set_is_the_collectors(server: RedisServer) -> None:
    client = aioredis.Redis(host="127.0.0.1", port=server.port)
    await client.set("k", "v")  # a db0 line in INFO keyspace
    await client.aclose()
    rec, sink = make({"endpoint": f"127.0.0.1:{server.port}"})
    try:
        assert await rec.scrape_once()
    finally:
        await rec.shutdown()
    got = {}
    for m in items.metrics(sink.batches[-1].message):
        metric = m.metric
        data = metric.gauge if metric.HasField("gauge") else metric.sum
        doubles = {p.HasField("as_double") for p in data.data_points}
        assert len(doubles) == 1
        keys = {k for p in data.data_points for k in Attributes(p.attributes).as_dict()}
        got[metric.name] = ("gauge" if metric.HasField("gauge") else "sum",
                            metric.HasField("sum") and metric.sum.is_monotonic, metric.unit,
                            doubles.pop(), tuple(sorted(keys)))
    assert got == COLLECTOR_DEFAULTS

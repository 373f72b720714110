"""The nginx receiver against a real nginx's stub_status: values checked against the page
read again by the test right after."""

from __future__ import annotations

import asyncio
import logging
import urllib.request
from typing import Any

import pytest

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.pdata import items
from otelpy.pdata.values import Attributes
from otelpy.receivers.nginx import NginxConfig, factory
from otelpy.receivers.nginx.receiver import NginxReceiver, parse_stub_status
from otelpy.telemetry import Telemetry
from otelpy.testing.nginx import nginx_server
from otelpy.testing.polling import until
from otelpy.testing.process import free_port
from otelpy.testing.sink import SinkConsumer


def make(cfg: dict[str, Any]) -> tuple[NginxReceiver, SinkConsumer]:
    config = NginxConfig.model_validate(cfg)
    assert config.validate_config() == []
    settings = Settings(ComponentID("nginx"), Kind.RECEIVER, logging.getLogger("test.nginx"),
                        Telemetry())
    sink = SinkConsumer()
    rec = factory.create(settings, config, {Signal.METRICS: sink})
    assert isinstance(rec, NginxReceiver)
    return rec, sink


def last(sink: SinkConsumer) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for m in items.metrics(sink.batches[-1].message):
        assert m.metric.HasField("sum")
        for p in m.metric.sum.data_points:
            state = Attributes(p.attributes).as_dict().get("state")
            out[m.metric.name + (f":{state}" if state else "")] = (
                p.as_int, m.metric.sum.is_monotonic)
    return out


def hit(url: str) -> None:
    urllib.request.urlopen(url, timeout=10).close()


def page(url: str) -> dict[str, int]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return parse_stub_status(response.read().decode())


async def test_values_match_stub_status() -> None:
    with nginx_server() as base:
        for _ in range(3):
            await asyncio.to_thread(hit, base + "/ok")
        rec, sink = make({"endpoint": base + "/status"})
        await rec.start()
        try:
            assert await rec.scrape_once()
            # the page counts itself: one request more
            after = await asyncio.to_thread(page, base + "/status")
            got = last(sink)
            assert got["nginx.requests"] == (after["requests"] - 1, True)
            assert got["nginx.requests"][0] >= 4  # 3 x /ok + the scrape
            assert got["nginx.connections_accepted"][0] in (after["accepted"] - 1,
                                                            after["accepted"])
            assert got["nginx.connections_handled"][0] <= after["handled"]
            for state in ("active", "reading", "writing", "waiting"):
                value, monotonic = got[f"nginx.connections_current:{state}"]
                assert not monotonic and value >= 0
            assert got["nginx.connections_current:writing"][0] >= 1  # the scrape itself
        finally:
            await rec.shutdown()


async def test_schedule_toggle_outage() -> None:
    with nginx_server() as base:
        rec, sink = make({"endpoint": base + "/status", "collection_interval": "50ms",
                          "initial_delay": "0s",
                          "metrics": {"nginx.connections_handled": {"enabled": False}}})
        await rec.start()
        try:
            await until(lambda: len(sink.batches) >= 3)
            got = last(sink)
            assert "nginx.connections_handled" not in got and "nginx.requests" in got
        finally:
            await rec.shutdown()
    rec, sink = make({"endpoint": base + "/ok"})  # not stub_status (and nginx is gone)
    await rec.start()
    try:
        assert not await rec.scrape_once()
        assert rec.failures == 1 and sink.batches == []
    finally:
        await rec.shutdown()


async def test_not_stub_status_is_a_counted_failure() -> None:
    with nginx_server() as base:
        rec, sink = make({"endpoint": base + "/ok"})
        await rec.start()
        try:
            assert not await rec.scrape_once()
            assert rec.failures == 1 and sink.batches == []
        finally:
            await rec.shutdown()


def test_parse_and_config() -> None:
    text = ("Active connections: 2 \nserver accepts handled requests\n 10 9 31 \n"
            "Reading: 0 Writing: 1 Waiting: 1 \n")
    assert parse_stub_status(text) == {"active": 2, "accepted": 10, "handled": 9,
                                       "requests": 31, "reading": 0, "writing": 1,
                                       "waiting": 1}
    with pytest.raises(ValueError, match="not a stub_status"):
        parse_stub_status("ok")
    assert NginxConfig.model_validate({"endpoint": f"localhost:{free_port()}"}
                                      ).validate_config()[0].startswith("endpoint:")


# The Collector's receiver/nginxreceiver/metadata.yaml, default-enabled metrics:
# name -> (kind, monotonic, unit, point attribute keys)
COLLECTOR_DEFAULTS = {
    "nginx.requests": ("sum", True, "requests", ()),
    "nginx.connections_accepted": ("sum", True, "connections", ()),
    "nginx.connections_handled": ("sum", True, "connections", ()),
    "nginx.connections_current": ("sum", False, "connections", ("state",)),
}


async def test_default_metric_set_is_the_collectors() -> None:
    with nginx_server() as base:
        rec, sink = make({"endpoint": base + "/status"})
        await rec.start()
        try:
            assert await rec.scrape_once()
        finally:
            await rec.shutdown()
    got = {}
    for m in items.metrics(sink.batches[-1].message):
        metric = m.metric
        data = metric.gauge if metric.HasField("gauge") else metric.sum
        assert all(p.HasField("as_int") and p.start_time_unix_nano for p in data.data_points)
        keys = {k for p in data.data_points for k in Attributes(p.attributes).as_dict()}
        got[metric.name] = ("gauge" if metric.HasField("gauge") else "sum",
                            metric.HasField("sum") and metric.sum.is_monotonic, metric.unit,
                            tuple(sorted(keys)))
    assert got == COLLECTOR_DEFAULTS

"""httpcheck against a real nginx: status classes, duration, errors for a closed port."""

from __future__ import annotations

import logging
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.pdata import items
from otelpy.pdata.values import Attributes
from otelpy.receivers.httpcheck import HttpCheckConfig, factory
from otelpy.receivers.httpcheck.receiver import HttpCheckReceiver
from otelpy.telemetry import Telemetry
from otelpy.testing.nginx import nginx_server
from otelpy.testing.polling import until
from otelpy.testing.process import free_port
from otelpy.testing.sink import SinkConsumer


@pytest.fixture(scope="module")
def nginx() -> Iterator[str]:
    with nginx_server() as base:
        yield base


def make(cfg: dict[str, Any]) -> tuple[HttpCheckReceiver, SinkConsumer]:
    config = HttpCheckConfig.model_validate(cfg)
    assert config.validate_config() == []
    settings = Settings(ComponentID("httpcheck"), Kind.RECEIVER,
                        logging.getLogger("test.httpcheck"), Telemetry())
    sink = SinkConsumer()
    rec = factory.create(settings, config, {Signal.METRICS: sink})
    assert isinstance(rec, HttpCheckReceiver)
    return rec, sink


def points(sink: SinkConsumer, name: str) -> list[dict[str, Any]]:
    out = []
    for batch in sink.batches:
        for m in items.metrics(batch.message):
            if m.metric.name == name:
                data = m.metric.gauge if m.metric.HasField("gauge") else m.metric.sum
                for p in data.data_points:
                    out.append({**Attributes(p.attributes).as_dict(), "value": p.as_int})
    return out


def server_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


async def test_status_classes_match_what_nginx_answers(nginx: str) -> None:
    closed = f"http://127.0.0.1:{free_port()}/"
    rec, sink = make({"targets": [
        {"endpoint": nginx + "/ok", "headers": {"X-Test": "1"}},
        {"endpoints": [nginx + "/teapot", closed], "method": "head"}]})
    await rec.start()
    try:
        await rec.scrape_once()
    finally:
        await rec.shutdown()
    status = points(sink, "httpcheck.status")
    for url in (nginx + "/ok", nginx + "/teapot"):
        code = server_status(url)
        mine = [p for p in status if p["http.url"] == url]
        assert {p["http.status_class"] for p in mine} == {"1xx", "2xx", "3xx", "4xx", "5xx"}
        assert all(p["http.status_code"] == code for p in mine)
        hit = [p["http.status_class"] for p in mine if p["value"] == 1]
        assert hit == [f"{code // 100}xx"]
    assert {p["http.method"] for p in status if "teapot" in p["http.url"]} == {"HEAD"}
    errors = points(sink, "httpcheck.error")
    assert [(p["http.url"], p["value"]) for p in errors] == [(closed, 1)]
    assert "connect" in errors[0]["error.message"].lower()
    durations = points(sink, "httpcheck.duration")
    assert sorted(p["http.url"] for p in durations) == sorted(
        [nginx + "/ok", nginx + "/teapot", closed])
    assert all(0 <= p["value"] < 30_000 for p in durations)


async def test_toggle_and_schedule(nginx: str) -> None:
    rec, sink = make({"targets": [{"endpoint": nginx + "/ok"}],
                      "collection_interval": "50ms", "initial_delay": "0s",
                      "metrics": {"httpcheck.duration": {"enabled": False}}})
    await rec.start()
    try:
        await until(lambda: len(points(sink, "httpcheck.status")) >= 10)
    finally:
        await rec.shutdown()
    assert points(sink, "httpcheck.duration") == []
    assert {p["http.status_code"] for p in points(sink, "httpcheck.status")} == {200}


def test_config_problems() -> None:
    assert HttpCheckConfig().validate_config() == ["targets: no targets configured"]
    cfg = HttpCheckConfig.model_validate({"targets": [{"method": "GET"},
                                                      {"endpoint": "ftp://x"}]})
    assert cfg.validate_config() == [
        "targets::0: no endpoint specified",
        "targets::1: endpoint 'ftp://x' must be an http(s) URL"]


# The Collector's receiver/httpcheckreceiver/metadata.yaml, default-enabled metrics:
# name -> (kind, monotonic, unit, point attribute keys)
COLLECTOR_DEFAULTS = {
    "httpcheck.status": ("sum", False, "1", ("http.method", "http.status_class",
                                             "http.status_code", "http.url")),
    "httpcheck.duration": ("gauge", False, "ms", ("http.url",)),
    "httpcheck.error": ("sum", False, "{error}", ("error.message", "http.url")),
}


async def test_default_metric_set_is_the_collectors(nginx: str) -> None:
    rec, sink = make({"targets": [{"endpoints": [nginx + "/ok",
                                                 f"http://127.0.0.1:{free_port()}/"]}]})
    await rec.start()
    try:
        await rec.scrape_once()
    finally:
        await rec.shutdown()
    got = {}
    for m in items.metrics(sink.batches[-1].message):
        metric = m.metric
        data = metric.gauge if metric.HasField("gauge") else metric.sum
        assert all(p.HasField("as_int") for p in data.data_points)
        if metric.HasField("sum"):
            assert metric.sum.aggregation_temporality == 2  # cumulative
            assert all(0 < p.start_time_unix_nano <= p.time_unix_nano
                       for p in data.data_points)
        keys = {k for p in data.data_points for k in Attributes(p.attributes).as_dict()}
        got[metric.name] = ("gauge" if metric.HasField("gauge") else "sum",
                            metric.HasField("sum") and metric.sum.is_monotonic, metric.unit,
                            tuple(sorted(keys)))
    assert got == COLLECTOR_DEFAULTS

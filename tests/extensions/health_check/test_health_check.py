"""health_check over real HTTP on 127.0.0.1, with a fake host reporting pipeline status."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import pytest

from otelpy.component import ComponentID, Kind, Settings
from otelpy.errors import ComponentStartError
from otelpy.extensions.health_check import HealthCheckConfig, HealthCheckExtension, factory
from otelpy.telemetry import Telemetry
from otelpy.testing.sink import FakeHost


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make(**raw: object) -> HealthCheckExtension:
    settings = Settings(ComponentID("health_check"), Kind.EXTENSION, logging.getLogger("t"),
                        Telemetry())
    ext = factory.create(settings, HealthCheckConfig.model_validate(raw))
    assert isinstance(ext, HealthCheckExtension)
    return ext


@pytest.fixture
async def client() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def get(client: aiohttp.ClientSession, url: str) -> tuple[int, str, str]:
    async with client.get(url) as resp:
        return resp.status, resp.headers.get("Content-Type", ""), await resp.text()


async def test_200_when_every_pipeline_is_ok_503_otherwise(
        client: aiohttp.ClientSession) -> None:
    port = free_port()
    host = FakeHost({"traces": "ok", "metrics/x": "starting"})
    ext = make(endpoint=f"127.0.0.1:{port}")
    await ext.start(host)
    url = f"http://127.0.0.1:{port}/"
    async with client.get(url) as resp:
        assert resp.status == 503
        assert await resp.json() == {"status": "Server not available",
                                     "upSince": "0001-01-01T00:00:00Z", "uptime": ""}
    host.statuses["metrics/x"] = "ok"
    before = datetime.now(UTC)
    async with client.get(url) as resp:
        assert resp.status == 200
        assert resp.content_type == "application/json"
        body = await resp.json()
    assert body["status"] == "Server available"
    up_since = datetime.fromisoformat(body["upSince"].replace("Z", "+00:00"))
    assert abs((up_since - before).total_seconds()) < 1
    assert body["uptime"].endswith("s")
    await asyncio.sleep(0.02)
    async with client.get(url) as resp:
        again = await resp.json()
    assert again["upSince"] == body["upSince"]  # stays while healthy
    host.statuses["traces"] = "error: exporter otlp failed"
    status, _, _ = await get(client, url)
    assert status == 503
    async with client.head(url) as resp:
        assert resp.status == 503
    await ext.shutdown()


async def test_status_path_lists_every_pipeline(client: aiohttp.ClientSession) -> None:
    port = free_port()
    host = FakeHost({"traces": "ok", "logs/files": "starting"})
    ext = make(endpoint=f"127.0.0.1:{port}", path="/health")
    await ext.start(host)
    async with client.get(f"http://127.0.0.1:{port}/health/status") as resp:
        assert resp.status == 503
        assert await resp.json() == {"healthy": False,
                                     "pipelines": {"traces": "ok", "logs/files": "starting"}}
    host.statuses["logs/files"] = "ok"
    async with client.get(f"http://127.0.0.1:{port}/health/status") as resp:
        assert resp.status == 200
        assert (await resp.json())["healthy"] is True
    assert (await get(client, f"http://127.0.0.1:{port}/health"))[0] == 200
    assert (await get(client, f"http://127.0.0.1:{port}/"))[0] == 404
    await ext.shutdown()


async def test_default_path_serves_status_at_slash_status(
        client: aiohttp.ClientSession) -> None:
    port = free_port()
    ext = make(endpoint=f"127.0.0.1:{port}")
    await ext.start(FakeHost({"traces": "ok"}))
    async with client.get(f"http://127.0.0.1:{port}/status") as resp:
        assert resp.status == 200
        assert await resp.json() == {"healthy": True, "pipelines": {"traces": "ok"}}
    await ext.shutdown()


async def test_static_response_bodies(client: aiohttp.ClientSession) -> None:
    port = free_port()
    host = FakeHost({"traces": "ok"})
    ext = make(endpoint=f"127.0.0.1:{port}",
               response_body={"healthy": "I'm OK", "unhealthy": "I'm not well"})
    await ext.start(host)
    assert await get(client, f"http://127.0.0.1:{port}/") == (
        200, "text/plain; charset=utf-8", "I'm OK")
    host.statuses["traces"] = "stopped"
    status, _, text = await get(client, f"http://127.0.0.1:{port}/")
    assert (status, text) == (503, "I'm not well")
    await ext.shutdown()


async def test_taken_port_fails_start_naming_the_endpoint() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        endpoint = f"127.0.0.1:{busy.getsockname()[1]}"
        ext = make(endpoint=endpoint)
        with pytest.raises(ComponentStartError, match=f"cannot listen on {endpoint}"):
            await ext.start(FakeHost())
    await ext.shutdown()


async def test_shutdown_releases_the_port_and_is_idempotent(
        client: aiohttp.ClientSession) -> None:
    ext0 = make(endpoint="127.0.0.1:0")
    await ext0.shutdown()  # safe without start
    port = free_port()
    ext = make(endpoint=f"127.0.0.1:{port}")
    await ext.start(FakeHost({"traces": "ok"}))
    assert ext.port == port
    assert (await get(client, f"http://127.0.0.1:{port}/"))[0] == 200
    await ext.shutdown()
    await ext.shutdown()
    with pytest.raises(aiohttp.ClientConnectionError):
        await get(client, f"http://127.0.0.1:{port}/")
    again = make(endpoint=f"127.0.0.1:{port}")  # the port is free again
    await again.start(FakeHost({"traces": "ok"}))
    assert (await get(client, f"http://127.0.0.1:{port}/"))[0] == 200
    await again.shutdown()


async def test_port_zero_reports_the_bound_port(client: aiohttp.ClientSession) -> None:
    ext = make(endpoint="127.0.0.1:0", check_collector_pipeline={"enabled": True})
    await ext.start(FakeHost({"traces": "ok"}))
    assert ext.port and ext.port > 0
    assert (await get(client, f"http://127.0.0.1:{ext.port}/"))[0] == 200
    await ext.shutdown()


async def test_localhost_endpoint_serves_on_loopback(client: aiohttp.ClientSession) -> None:
    port = free_port()
    ext = make(endpoint=f"localhost:{port}")
    await ext.start(FakeHost({"traces": "ok"}))
    assert (await get(client, f"http://127.0.0.1:{port}/"))[0] == 200
    await ext.shutdown()


def test_defaults_are_the_collectors() -> None:
    cfg = factory.default_config()
    assert isinstance(cfg, HealthCheckConfig)
    assert (cfg.endpoint, cfg.path, cfg.response_body) == ("localhost:13133", "/", None)
    assert cfg.check_collector_pipeline.enabled is False
    assert cfg.check_collector_pipeline.interval == 300.0
    assert cfg.validate_config() == []
    assert factory.kind is Kind.EXTENSION and dict(factory.stability) == {"extension": "beta"}


@pytest.mark.parametrize(
    ("raw", "needle"),
    [({"endpoint": "localhost"}, "must be host:port"),
     ({"endpoint": "localhost:99999"}, "must be host:port"),
     ({"path": "health"}, "must start with /"),
     ({"check_collector_pipeline": {"exporter_failure_threshold": 0}},
      "exporter_failure_threshold"),
     ({"endpoint": "::1:13133"}, "brackets"),
     ({"endpoint": ":13133", "path": "/health"}, None),
     ({"endpoint": "[::1]:13133"}, None)],
    ids=["no-port", "bad-port", "relative-path", "threshold", "ipv6-no-brackets", "valid",
         "valid-ipv6"])
def test_validate_config(raw: dict[str, object], needle: str | None) -> None:
    problems = HealthCheckConfig.model_validate(raw).validate_config()
    if needle is None:
        assert problems == []
    else:
        assert len(problems) == 1 and needle in problems[0]

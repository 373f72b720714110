"""health_check behind TLS and an authenticator; loopback by default; a status API that
never shows URL passwords."""

from __future__ import annotations

import base64
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from otelpy.component import Kind
from otelpy.config.server import Endpoint
from otelpy.errors import ComponentStartError
from otelpy.extensions.health_check import HealthCheckExtension
from otelpy.telemetry import Telemetry
from otelpy.testing.authhost import create_component, extension_host, stop_extensions
from otelpy.testing.certs import write_tls_files
from otelpy.testing.sink import FakeHost

GOOD = {"authorization": "Basic " + base64.b64encode(b"probe:s3cret").decode()}
BAD = {"authorization": "Basic " + base64.b64encode(b"probe:guess").decode()}


@pytest.fixture
async def started() -> AsyncIterator[list[Any]]:
    items: list[Any] = []
    yield items
    for item in reversed(items):
        if isinstance(item, FakeHost):
            await stop_extensions(item)
        else:
            await item.shutdown()


async def _health(telemetry: Telemetry, host: FakeHost, started: list[Any],
                  **cfg: Any) -> HealthCheckExtension:
    ext: HealthCheckExtension = create_component(
        Kind.EXTENSION, "health_check", {"endpoint": "127.0.0.1:0", **cfg}, telemetry)
    started.append(ext)
    await ext.start(host)
    return ext


async def test_both_paths_behind_basic_auth(started: list[Any]) -> None:
    tel = Telemetry()
    host = await extension_host({"basicauth/probes": {"htpasswd": {"inline": "probe:s3cret"}}},
                                tel)
    started.append(host)
    ext = await _health(tel, host, started, auth={"authenticator": "basicauth/probes"})
    base = f"http://127.0.0.1:{ext.port}"
    async with aiohttp.ClientSession() as session:
        for path in ("/", "/status"):
            for headers, code in (({}, 401), (BAD, 401), (GOOD, 200)):
                async with session.get(base + path, headers=headers) as resp:
                    assert resp.status == code, (path, headers)
                    body = await resp.text()
                    if code == 401:
                        assert body == "401 Unauthorized"
                        assert resp.headers["WWW-Authenticate"].startswith("Basic realm=")
                    else:
                        assert "pipelines" in body or "Server available" in body
    assert tel.value("otelpy_extension_auth_failures_total",
                     {"extension": "health_check", "transport": "http"}) == 4


async def test_https_health_check(started: list[Any], tmp_path: Path) -> None:
    certs = write_tls_files(tmp_path)
    ext = await _health(Telemetry(), FakeHost({"traces": "ok"}), started,
                        tls={"cert_file": str(certs.server_cert),
                             "key_file": str(certs.server_key)})
    ctx = ssl.create_default_context(cafile=str(certs.ca))
    async with aiohttp.ClientSession() as session:
        async with session.get(f"https://localhost:{ext.port}/", ssl=ctx) as resp:
            assert resp.status == 200
            assert (await resp.json())["status"] == "Server available"
        with pytest.raises(aiohttp.ClientError):  # plaintext HTTP is not served
            await session.get(f"http://127.0.0.1:{ext.port}/")


async def test_status_api_hides_url_passwords(started: list[Any]) -> None:
    host = FakeHost({"traces": "error: POST https://svc:hunter2@backend:4318/v1/traces "
                               "answered HTTP 500"})
    ext = await _health(Telemetry(), host, started)
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://127.0.0.1:{ext.port}/status") as resp:
            assert resp.status == 503
            body = await resp.json()
    assert body["pipelines"]["traces"] == ("error: POST https://svc:[REDACTED]@backend:4318"
                                           "/v1/traces answered HTTP 500")


async def test_binds_loopback_by_default(started: list[Any]) -> None:
    ext: HealthCheckExtension = create_component(Kind.EXTENSION, "health_check", None,
                                                 Telemetry())
    assert ext._cfg.endpoint == "localhost:13133"
    assert Endpoint.parse(ext._cfg.endpoint).bind_host == "127.0.0.1"
    live = await _health(Telemetry(), FakeHost(), started, endpoint="localhost:0")
    assert {host for host, _ in live._site.addresses} == {"127.0.0.1"}


async def test_missing_authenticator_fails_start(started: list[Any]) -> None:
    ext: HealthCheckExtension = create_component(
        Kind.EXTENSION, "health_check",
        {"endpoint": "127.0.0.1:0", "auth": {"authenticator": "basicauth/x"}}, Telemetry())
    started.append(ext)
    with pytest.raises(ComponentStartError, match=r'^auth::authenticator: extension '
                                                 r'"basicauth/x" is not configured'):
        await ext.start(FakeHost())
    assert not ext._site.running  # nothing left listening

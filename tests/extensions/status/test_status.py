"""The status extension over real HTTP on 127.0.0.1, serving routes a host holds."""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest

from otelpy.component import ComponentID, Kind, Settings
from otelpy.extensions.status import StatusConfig, StatusExtension, factory
from otelpy.statusapi import ApiError, ApiRequest
from otelpy.telemetry import Telemetry
from otelpy.testing.sink import FakeHost


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def served() -> AsyncIterator[tuple[FakeHost, str, aiohttp.ClientSession, Telemetry]]:
    port = free_port()
    telemetry = Telemetry()
    settings = Settings(ComponentID("status"), Kind.EXTENSION, logging.getLogger("t"), telemetry)
    ext = factory.create(settings, StatusConfig.model_validate(
        {"endpoint": f"127.0.0.1:{port}", "max_response_bytes": 2048, "max_request_body": 64}))
    assert isinstance(ext, StatusExtension)
    host = FakeHost()
    await ext.start(host)
    try:
        async with aiohttp.ClientSession() as session:
            yield host, f"http://127.0.0.1:{port}/api", session, telemetry
    finally:
        await ext.shutdown()


async def test_route_added_after_start_is_served_with_query_and_path_params(served) -> None:
    host, base, session, _ = served
    seen: list[ApiRequest] = []

    async def silence(req: ApiRequest) -> object:
        seen.append(req)
        return {"id": req.path_params["id"], "severity": req.values("severity"),
                "range": req.duration("range", 3600, 86400)}

    remove = host.api.add("GET", "/silences/{id}", silence, owner="notify")
    async with session.get(f"{base}/silences/abc?severity=ERROR,WARN&range=90m") as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("application/json")
        assert await resp.json() == {"id": "abc", "severity": ["ERROR", "WARN"], "range": 5400}
    async with session.get(base) as resp:
        assert await resp.json() == {"routes": [
            {"method": "GET", "path": "/api/silences/{id}", "owner": "notify"}]}
    remove()
    async with session.get(f"{base}/silences/abc") as resp:
        assert resp.status == 404
        assert "no API route /api/silences/abc" in (await resp.json())["error"]
    assert len(seen) == 1


async def test_bounds_and_errors_answer_json_with_status(served) -> None:
    host, base, session, telemetry = served

    async def ranged(req: ApiRequest) -> object:
        return {"limit": req.integer("limit", 10, 100)}

    async def boom(req: ApiRequest) -> object:
        raise RuntimeError("bug")

    async def huge(req: ApiRequest) -> object:
        return ["x" * 100] * 100

    async def teapot(req: ApiRequest) -> object:
        raise ApiError(418, "short and stout")

    async def post(req: ApiRequest) -> object:
        return {"got": req.json()}

    for path, handler in (("/r", ranged), ("/boom", boom), ("/huge", huge), ("/tea", teapot)):
        host.api.add("GET", path, handler, owner="t")
    host.api.add("POST", "/post", post, owner="t")
    cases = [
        ("GET", "/r?limit=101", 400, "limit: must be between 1 and 100, got 101"),
        ("GET", "/r?limit=x", 400, "limit: not an integer: 'x'"),
        ("GET", "/boom", 500, "internal error: RuntimeError"),
        ("GET", "/tea", 418, "short and stout"),
        ("GET", "/post", 405, "GET not allowed on /api/post"),
    ]
    for method, path, status, error in cases:
        async with session.request(method, base + path) as resp:
            assert (resp.status, (await resp.json())["error"]) == (status, error), path
    async with session.get(f"{base}/huge") as resp:
        assert resp.status == 507
    async with session.post(f"{base}/post", data=b'{"a": 1}') as resp:
        assert (resp.status, await resp.json()) == (200, {"got": {"a": 1}})
    async with session.post(f"{base}/post", data=b"{") as resp:
        assert resp.status == 400
    async with session.post(f"{base}/post", data=b"x" * 65) as resp:
        assert resp.status == 413
    async with session.get(f"{base}/r?limit=7") as resp:
        assert await resp.json() == {"limit": 7}
    text = telemetry.exposition().decode()
    assert 'otelpy_status_api_requests_total{code="5xx",extension="status"} 2.0' in text
    assert 'otelpy_status_api_requests_total{code="2xx",extension="status"} 2.0' in text


async def test_newer_registration_wins_and_old_remover_leaves_it(served) -> None:
    host, base, session, _ = served

    async def old(req: ApiRequest) -> object:
        return "old"

    async def new(req: ApiRequest) -> object:
        return "new"

    remove_old = host.api.add("GET", "/x", old, owner="a")
    host.api.add("GET", "/x", new, owner="a")
    remove_old()
    async with session.get(f"{base}/x") as resp:
        assert await resp.json() == "new"


def test_bad_paths_are_refused() -> None:
    from otelpy.statusapi import ApiRoutes

    async def h(req: ApiRequest) -> object:
        return None

    for path in ("x", "/x/", ""):
        with pytest.raises(ValueError):
            ApiRoutes().add("GET", path, h, owner="t")


def test_otelpy_process_serves_the_route_index(tmp_path) -> None:
    import json
    import urllib.request

    from otelpy.testing.process import OtelpyProcess, free_ports

    api, grpc, metrics = free_ports(3)
    config = {
        "extensions": {"status": {"endpoint": f"127.0.0.1:{api}"}},
        "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": f"127.0.0.1:{grpc}"}}}},
        "exporters": {"debug": {}},
        "service": {"extensions": ["status"],
                    "telemetry": {"metrics": {"address": f"127.0.0.1:{metrics}"}},
                    "pipelines": {"traces": {"receivers": ["otlp"], "exporters": ["debug"]}}},
    }
    proc = OtelpyProcess(tmp_path, config, extra_ports=[api]).start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{api}/api", timeout=10) as resp:
            assert json.load(resp) == {"routes": []}
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(f"http://127.0.0.1:{api}/api/spans/analytics", timeout=10)
        assert err.value.code == 404
    finally:
        proc.stop()

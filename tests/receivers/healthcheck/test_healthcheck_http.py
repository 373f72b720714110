"""http checks against a local aiohttp server that can be made slow or erroring, and a TLS
server with a self-signed certificate that expires in two days."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web
from harness import make

from otelpy.probes.result import Status
from otelpy.testing.certs import CertificateAuthority
from otelpy.testing.polling import until
from otelpy.testing.process import free_port


@dataclass
class Target:
    url: str
    https: str
    ca_file: Path
    status: int = 200
    delay: float = 0.0
    gate: asyncio.Event = field(default_factory=asyncio.Event)
    seen_headers: list[dict[str, str]] = field(default_factory=list)


@pytest.fixture
async def target(tmp_path: Path) -> AsyncIterator[Target]:
    ca = CertificateAuthority()
    cert, key = ca.issue("localhost", server=True).write(tmp_path, "server")
    ca_file = tmp_path / "ca.crt"
    ca_file.write_bytes(ca.cert_pem)
    plain, tls = free_port(), free_port()
    t = Target(f"http://127.0.0.1:{plain}", f"https://localhost:{tls}", ca_file)
    t.gate.set()

    async def health(request: web.Request) -> web.Response:
        t.seen_headers.append(dict(request.headers))
        await t.gate.wait()
        if t.delay:
            await asyncio.sleep(t.delay)  # the server side of a slow dependency
        return web.json_response({"status": "ok" if t.status == 200 else "down",
                                  "checks": {"db": {"up": t.status == 200}},
                                  "items": [{"state": "ready"}]}, status=t.status)

    async def text(request: web.Request) -> web.Response:
        return web.Response(text="version=1.2.3 build=ok")

    app = web.Application()
    app.router.add_route("*", "/health", health)
    app.router.add_get("/text", text)
    runner = web.AppRunner(app)
    await runner.setup()
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    await web.TCPSite(runner, "127.0.0.1", plain).start()
    await web.TCPSite(runner, "127.0.0.1", tls, ssl_context=ctx).start()
    yield t
    t.gate.set()
    await runner.cleanup()


async def one_run(check: dict[str, object], **extra: object) -> tuple[Status, dict[str, object],
                                                                     str]:
    receiver, _, host = make({"c": {"type": "http", "interval": "1h", **check}}, **extra)
    try:
        await receiver.start(host)
        await until(lambda: receiver.states["c"].last_check_ns != 0, 30)
        state = receiver.states["c"]
        return state.status, dict(state.details), state.message
    finally:
        await receiver.shutdown()


async def test_healthy_with_headers_sent(target: Target) -> None:
    status, details, _ = await one_run({
        "url": target.url + "/health", "headers": {"Authorization": "Bearer s3cret"},
        "json_path": "$.checks.db.up"})
    assert status is Status.HEALTHY
    assert details["status_code"] == 200
    assert target.seen_headers[-1]["Authorization"] == "Bearer s3cret"


@pytest.mark.parametrize(("check", "status", "message"), [
    ({"path": "/health", "status": 500}, Status.CRITICAL, "status 500, expected 2xx"),
    ({"path": "/health", "status": 503, "expected_status_codes": [200, 503]},
     Status.HEALTHY, ""),
    ({"path": "/health", "expected_status_codes": [204]}, Status.CRITICAL,
     "status 200, expected 204"),
    ({"path": "/health", "json_path": "status", "json_value": "ok"}, Status.HEALTHY, ""),
    ({"path": "/health", "status": 299, "json_path": "status", "json_value": "ok"},
     Status.CRITICAL, 'status is "down", expected "ok"'),
    ({"path": "/health", "json_path": "items[0].state", "json_value": "ready"},
     Status.HEALTHY, ""),
    ({"path": "/health", "json_path": "checks.cache"}, Status.CRITICAL,
     "checks.cache is not in the body"),
    ({"path": "/text", "json_path": "status"}, Status.CRITICAL, "body is not JSON"),
    ({"path": "/text", "body_regex": r"version=1\.\d+"}, Status.HEALTHY, ""),
    ({"path": "/text", "body_regex": "build=failed"}, Status.CRITICAL,
     "body does not match 'build=failed'"),
    ({"path": "/health", "method": "POST", "body": "{}"}, Status.HEALTHY, ""),
    ({"path": "/missing"}, Status.CRITICAL, "status 404, expected 2xx"),
], ids=["500", "503-expected", "204-expected", "json-equal", "json-differs", "json-index",
        "json-missing", "not-json", "regex", "regex-miss", "post", "404"])
async def test_answers_judged(target: Target, check: dict[str, object], status: Status,
                              message: str) -> None:
    check = dict(check)
    target.status = int(check.pop("status", 200))  # type: ignore[call-overload]
    got, _, text = await one_run({"url": target.url + str(check.pop("path")), **check})
    assert (got, text) == (status, message)


async def test_slow_answer_is_warning_and_hung_one_failed(target: Target) -> None:
    target.delay = 0.3
    status, details, message = await one_run({"url": target.url + "/health",
                                              "latency_warning": "100ms"})
    assert status is Status.WARNING
    assert details["latency_ms"] >= 300  # type: ignore[operator]
    assert message.endswith("over 100ms")
    target.delay = 0
    target.gate.clear()  # the server never answers
    status, _, message = await one_run({"url": target.url + "/health", "timeout": "500ms"})
    assert (status, message) == (Status.FAILED, "timed out after 0.5s")


async def test_server_down_is_critical() -> None:
    status, _, message = await one_run({"url": f"http://127.0.0.1:{free_port()}/"})
    assert status is Status.CRITICAL
    assert message.startswith("ConnectionRefusedError: ")


async def test_certificate_days_left(target: Target) -> None:
    tls = {"ca_file": str(target.ca_file)}
    status, details, message = await one_run({"url": target.https + "/health", "tls": tls})
    assert status is Status.WARNING  # the test certificate expires in two days (< 14)
    assert 1.9 < details["certificate_days_left"] <= 2.0  # type: ignore[operator]
    assert message.startswith("certificate expires in 2.0 days")
    status, _, _ = await one_run({"url": target.https + "/health", "tls": tls,
                                  "certificate_warning_days": 1})
    assert status is Status.HEALTHY


async def test_certificate_verification(target: Target) -> None:
    status, _, message = await one_run({"url": target.https + "/health"})
    assert status is Status.CRITICAL  # not signed by a CA the system trusts
    assert "certificate verify failed" in message
    status, details, _ = await one_run({"url": target.https + "/health",
                                        "tls": {"insecure_skip_verify": True},
                                        "certificate_warning_days": 0})
    assert status is Status.HEALTHY  # unverified, but the expiry is still read
    assert 1.9 < details["certificate_days_left"] <= 2.0  # type: ignore[operator]


async def test_kept_alive_connection_survives_a_server_restart() -> None:
    """A plain-http GET check reuses its connection between runs; when the server restarts
    (closing it), the next run is healthy again, not a false critical."""
    peers: list[int] = []

    async def ok(request: web.Request) -> web.Response:
        peers.append(request.transport.get_extra_info("peername")[1])  # type: ignore[union-attr]
        return web.Response(text="ok")

    port = free_port()

    async def serve() -> web.AppRunner:
        app = web.Application()
        app.router.add_get("/", ok)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        return runner

    runner = await serve()
    receiver, _, host = make({"c": {"type": "http", "interval": "1h",
                                    "url": f"http://127.0.0.1:{port}/"}})
    try:
        await receiver.start(host)
        await until(lambda: len(peers) == 1, 30)
        assert (await receiver.run_check("c")).status is Status.HEALTHY
        assert peers[1] == peers[0]  # the same client port: the connection was kept
        await runner.cleanup()
        runner = await serve()
        assert (await receiver.run_check("c")).status is Status.HEALTHY
        assert len(peers) == 3 and peers[2] != peers[0]  # a new connection after restart
    finally:
        await receiver.shutdown()
        await runner.cleanup()

"""basicauth timing: an unknown user costs as much as the slowest real one (the decoy), and
bcrypt runs off the event loop: a real otelpy checking a costly bcrypt password keeps
answering other requests meanwhile.

Time bounds are ratios of two durations measured in the same run (both grow together on
a slower machine), never absolute figures."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import statistics
import time
from pathlib import Path
from typing import Any

import aiohttp
import bcrypt

from otelpy.component import Kind
from otelpy.errors import AuthError
from otelpy.extensions.basicauth import BasicAuthServer
from otelpy.telemetry import Telemetry
from otelpy.testing.authhost import create_component
from otelpy.testing.process import OtelpyProcess, free_ports
from otelpy.testing.samples import traces_request
from otelpy.testing.sink import FakeHost


def _basic(user: str, password: str) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def _bcrypt(password: str, cost: int) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(cost)).decode()


async def _refusal_time(ext: BasicAuthServer, user: str) -> float:
    started = time.perf_counter()
    try:
        await ext.authenticate(_basic(user, "wrong"))
    except AuthError:
        return time.perf_counter() - started
    raise AssertionError(f"{user} with a wrong password passed")


async def test_unknown_user_costs_as_much_as_the_slowest_real_one() -> None:
    # the cheap hash comes first: the decoy must still be the costly one
    inline = f"cheap:{_bcrypt('a', 4)}\ndear:{_bcrypt('b', 12)}\nplain:c\n"
    ext: BasicAuthServer = create_component(Kind.EXTENSION, "basicauth",
                                            {"htpasswd": {"inline": inline}}, Telemetry())
    await ext.start(FakeHost())
    try:
        assert ext._users is not None
        assert ext._users.decoy().hashed.startswith(b"$2b$12$")
        known, unknown = [], []
        for _ in range(3):  # interleaved, so both see the same machine load
            known.append(await _refusal_time(ext, "dear"))
            unknown.append(await _refusal_time(ext, "nobody"))
        # same cost, so about equal; a cost-4 decoy would be ~250x faster
        assert statistics.median(unknown) > 0.3 * statistics.median(known), (unknown, known)
    finally:
        await ext.shutdown()


def _config(http: int, metrics: int, users: Path) -> dict[str, Any]:
    return {
        "extensions": {"basicauth": {"htpasswd": {"file": str(users)}}},
        "receivers": {"otlp": {"protocols": {"http": {
            "endpoint": f"127.0.0.1:{http}", "auth": {"authenticator": "basicauth"}}}}},
        "exporters": {"debug": {"verbosity": "basic"}},
        "service": {"extensions": ["basicauth"],
                    "telemetry": {"metrics": {"address": f"127.0.0.1:{metrics}"}},
                    "pipelines": {"traces": {"receivers": ["otlp"], "exporters": ["debug"]}}},
    }


async def test_a_costly_bcrypt_check_does_not_delay_other_requests(tmp_path: Path) -> None:
    users = tmp_path / "users.htpasswd"
    sha = base64.b64encode(hashlib.sha1(b"quick").digest()).decode()
    users.write_text(f"slow:{_bcrypt('costly', 14)}\nfast:{{SHA}}{sha}\n")
    http, metrics = free_ports(2)
    proc = OtelpyProcess(tmp_path / "otelpy", _config(http, metrics, users))
    proc.start()
    url = f"http://127.0.0.1:{http}/v1/traces"
    body = traces_request(1).SerializeToString()
    try:
        async with aiohttp.ClientSession() as session:
            async def post(user: str, password: str) -> tuple[int, float]:
                started = time.perf_counter()
                headers = {"Content-Type": "application/x-protobuf", **_basic(user, password)}
                async with session.post(url, data=body, headers=headers) as resp:
                    await resp.read()
                    return resp.status, time.perf_counter() - started

            assert (await post("fast", "quick"))[0] == 200  # connections warm
            slow = asyncio.create_task(post("slow", "costly"))
            quick: list[tuple[int, float]] = []
            while not slow.done():
                quick.append(await post("fast", "quick"))
            slow_status, slow_took = await slow
    finally:
        proc.stop()
    assert slow_status == 200
    assert {status for status, _ in quick} == {200}
    # the event loop kept answering while bcrypt ran: many requests, none waiting for it
    # (on the loop, the request in flight when the check began would wait all of it)
    assert len(quick) >= 3, quick
    worst = max(took for _, took in quick)
    assert worst < slow_took / 3, (worst, slow_took)

"""basicauth: htpasswd::file is re-read when it changes; a bad file keeps the last users."""

from __future__ import annotations

import base64
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import bcrypt
import pytest

from otelpy.component import Kind, Signal
from otelpy.errors import AuthError
from otelpy.extensions.basicauth import BasicAuthServer
from otelpy.receivers.otlp import OTLPReceiver
from otelpy.telemetry import Telemetry
from otelpy.testing.authhost import create_component, extension_host, stop_extensions
from otelpy.testing.polling import until
from otelpy.testing.samples import traces_request
from otelpy.testing.sink import FakeHost, SinkConsumer


def _bcrypt(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(4)).decode()


def _basic(user: str, password: str) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


async def _passes(ext: BasicAuthServer, user: str, password: str) -> bool:
    try:
        await ext.authenticate(_basic(user, password))
    except AuthError:
        return False
    return True


async def _until_passes(ext: BasicAuthServer, user: str, password: str) -> None:
    await until(lambda: _passes(ext, user, password), what=f"{user}'s password to be accepted")


def _replace(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (the watcher never reads half a file)."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(path)


def _cannot_reload(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "cannot reload" in r.getMessage()]


@pytest.fixture
async def ext(tmp_path: Path) -> AsyncIterator[BasicAuthServer]:
    users = tmp_path / "users.htpasswd"
    users.write_text(f"alice:{_bcrypt('first')}\nbob:{{SHA}}unused\n")
    server = create_component(Kind.EXTENSION, "basicauth",
                              {"htpasswd": {"file": str(users), "inline": "probe:probe-pw"}},
                              Telemetry())
    assert isinstance(server, BasicAuthServer)
    await server.start(FakeHost())
    assert server._watch is not None
    server._watch.interval = 0.02
    yield server
    await server.shutdown()
    await server.shutdown()  # idempotent


async def test_rotated_password_replaces_the_old_one(ext: BasicAuthServer,
                                                     tmp_path: Path) -> None:
    users = tmp_path / "users.htpasswd"
    assert await _passes(ext, "alice", "first")  # now remembered in the cache
    users.write_text(f"alice:{_bcrypt('second')}\ncarol:plain-pw\n")
    await _until_passes(ext, "carol", "plain-pw")
    assert await _passes(ext, "alice", "second")
    assert not await _passes(ext, "alice", "first")  # not even from the cache
    assert not await _passes(ext, "bob", "unused")  # removed from the file
    assert await _passes(ext, "probe", "probe-pw")  # inline users stay


async def test_bad_or_missing_file_keeps_the_last_users(
        ext: BasicAuthServer, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The watcher first shows it is alive (a changed file is picked up); a deleted file
    and then a bad one, each noticed and reported once, keep the last good users."""
    users = tmp_path / "users.htpasswd"
    caplog.set_level(logging.INFO)
    _replace(users, "alice:second\n")
    await _until_passes(ext, "alice", "second")
    assert not await _passes(ext, "alice", "first")
    users.unlink()
    await until(lambda: len(_cannot_reload(caplog)) == 1, what="the deletion to be noticed")
    assert "No such file" in _cannot_reload(caplog)[0]
    assert await _passes(ext, "alice", "second")
    assert not await _passes(ext, "alice", "first")
    _replace(users, "alice:third\n")
    await _until_passes(ext, "alice", "third")
    assert any("loaded again" in r.getMessage() for r in caplog.records)
    _replace(users, "alice:$6$rounds=5000$unsupported\n")
    await until(lambda: len(_cannot_reload(caplog)) == 2, what="the bad file to be noticed")
    assert "htpasswd::file line 1: unsupported hash format $6$" in _cannot_reload(caplog)[1]
    assert await _passes(ext, "alice", "third")
    assert not await _passes(ext, "alice", "second")
    assert len(_cannot_reload(caplog)) == 2  # one per failure streak


async def test_receiver_follows_the_htpasswd_file(tmp_path: Path) -> None:
    """Through a real OTLP/HTTP receiver: the old password is refused after rotation."""
    users = tmp_path / "users.htpasswd"
    users.write_text("alice:first\n")
    telemetry = Telemetry()
    host = await extension_host({"basicauth/server": {"htpasswd": {"file": str(users)}}},
                                telemetry)
    ext = host.extensions[next(iter(host.extensions))]
    assert isinstance(ext, BasicAuthServer) and ext._watch is not None
    ext._watch.interval = 0.02
    sink = SinkConsumer()
    rcv: OTLPReceiver = create_component(
        Kind.RECEIVER, "otlp", {"protocols": {"http": {
            "endpoint": "127.0.0.1:0", "auth": {"authenticator": "basicauth/server"}}}},
        telemetry, {s: sink for s in Signal})
    await rcv.start(host)
    try:
        assert rcv.http is not None
        url = f"http://127.0.0.1:{rcv.http.port}/v1/traces"
        body = traces_request(2).SerializeToString()

        async def post(password: str) -> int:
            headers = {"Content-Type": "application/x-protobuf", **_basic("alice", password)}
            async with aiohttp.ClientSession() as session, session.post(
                    url, data=body, headers=headers) as resp:
                return resp.status

        assert await post("first") == 200
        users.write_text("alice:second\n")
        await _until_passes(ext, "alice", "second")
        assert await post("first") == 401
        assert await post("second") == 200
        assert sink.items[Signal.TRACES] == 4
    finally:
        await rcv.shutdown()
        await stop_extensions(host)

"""basicauth's bcrypt checks observed directly, not timed: ``bcrypt.checkpw`` (looked up on
the ``bcrypt`` module at each call) is wrapped for the test.

* The decoy: a request for an unknown user costs one bcrypt check against the costliest
  hash of the file, exactly like a known user with a wrong password, and is refused even
  when the password matches the decoy.
* Off the event loop: while a bcrypt check is held in progress, a cheap request on the
  same authenticator completes; only then is the bcrypt check let go. Were the check on
  the event loop, the cheap request could not run until the held check gave up.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import threading
from collections.abc import Callable

import bcrypt
import pytest

from otelpy.component import Kind
from otelpy.errors import AuthError
from otelpy.extensions.basicauth import BasicAuthServer
from otelpy.telemetry import Telemetry
from otelpy.testing.authhost import create_component
from otelpy.testing.polling import until
from otelpy.testing.sink import FakeHost

CHEAP = bcrypt.hashpw(b"a", bcrypt.gensalt(4))
DEAR = bcrypt.hashpw(b"b", bcrypt.gensalt(6))  # the costliest entry: the decoy
QUICK_SHA = base64.b64encode(hashlib.sha1(b"quick").digest()).decode()
USERS = f"cheap:{CHEAP.decode()}\ndear:{DEAR.decode()}\nfast:{{SHA}}{QUICK_SHA}\n"


def _basic(user: str, password: str) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


async def _started() -> BasicAuthServer:
    ext: BasicAuthServer = create_component(Kind.EXTENSION, "basicauth",
                                            {"htpasswd": {"inline": USERS}}, Telemetry())
    await ext.start(FakeHost())
    return ext


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[tuple[bytes, bytes]]:
    calls: list[tuple[bytes, bytes]] = []
    real: Callable[[bytes, bytes], bool] = bcrypt.checkpw

    def checkpw(password: bytes, hashed: bytes) -> bool:
        calls.append((password, hashed))
        return real(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", checkpw)
    return calls


async def test_an_unknown_user_costs_one_bcrypt_check_against_the_costliest_hash(
        monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _counting(monkeypatch)
    ext = await _started()
    try:
        with pytest.raises(AuthError):
            await ext.authenticate(_basic("dear", "wrong"))
        assert calls == [(b"wrong", DEAR)]  # a known user: its own hash
        calls.clear()
        with pytest.raises(AuthError):
            await ext.authenticate(_basic("nobody", "wrong"))
        assert calls == [(b"wrong", DEAR)]  # an unknown one: the same work
        calls.clear()
        for _ in range(2):  # the decoy's own password: checked every time, never let in
            with pytest.raises(AuthError):
                await ext.authenticate(_basic("nobody", "b"))
        assert calls == [(b"b", DEAR), (b"b", DEAR)]
        calls.clear()
        await ext.authenticate(_basic("cheap", "a"))  # a known user's own check is untouched
        assert calls == [(b"a", CHEAP)]
    finally:
        await ext.shutdown()


async def test_a_bcrypt_check_in_progress_does_not_hold_up_a_cheap_request(
        monkeypatch: pytest.MonkeyPatch) -> None:
    entered, release = threading.Event(), threading.Event()
    released_in_time: list[bool] = []
    real: Callable[[bytes, bytes], bool] = bcrypt.checkpw

    def held(password: bytes, hashed: bytes) -> bool:
        entered.set()
        # on the event loop this blocks every other request until the deadline passes
        released_in_time.append(release.wait(20))
        return real(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", held)
    ext = await _started()
    try:
        slow = asyncio.create_task(ext.authenticate(_basic("dear", "b")))
        await until(entered.is_set, 30, "the bcrypt check to begin")
        assert not slow.done()
        await ext.authenticate(_basic("fast", "quick"))  # {SHA}: checked inline
        release.set()
        await asyncio.wait_for(slow, 30)  # passes: the right password
    finally:
        release.set()
        await ext.shutdown()
    assert released_in_time == [True], "the cheap request waited for the bcrypt check"

"""basicauth: htpasswd formats, header parsing, the slow-hash cache, the client side."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import bcrypt
import pytest

from otelpy.component import Kind
from otelpy.errors import AuthError, ComponentStartError
from otelpy.extensions.basicauth import BasicAuthClient, BasicAuthConfig, BasicAuthServer
from otelpy.extensions.basicauth.htpasswd import md5_crypt
from otelpy.telemetry import Telemetry
from otelpy.testing.authhost import create_component
from otelpy.testing.sink import FakeHost

PASSWORD = "pa:ss wörd"  # a colon and non-ASCII: only the first colon splits


def _basic(user: str, password: str) -> dict[str, str]:
    pair = f"{user}:{password}".encode()
    return {"authorization": "Basic " + base64.b64encode(pair).decode()}


def _ssha(password: str) -> str:
    salt = os.urandom(4)
    digest = hashlib.sha1(password.encode() + salt).digest()
    return "{SSHA}" + base64.b64encode(digest + salt).decode()


def _openssl_apr1(password: str) -> str:
    out = subprocess.run(["openssl", "passwd", "-apr1", "-salt", "s4ltS4lt", password],
                         capture_output=True, text=True, check=True, timeout=30)
    return out.stdout.strip()


HASHES = {
    "bcrypt-2y": lambda p: bcrypt.hashpw(p.encode(), bcrypt.gensalt(4)).decode().replace(
        "$2b$", "$2y$"),
    "bcrypt-2b": lambda p: bcrypt.hashpw(p.encode(), bcrypt.gensalt(4)).decode(),
    "apr1": _openssl_apr1,
    "md5-crypt": lambda p: md5_crypt(p.encode(), b"abcdefgh", b"$1$").decode(),
    "sha": lambda p: "{SHA}" + base64.b64encode(hashlib.sha1(p.encode()).digest()).decode(),
    "ssha": _ssha,
    "plain": lambda p: p,
}


@pytest.fixture
async def server() -> AsyncIterator[Any]:
    started: list[BasicAuthServer] = []

    async def build(htpasswd: dict[str, Any]) -> BasicAuthServer:
        ext = create_component(Kind.EXTENSION, "basicauth", {"htpasswd": htpasswd},
                               Telemetry())
        assert isinstance(ext, BasicAuthServer)
        await ext.start(FakeHost())
        started.append(ext)
        return ext

    yield build
    for ext in started:
        await ext.shutdown()


async def _passes(ext: BasicAuthServer, headers: dict[str, str]) -> bool:
    try:
        await ext.authenticate(headers)
    except AuthError as exc:
        assert exc.challenge == 'Basic realm="otelpy", charset="UTF-8"'
        return False
    return True


@pytest.mark.parametrize("kind", list(HASHES))
async def test_every_hash_format(server: Any, kind: str) -> None:
    ext = await server({"inline": f"alice:{HASHES[kind](PASSWORD)}\n"})
    assert await _passes(ext, _basic("alice", PASSWORD))
    assert not await _passes(ext, _basic("alice", PASSWORD + "x"))
    assert not await _passes(ext, _basic("alice", ""))
    assert not await _passes(ext, _basic("bob", PASSWORD))


def test_md5_crypt_matches_openssl() -> None:
    assert md5_crypt(b"secret", b"abcdefgh") == b"$apr1$abcdefgh$h9FWgUz3n9YxylKLlR5SQ/"
    assert _openssl_apr1("x y") == md5_crypt(b"x y", b"s4ltS4lt").decode()


@pytest.mark.parametrize("header", [
    {}, {"authorization": "Bearer abc"}, {"authorization": "Basic %%%"},
    {"authorization": "Basic " + base64.b64encode(b"no-colon").decode()},
], ids=["missing", "other-scheme", "bad-base64", "no-colon"])
async def test_malformed_headers_are_refused(server: Any, header: dict[str, str]) -> None:
    ext = await server({"inline": "alice:plain"})
    assert not await _passes(ext, header)


async def test_file_and_inline_merge(server: Any, tmp_path: Path) -> None:
    path = tmp_path / "users.htpasswd"
    path.write_text("# team\nalice:{SHA}" + base64.b64encode(
        hashlib.sha1(b"a-pass").digest()).decode() + "\n\nbob:old\n")
    ext = await server({"file": str(path), "inline": "bob:new"})
    assert await _passes(ext, _basic("alice", "a-pass"))
    assert await _passes(ext, _basic("bob", "new"))
    assert not await _passes(ext, _basic("bob", "old"))


async def test_successful_slow_checks_are_remembered(server: Any) -> None:
    ext = await server({"inline": "alice:" + HASHES["bcrypt-2b"]("pw")})
    assert await _passes(ext, _basic("alice", "pw"))
    assert len(ext._verified) == 1
    assert await _passes(ext, _basic("alice", "pw"))
    assert not await _passes(ext, _basic("alice", "pw2"))  # failures are never cached
    assert len(ext._verified) == 1
    assert b"pw" not in b"".join(ext._verified)


async def test_overlong_password_is_refused_not_an_error(server: Any) -> None:
    ext = await server({"inline": "alice:" + HASHES["bcrypt-2y"]("pw")})
    assert not await _passes(ext, _basic("alice", "p" * 200))  # bcrypt 5 raises past 72 B
    assert await _passes(ext, _basic("alice", "pw"))


@pytest.mark.parametrize(("htpasswd", "message"), [
    ({"inline": "alice:$6$salt$hash"}, r"^htpasswd::inline line 1: unsupported hash format "
                                       r"\$6\$"),
    ({"inline": "# c\nno-colon-here"}, r"^htpasswd::inline line 2: expected user:hash$"),
    ({"inline": "alice:$2y$10$salt$hash"}, r"^htpasswd::inline line 1: malformed bcrypt hash$"),
    ({"inline": "# only comments"}, r"^htpasswd: no users defined$"),
    ({"file": "/nonexistent/users"}, r"^htpasswd::file: cannot read '/nonexistent/users'"),
], ids=["sha512-crypt", "no-colon", "bad-bcrypt", "empty", "missing-file"])
async def test_start_errors_name_key_and_line(htpasswd: dict[str, Any], message: str) -> None:
    ext = create_component(Kind.EXTENSION, "basicauth", {"htpasswd": htpasswd}, Telemetry())
    with pytest.raises(ComponentStartError, match=message) as info:
        await ext.start(FakeHost())
    assert "salt$hash" not in str(info.value)  # never the hash itself


def test_client_sends_basic_credentials() -> None:
    ext = create_component(Kind.EXTENSION, "basicauth",
                           {"client_auth": {"username": "alice", "password": PASSWORD}},
                           Telemetry())
    assert isinstance(ext, BasicAuthClient)
    headers = {"authorization": "Bearer x", "x-other": "1"}
    ext.apply_headers(headers)
    assert headers == {**_basic("alice", PASSWORD), "x-other": "1"}


@pytest.mark.parametrize(("doc", "problem"), [
    ({}, "no credential source provided"),
    ({"htpasswd": {"inline": "a:b"}, "client_auth": {"username": "a"}}, "only one of"),
    ({"htpasswd": {}}, "htpasswd: set file or inline"),
    ({"client_auth": {"username": "a:b"}}, "must not contain ':'"),
], ids=["nothing", "both", "empty-htpasswd", "colon-in-user"])
def test_config_rules(doc: dict[str, Any], problem: str) -> None:
    problems = BasicAuthConfig.model_validate(doc).validate_config()
    assert len(problems) == 1 and problem in problems[0]


def test_passwords_are_secrets() -> None:
    cfg = BasicAuthConfig.model_validate({"client_auth": {"username": "u", "password": "pw-1"}})
    dumped = cfg.model_dump(mode="json")
    assert dumped["client_auth"] == {"username": "u", "password": "[REDACTED]"}
    inline = BasicAuthConfig.model_validate({"htpasswd": {"inline": "u:pw-2"}})
    assert inline.model_dump(mode="json")["htpasswd"]["inline"] == "[REDACTED]"

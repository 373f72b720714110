"""bearertokenauth: server-side checks, client-side header, token files and rotation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from otelpy.component import Kind
from otelpy.errors import AuthError, ComponentStartError
from otelpy.extensions.bearertokenauth import BearerTokenAuth, BearerTokenAuthConfig
from otelpy.telemetry import Telemetry
from otelpy.testing.authhost import create_component
from otelpy.testing.polling import until
from otelpy.testing.sink import FakeHost


@pytest.fixture
async def make() -> AsyncIterator[Any]:
    started: list[BearerTokenAuth] = []

    async def build(**doc: Any) -> BearerTokenAuth:
        ext: BearerTokenAuth = create_component(Kind.EXTENSION, "bearertokenauth", doc,
                                                Telemetry())
        await ext.start(FakeHost())
        started.append(ext)
        return ext

    yield build
    for ext in started:
        await ext.shutdown()
        await ext.shutdown()  # idempotent


async def _passes(ext: BearerTokenAuth, headers: dict[str, str]) -> bool:
    try:
        await ext.authenticate(headers)
    except AuthError:
        return False
    return True


@pytest.mark.parametrize(("headers", "ok"), [
    ({"authorization": "Bearer s3cret"}, True),
    ({"authorization": "Bearer s3cret "}, False),
    ({"authorization": "bearer s3cret"}, False),
    ({"authorization": "Bearer s3cre"}, False),
    ({"authorization": "s3cret"}, False),
    ({"x-other": "Bearer s3cret"}, False),
    ({}, False),
], ids=["exact", "trailing-space", "scheme-case", "prefix", "no-scheme", "other-header", "none"])
async def test_server_accepts_exactly_scheme_and_token(make: Any, headers: dict[str, str],
                                                       ok: bool) -> None:
    ext = await make(token="s3cret")
    assert await _passes(ext, headers) is ok


async def test_refusal_carries_challenge_but_not_the_token(make: Any) -> None:
    ext = await make(token="s3cret")
    with pytest.raises(AuthError) as info:
        await ext.authenticate({"authorization": "Bearer guess-0001"})
    assert info.value.challenge == 'Bearer realm="otelpy"'
    assert "s3cret" not in str(info.value) and "guess-0001" not in str(info.value)


async def test_tokens_custom_header_and_empty_scheme(make: Any) -> None:
    ext = await make(tokens=["old-one", "new-one"], header="X-Api-Key", scheme="")
    assert await _passes(ext, {"x-api-key": "old-one"})
    assert await _passes(ext, {"x-api-key": "new-one"})
    assert not await _passes(ext, {"x-api-key": "Bearer new-one"})
    headers: dict[str, str] = {"x-api-key": "mine"}
    ext.apply_headers(headers)
    assert headers == {"x-api-key": "old-one"}


async def test_client_sets_scheme_and_token(make: Any) -> None:
    ext = await make(token="abc", scheme="Token")
    headers = {"content-type": "application/x-protobuf"}
    ext.apply_headers(headers)
    assert headers == {"content-type": "application/x-protobuf", "authorization": "Token abc"}


async def test_token_file_is_read_and_rotated(make: Any, tmp_path: Path,
                                             caplog: pytest.LogCaptureFixture) -> None:
    """The watcher first shows it is alive (a changed file is picked up), then that a
    deleted file, which it notices and reports once, keeps the last token."""
    token_file = tmp_path / "token"
    token_file.write_text("first-token\n")
    ext = await make(filename=str(token_file))
    assert ext._watch is not None
    ext._watch.interval = 0.02
    assert await _passes(ext, {"authorization": "Bearer first-token"})
    token_file.write_text("second-token-longer")
    await _until_passes(ext, "second-token-longer")
    assert not await _passes(ext, {"authorization": "Bearer first-token"})
    headers: dict[str, str] = {}
    ext.apply_headers(headers)
    assert headers == {"authorization": "Bearer second-token-longer"}
    # a deleted file: the watcher reports it, and the last token stays in use
    token_file.unlink()
    await until(lambda: _cannot_reload(caplog), what="the watcher to notice the deletion")
    assert await _passes(ext, {"authorization": "Bearer second-token-longer"})
    assert len(_cannot_reload(caplog)) == 1 and "No such file" in _cannot_reload(caplog)[0]
    # and the watcher goes on: a new file is picked up
    token_file.write_text("third-token")
    await _until_passes(ext, "third-token")
    assert not await _passes(ext, {"authorization": "Bearer second-token-longer"})


def _cannot_reload(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "cannot reload" in r.getMessage()]


async def _until_passes(ext: BearerTokenAuth, token: str) -> None:
    await until(lambda: _passes(ext, {"authorization": f"Bearer {token}"}),
                what=f"token {token!r} to be accepted")


async def test_empty_token_file_authenticates_nobody(make: Any, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("  \n")
    ext = await make(filename=str(token_file))
    assert not await _passes(ext, {"authorization": "Bearer "})
    assert not await _passes(ext, {"authorization": "Bearer"})


async def test_unreadable_token_file_fails_start(tmp_path: Path) -> None:
    ext = create_component(Kind.EXTENSION, "bearertokenauth",
                           {"filename": str(tmp_path / "missing")}, Telemetry())
    with pytest.raises(ComponentStartError, match=r"^filename: cannot read '.*missing'"):
        await ext.start(FakeHost())
    await ext.shutdown()


@pytest.mark.parametrize(("doc", "problem"), [
    ({}, "no bearer token provided"),
    ({"token": "a", "filename": "f"}, "token and filename are mutually exclusive"),
    ({"token": "a", "tokens": ["b"]}, "token and tokens are mutually exclusive"),
    ({"token": "a", "header": " "}, "header: must not be empty"),
], ids=["nothing", "token-and-file", "token-and-tokens", "empty-header"])
def test_config_rules(doc: dict[str, Any], problem: str) -> None:
    problems = BearerTokenAuthConfig.model_validate(doc).validate_config()
    assert len(problems) == 1 and problem in problems[0]


def test_token_is_a_secret() -> None:
    cfg = BearerTokenAuthConfig.model_validate({"token": "zzz-secret", "tokens": []})
    assert "zzz-secret" not in repr(cfg)
    assert cfg.model_dump(mode="json")["token"] == "[REDACTED]"

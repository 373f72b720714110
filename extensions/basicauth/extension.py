"""The basicauth extension: :class:`BasicAuthServer` (checks ``Authorization: Basic``
against htpasswd users) and :class:`BasicAuthClient` (sends it).

Slow hashes (bcrypt, MD5-crypt) are checked in a worker thread, at most
:data:`SLOW_CHECKS` at a time, so the event loop never waits on them; a successful
check is remembered (as a keyed digest, never the password) so a client sending the
same credentials costs one HMAC per request afterwards. Unknown users are checked
against a decoy hash as slow as the real ones, so timing does not reveal which users
exist.

``htpasswd.file`` is checked every :data:`HTPASSWD_POLL` seconds and re-read when it
changes; a file that cannot be read or parsed keeps the previous users (WARNING once).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import os
from collections import OrderedDict
from collections.abc import Mapping, MutableMapping
from functools import partial

from otelpy.auth.watched import WatchedFiles, read_limited
from otelpy.component import ComponentBase, Host, Settings
from otelpy.errors import AuthError, ComponentStartError
from otelpy.extensions.basicauth.config import ClientAuthSettings, HtpasswdSettings
from otelpy.extensions.basicauth.htpasswd import Htpasswd, HtpasswdError

SLOW_CHECKS = 2  # concurrent bcrypt/MD5-crypt checks
CACHE_SIZE = 1024  # remembered successful (user, password) pairs
CHALLENGE = 'Basic realm="otelpy", charset="UTF-8"'
HTPASSWD_POLL = 1.0  # seconds between two looks at htpasswd.file


class _FileError(Exception):
    """htpasswd::file cannot be read; the message names the key."""


def _load_users(cfg: HtpasswdSettings) -> Htpasswd:
    """The users of ``file`` then ``inline`` (inline wins). Raises _FileError or
    HtpasswdError naming the key (and line) at fault."""
    users = Htpasswd()
    if cfg.file:
        try:
            text = read_limited(cfg.file).decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            why = (exc.strerror or str(exc)) if isinstance(exc, OSError) else "not UTF-8 text"
            raise _FileError(f"htpasswd::file: cannot read {cfg.file!r}: {why}") from None
        users.add(text, "htpasswd::file")
    if cfg.inline:
        users.add(cfg.inline.reveal(), "htpasswd::inline")
    if not len(users):
        raise HtpasswdError("htpasswd: no users defined")
    return users


def _credentials(headers: Mapping[str, str]) -> tuple[str, bytes]:
    """``(user, password)`` from the Authorization header; AuthError when absent/malformed."""
    value = headers.get("authorization")
    if value is None:
        raise AuthError("missing authorization header", CHALLENGE)
    scheme, _, encoded = value.strip().partition(" ")
    if scheme.lower() != "basic":
        raise AuthError("authorization header is not Basic", CHALLENGE)
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise AuthError("authorization header is not valid base64", CHALLENGE) from None
    user, sep, password = decoded.partition(b":")
    if not sep:
        raise AuthError("authorization header has no user:password pair", CHALLENGE)
    return user.decode("utf-8", "replace"), password


class BasicAuthServer(ComponentBase):
    """A :class:`~otelpy.auth.ServerAuthenticator` over htpasswd users."""

    def __init__(self, settings: Settings, cfg: HtpasswdSettings) -> None:
        self._cfg = cfg
        self._logger = settings.logger
        self._users: Htpasswd | None = None
        self._key = os.urandom(32)
        self._verified: OrderedDict[bytes, None] = OrderedDict()
        self._slow = asyncio.Semaphore(SLOW_CHECKS)
        self._watch = (WatchedFiles([cfg.file], partial(_load_users, cfg), self._use,
                                    settings.logger, HTPASSWD_POLL,
                                    what=f"htpasswd::file {cfg.file!r}",
                                    errors=(_FileError, HtpasswdError))
                       if cfg.file else None)

    def _use(self, users: Htpasswd) -> None:
        self._users = users
        self._verified.clear()  # a password taken out must not pass from the cache

    async def start(self, host: Host) -> None:
        """Load the users (and watch htpasswd::file); ComponentStartError naming the key
        and line at fault."""
        try:
            if self._watch is not None:
                await self._watch.start()
            else:
                self._use(await asyncio.to_thread(_load_users, self._cfg))
        except (_FileError, HtpasswdError) as exc:
            raise ComponentStartError(str(exc)) from None

    async def shutdown(self) -> None:
        """Stop watching htpasswd::file; idempotent."""
        if self._watch is not None:
            await self._watch.stop()

    async def authenticate(self, headers: Mapping[str, str]) -> None:
        """Pass for a known user with the right password; raises AuthError otherwise."""
        users = self._users
        if users is None:
            raise AuthError("basicauth is not started", CHALLENGE)
        user, password = _credentials(headers)
        real = users.entry(user)
        entry = real if real is not None else users.decoy()
        if not entry.slow:
            ok = entry.check(password)
        else:
            digest = hmac.new(self._key, user.encode() + b"\x00" + password,
                              hashlib.sha256).digest()
            if real is not None and digest in self._verified:
                self._verified.move_to_end(digest)
                return
            async with self._slow:
                ok = await asyncio.to_thread(entry.check, password)
            if ok and real is not None and users is self._users:  # not reloaded meanwhile
                self._verified[digest] = None
                if len(self._verified) > CACHE_SIZE:
                    self._verified.popitem(last=False)
        if not ok or real is None:
            raise AuthError("unknown user or wrong password", CHALLENGE)


class BasicAuthClient(ComponentBase):
    """A :class:`~otelpy.auth.ClientAuthenticator` sending ``Authorization: Basic``."""

    def __init__(self, cfg: ClientAuthSettings) -> None:
        password = cfg.password.reveal() if cfg.password else ""
        pair = f"{cfg.username}:{password}".encode()
        self._value = "Basic " + base64.b64encode(pair).decode("ascii")

    def apply_headers(self, headers: MutableMapping[str, str]) -> None:
        headers["authorization"] = self._value

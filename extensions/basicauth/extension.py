"""The basicauth extension: :class:`BasicAuthServer` (checks ``Authorization: Basic``
against htpasswd users) and :class:`BasicAuthClient` (sends it).

Slow hashes (bcrypt, MD5-crypt) are checked in a worker thread, at most
:data:`SLOW_CHECKS` at a time, so the event loop never waits on them; a successful
check is remembered (as a keyed digest, never the password) so a client sending the
same credentials costs one HMAC per request afterwards. Unknown users are checked
against a decoy hash as slow as the real ones, so timing does not reveal which users
exist.
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

from otelpy.component import ComponentBase, Host, Settings
from otelpy.errors import AuthError, ComponentStartError
from otelpy.extensions.basicauth.config import ClientAuthSettings, HtpasswdSettings
from otelpy.extensions.basicauth.htpasswd import Htpasswd, HtpasswdError

SLOW_CHECKS = 2  # concurrent bcrypt/MD5-crypt checks
CACHE_SIZE = 1024  # remembered successful (user, password) pairs
CHALLENGE = 'Basic realm="otelpy", charset="UTF-8"'


def _read_text(path: str) -> str:
    with open(path, encoding="utf-8") as fh:
        return fh.read()


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

    async def start(self, host: Host) -> None:
        """Load the users; ComponentStartError naming the key and line at fault."""
        users = Htpasswd()
        try:
            if self._cfg.file:
                try:
                    text = await asyncio.to_thread(_read_text, self._cfg.file)
                except (OSError, UnicodeDecodeError) as exc:
                    why = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
                    raise ComponentStartError(
                        f"htpasswd::file: cannot read {self._cfg.file!r}: {why}") from None
                users.add(text, "htpasswd::file")
            if self._cfg.inline:
                users.add(self._cfg.inline.reveal(), "htpasswd::inline")
        except HtpasswdError as exc:
            raise ComponentStartError(str(exc)) from None
        if not len(users):
            raise ComponentStartError("htpasswd: no users defined")
        self._users = users
        self._verified.clear()

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
            if ok and real is not None:
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

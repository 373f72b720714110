"""Apache htpasswd entries and password checks.

Supported entry formats (``user:hash`` per line; blank lines and ``#`` comments
ignored): bcrypt (``$2y$``, ``$2b$``, ``$2a$``, via the ``bcrypt`` package), Apache MD5
(``$apr1$``) and MD5-crypt (``$1$``), ``{SHA}`` and ``{SSHA}`` (salted SHA-1), and plain
text. Any other ``$id$`` crypt format is refused when parsed, never mistaken for a
plain password. Every comparison is constant-time. Without the ``bcrypt`` package
(a dependency), only bcrypt entries are refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

try:
    import bcrypt
except ImportError:  # pragma: no cover - a dependency; only bcrypt entries need it
    bcrypt = None  # type: ignore[assignment]

__all__ = ["Htpasswd", "HtpasswdError", "md5_crypt"]

_ITOA64 = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_CRYPT_ID = re.compile(r"^\$[0-9a-z]+\$")
_BCRYPT = ("$2y$", "$2b$", "$2a$")
_BCRYPT_RE = re.compile(r"^\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}$")
_MD5 = ("$apr1$", "$1$")


class HtpasswdError(ValueError):
    """A line could not be understood; the message names the source and line, never the
    hash or password."""


def _to64(value: int, count: int) -> bytes:
    out = bytearray()
    for _ in range(count):
        out.append(_ITOA64[value & 0x3F])
        value >>= 6
    return bytes(out)


def md5_crypt(password: bytes, salt: bytes, magic: bytes = b"$apr1$") -> bytes:
    """The MD5-crypt hash (``$1$``, or Apache's ``$apr1$`` variant) of ``password``."""
    salt = salt[:8]
    alt = hashlib.md5(password + salt + password, usedforsecurity=False).digest()
    ctx = bytearray(password + magic + salt)
    for n in range(len(password), 0, -16):
        ctx += alt[:min(16, n)]
    n = len(password)
    while n:
        ctx += b"\x00" if n & 1 else password[:1]
        n >>= 1
    final = hashlib.md5(bytes(ctx), usedforsecurity=False).digest()
    for i in range(1000):
        step = (password if i & 1 else final) + (salt if i % 3 else b"")
        step += (password if i % 7 else b"") + (final if i & 1 else password)
        final = hashlib.md5(step, usedforsecurity=False).digest()
    out = b"".join(_to64(final[a] << 16 | final[b] << 8 | final[c], 4)
                   for a, b, c in ((0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5)))
    return magic + salt + b"$" + out + _to64(final[11], 2)


@dataclass(frozen=True)
class _Entry:
    kind: str  # bcrypt | md5 | sha | ssha | plain
    hashed: bytes

    @property
    def slow(self) -> bool:
        """Expensive to check (bcrypt, MD5-crypt): run off the event loop, cache hits."""
        return self.kind in ("bcrypt", "md5")

    def check(self, password: bytes) -> bool:
        if self.kind == "bcrypt":
            try:
                return bcrypt.checkpw(password, self.hashed)
            except ValueError:  # e.g. a password over bcrypt's 72-byte limit (bcrypt >= 5)
                return False
        if self.kind == "md5":
            magic = b"$apr1$" if self.hashed.startswith(b"$apr1$") else b"$1$"
            salt = self.hashed[len(magic):].split(b"$", 1)[0]
            return hmac.compare_digest(md5_crypt(password, salt, magic), self.hashed)
        if self.kind == "sha":
            digest = base64.b64encode(hashlib.sha1(password, usedforsecurity=False).digest())
            return hmac.compare_digest(digest, self.hashed)
        if self.kind == "ssha":
            raw = base64.b64decode(self.hashed)
            digest, salt = raw[:20], raw[20:]
            mine = hashlib.sha1(password + salt, usedforsecurity=False).digest()
            return hmac.compare_digest(mine, digest)
        return hmac.compare_digest(password, self.hashed)


def _entry(hashed: str, where: str) -> _Entry:
    if hashed.startswith(_BCRYPT):
        if bcrypt is None:  # pragma: no cover - bcrypt is a dependency
            raise HtpasswdError(f"{where}: bcrypt hashes need the bcrypt package")
        if not _BCRYPT_RE.match(hashed):
            raise HtpasswdError(f"{where}: malformed bcrypt hash")
        return _Entry("bcrypt", hashed.encode())
    if hashed.startswith(_MD5):
        return _Entry("md5", hashed.encode())
    if hashed.startswith("{SHA}"):
        return _Entry("sha", hashed[5:].encode())
    if hashed.startswith("{SSHA}"):
        try:
            if len(base64.b64decode(hashed[6:], validate=True)) <= 20:
                raise ValueError
        except ValueError:
            raise HtpasswdError(f"{where}: malformed {{SSHA}} hash") from None
        return _Entry("ssha", hashed[6:].encode())
    m = _CRYPT_ID.match(hashed)
    if m:
        raise HtpasswdError(f"{where}: unsupported hash format {m.group(0)} (supported: "
                            "bcrypt $2y$/$2b$/$2a$, $apr1$, $1$, {SHA}, {SSHA}, plain text)")
    return _Entry("plain", hashed.encode())


class Htpasswd:
    """Users and their password hashes."""

    def __init__(self) -> None:
        self._users: dict[str, _Entry] = {}

    def add(self, text: str, source: str) -> None:
        """Add the entries of one htpasswd document (a later duplicate user wins).

        Raises HtpasswdError naming ``source`` and the line of the first bad entry.
        """
        for number, line in enumerate(text.splitlines(), start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            user, sep, hashed = line.partition(":")
            if not sep or not user:
                raise HtpasswdError(f"{source} line {number}: expected user:hash")
            self._users[user] = _entry(hashed, f"{source} line {number}")

    def __len__(self) -> int:
        return len(self._users)

    def entry(self, user: str) -> _Entry | None:
        return self._users.get(user)

    def decoy(self) -> _Entry:
        """An entry to check unknown users against, as slow as the slowest real one, so
        timing does not reveal whether a user exists."""
        bcrypts = [e for e in self._users.values() if e.kind == "bcrypt"]
        if bcrypts:  # the highest cost: "$2y$NN$..."
            return max(bcrypts, key=lambda e: int(e.hashed[4:6]))
        slow = [e for e in self._users.values() if e.slow]
        return slow[0] if slow else _Entry("plain", b"\x00decoy")

"""The bearertokenauth extension: a server and a client authenticator in one.

Server side, a request passes when its ``header`` equals ``<scheme> <token>`` for one
of the configured tokens, compared in constant time against every token. Client side,
``header: <scheme> <token>`` (the first token) is set on every request. With
``filename`` the token is read at start and re-read when the file changes.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, MutableMapping

from otelpy.auth.watched import WatchedFile
from otelpy.component import ComponentBase, Host, Settings
from otelpy.errors import AuthError, ComponentStartError
from otelpy.extensions.bearertokenauth.config import BearerTokenAuthConfig


class BearerTokenAuth(ComponentBase):
    """Implements :class:`~otelpy.auth.ServerAuthenticator` and
    :class:`~otelpy.auth.ClientAuthenticator`."""

    def __init__(self, settings: Settings, cfg: BearerTokenAuthConfig) -> None:
        problems = cfg.validate_config()
        if problems:
            raise ValueError("; ".join(problems))
        self._cfg = cfg
        self._logger = settings.logger
        self._header = cfg.header.strip().lower()
        self._challenge = f'{cfg.scheme} realm="otelpy"' if cfg.scheme else ""
        tokens = [cfg.token.reveal()] if cfg.token else [t.reveal() for t in cfg.tokens]
        self._expected: list[bytes] = []
        self._client_value = ""
        self._started = False  # refuse every request until started (fail closed)
        self._set_tokens(tokens)
        self._watch = (WatchedFile(cfg.filename, self._token_file_changed, settings.logger)
                       if cfg.filename else None)

    def _set_tokens(self, tokens: list[str]) -> None:
        prefix = f"{self._cfg.scheme} " if self._cfg.scheme else ""
        # empty tokens never authenticate anyone
        self._expected = [(prefix + t).encode() for t in tokens if t]
        self._client_value = prefix + tokens[0] if tokens else prefix

    def _token_file_changed(self, data: bytes) -> None:
        self._set_tokens([data.decode("utf-8", "replace").strip()])

    async def start(self, host: Host) -> None:
        """Read ``filename`` (when set) and watch it; ComponentStartError if unreadable."""
        if self._watch is not None:
            try:
                await self._watch.start()
            except OSError as exc:
                raise ComponentStartError(
                    f"filename: cannot read {self._cfg.filename!r}: {exc.strerror or exc}"
                ) from None
        self._started = True

    async def shutdown(self) -> None:
        if self._watch is not None:
            await self._watch.stop()

    # -- server side ---------------------------------------------------------------------
    async def authenticate(self, headers: Mapping[str, str]) -> None:
        """Pass when the header holds an accepted token; raises AuthError otherwise (and
        always before :meth:`start`)."""
        if not self._started:
            raise AuthError("bearertokenauth is not started", self._challenge)
        value = headers.get(self._header)
        if value is None:
            raise AuthError(f"missing {self._header} header", self._challenge)
        presented = value.encode("utf-8", "replace")
        matched = False
        for expected in self._expected:  # no early exit: time does not tell which matched
            matched |= hmac.compare_digest(presented, expected)
        if not matched:
            raise AuthError(f"{self._header} holds no accepted token", self._challenge)

    # -- client side ---------------------------------------------------------------------
    def apply_headers(self, headers: MutableMapping[str, str]) -> None:
        headers[self._header] = self._client_value

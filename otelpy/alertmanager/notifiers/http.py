"""What HTTP notifiers share: one :class:`~otelpy.httpclient.HTTPClient`, the
``http_config`` authorization headers, JSON bodies, and a rate limit per integration."""

from __future__ import annotations

import base64
import json
from typing import Any

from yarl import URL

from otelpy import __version__
from otelpy.alertmanager.config import HTTPConfig
from otelpy.clock import Clock
from otelpy.httpclient import HTTPClient, Reply

__all__ = ["JSONPoster", "RateLimit"]


class RateLimit:
    """At most ``per_second`` requests a second (0 = unlimited): callers wait their turn."""

    def __init__(self, per_second: float, clock: Clock) -> None:
        self._gap = 1.0 / per_second if per_second > 0 else 0.0
        self._clock = clock
        self._next = 0.0
        self.waited = 0

    async def acquire(self) -> None:
        if not self._gap:
            return
        now = self._clock.monotonic()
        slot = max(now, self._next)
        self._next = slot + self._gap
        if slot > now:
            self.waited += 1
            await self._clock.sleep(slot - now)


def auth_headers(cfg: HTTPConfig | None) -> dict[str, str]:
    if cfg is None:
        return {}
    if cfg.basic_auth is not None:
        pair = f"{cfg.basic_auth.username}:{cfg.basic_auth.password.reveal()}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode()}
    if cfg.authorization is not None:
        return {"Authorization": f"{cfg.authorization.type} "
                                 f"{cfg.authorization.credentials.reveal()}"}
    if cfg.bearer_token:
        return {"Authorization": f"Bearer {cfg.bearer_token.reveal()}"}
    return {}


class JSONPoster:
    """POSTs JSON to one URL (a secret: never logged; errors show it without its query)."""

    def __init__(self, client: HTTPClient, url: str, http: HTTPConfig | None,
                 limit: RateLimit, headers: dict[str, str] | None = None) -> None:
        self._client = client
        self._url = URL(url)
        self._headers = {"Content-Type": "application/json",
                         "User-Agent": f"otelpy/{__version__}", **auth_headers(http),
                         **(headers or {})}
        self._limit = limit
        # webhook URLs carry their credentials in the path (Slack): messages show the host only
        self._shown = f"{self._url.scheme}://{self._url.host}/<secret path>"

    async def post(self, body: Any) -> Reply:
        await self._limit.acquire()
        data = json.dumps(body, separators=(",", ":")).encode()
        return await self._client.send("POST", self._url, data, self._headers, self._shown)

    async def post_to(self, url: str, body: Any) -> Reply:
        """POST to another URL of the same API (its path is shown in errors: APIs whose
        credentials travel in headers, as Opsgenie's)."""
        await self._limit.acquire()
        target = URL(url)
        data = json.dumps(body, separators=(",", ":")).encode()
        shown = f"{target.scheme}://{target.host}{target.path}"
        return await self._client.send("POST", target, data, self._headers, shown)

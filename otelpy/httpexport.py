"""An HTTP client for exporters that POST their own payloads (InfluxDB line protocol,
Datadog series): one aiohttp session with the ``HTTPClientSettings`` connection pool, TLS
(with reload), client authenticator and headers, and the Collector's mapping of answers to
errors.

:meth:`HTTPExportClient.post` returns the status and (at most 64 KiB of) the body of a
2xx answer; it raises :class:`~otelpy.errors.RetryableError` for connection errors, 429,
502, 503 and 504 (``retry_after`` from Retry-After on 429/503), and 5xx when asked, and
:class:`~otelpy.errors.PermanentError` for any other status. Messages never contain
credentials (URL user info is redacted; headers are never shown).
"""

from __future__ import annotations

import email.utils
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from yarl import URL

from otelpy.auth import ClientAuthenticator, with_auth_headers
from otelpy.component import Host, Settings
from otelpy.config.client import HTTPClientSettings
from otelpy.config.redact import redact_url_userinfo
from otelpy.errors import PermanentError, RetryableError
from otelpy.security import client_authenticator, http_client_tls
from otelpy.tlsreload import TLSReloader

__all__ = ["HTTPAnswer", "HTTPExportClient", "parse_retry_after"]

_MAX_RESPONSE = 64 * 1024
_THROTTLE = frozenset({429, 503})
_RETRYABLE = frozenset({429, 502, 503, 504})


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: delta-seconds (fractions accepted) or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


@dataclass(frozen=True)
class HTTPAnswer:
    status: int
    body: bytes


class HTTPExportClient:
    """POSTs bodies to URLs of one exporter. ``start`` creates the session (no connection
    yet); ``close`` is idempotent."""

    def __init__(self, cfg: HTTPClientSettings, settings: Settings,
                 retry_server_errors: bool = False) -> None:
        self._cfg = cfg
        self._settings = settings
        self._retry_5xx = retry_server_errors
        self._session: aiohttp.ClientSession | None = None
        self._tls: TLSReloader[ssl.SSLContext] | None = None
        self._auth: ClientAuthenticator | None = None
        self._options: dict[str, Any] = {}

    async def start(self, host: Host, https: bool) -> None:
        if self._session is not None:
            return
        cfg = self._cfg
        self._auth = client_authenticator(cfg.auth, host, self._settings.logger,
                                          plaintext=not https)
        context: ssl.SSLContext | None = None
        if https:
            self._tls = await http_client_tls(cfg.tls, self._settings,
                                              on_change=self._use_context)
            context = self._tls.current
            self._use_context(context)
            if cfg.tls.server_name_override:
                self._options["server_hostname"] = cfg.tls.server_name_override
        connector = aiohttp.TCPConnector(
            limit=cfg.max_idle_conns, limit_per_host=cfg.max_conns_per_host,
            keepalive_timeout=cfg.idle_conn_timeout or None, ttl_dns_cache=300,
            ssl=context if context is not None else True)
        self._session = aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=None),
            read_bufsize=cfg.read_buffer_size or 2**16, auto_decompress=True,
            skip_auto_headers=("Accept-Encoding",))

    def _use_context(self, context: ssl.SSLContext) -> None:
        self._options["ssl"] = context

    async def close(self) -> None:
        if self._tls is not None:
            await self._tls.stop()
            self._tls = None
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    async def post(self, url: URL, body: bytes, headers: Mapping[str, str]) -> HTTPAnswer:
        """One POST; the answer when 2xx, else the mapped error (see the module doc)."""
        session = self._session
        shown = redact_url_userinfo(str(url.with_query(None)))
        if session is None:
            raise RetryableError("exporter is not started", may_have_arrived=False)
        sent = dict(headers) if self._auth is None else with_auth_headers(headers, self._auth)
        try:
            async with session.post(url, data=body, headers=sent, **self._options) as resp:
                status = resp.status
                payload = await resp.content.read(_MAX_RESPONSE)
                retry_after = resp.headers.get("Retry-After")
        except (aiohttp.ClientError, OSError) as exc:
            unsent = isinstance(exc, aiohttp.ClientConnectorError)
            raise RetryableError(f"POST {shown}: {type(exc).__name__}: "
                                 f"{redact_url_userinfo(str(exc))}",
                                 may_have_arrived=not unsent) from None
        if 200 <= status < 300:
            return HTTPAnswer(status, payload)
        text = payload[:300].decode("utf-8", "replace").strip()
        msg = f"POST {shown} answered HTTP {status}" + (f": {text}" if text else "")
        if status in _RETRYABLE or (self._retry_5xx and status >= 500):
            hint = parse_retry_after(retry_after) if status in _THROTTLE else None
            raise RetryableError(msg, retry_after=hint,
                                 may_have_arrived=status not in _THROTTLE)
        raise PermanentError(msg)

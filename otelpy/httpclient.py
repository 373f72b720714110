"""The HTTP client of exporters: one aiohttp session configured from ``HTTPClientSettings``.

:class:`HTTPClient` owns a keep-alive connection pool (``max_idle_conns``,
``max_conns_per_host``, ``idle_conn_timeout``), TLS for ``https://`` URLs (reloaded as
``tls::reload_interval`` says; new connections use new certificates), the client
authenticator named by ``auth`` (applied per request), and maps transport failures to
:class:`~otelpy.errors.RetryableError`: a refused connection certainly did not deliver the
request (``may_have_arrived=False``); a timeout or a reset may have. The attempt's
:class:`~otelpy.errors.SendProgress` (when the exporter helper set one) is marked written
as the request's headers go out, so a timeout while still connecting is known unsent.
Answers are returned as :class:`Reply` (status, at most 64 KiB of body, headers); what a
status means is the exporter's business (see :func:`status_error` for the usual mapping).
"""

from __future__ import annotations

import email.utils
import ssl
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from multidict import CIMultiDictProxy
from yarl import URL

from otelpy.auth import ClientAuthenticator, with_auth_headers
from otelpy.component import Host, Settings
from otelpy.config.client import HTTPClientSettings
from otelpy.config.redact import redact_url_userinfo
from otelpy.errors import PermanentError, RetryableError, SendProgress, send_progress
from otelpy.security import client_authenticator, http_client_tls
from otelpy.tlsreload import TLSReloader

__all__ = ["HTTPClient", "Reply", "parse_retry_after", "read_limited", "status_error"]

MAX_RESPONSE = 64 * 1024


async def _headers_sent(session: aiohttp.ClientSession, ctx: Any,
                        params: aiohttp.TraceRequestHeadersSentParams) -> None:
    progress = ctx.trace_request_ctx
    if isinstance(progress, SendProgress):
        progress.written = True


_PROGRESS = aiohttp.TraceConfig()
_PROGRESS.on_request_headers_sent.append(_headers_sent)
_PROGRESS.freeze()


@dataclass(frozen=True)
class Reply:
    """An HTTP answer: status, the start of the body, headers."""

    status: int
    body: bytes
    headers: CIMultiDictProxy[str]

    @property
    def retry_after(self) -> float | None:
        """The ``Retry-After`` header in seconds, when present and readable."""
        return parse_retry_after(self.headers.get("Retry-After"))


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


def status_error(what: str, reply: Reply, retryable: frozenset[int] | None = None,
                 detail: str | None = None) -> RetryableError | PermanentError:
    """The error of a non-2xx answer: retryable for 5xx and 429 (or the ``retryable``
    statuses when given), with ``Retry-After`` honoured on 429 and 503; permanent
    otherwise. A 429 or 503 certainly did not take the data. ``detail`` (default: the
    start of the body) is appended to the message when not empty."""
    status = reply.status
    text = reply.body[:256].decode("utf-8", "replace").strip() if detail is None else detail
    msg = f"{what} answered HTTP {status}" + (f": {text}" if text else "")
    is_retryable = status in retryable if retryable is not None else \
        (status == 429 or 500 <= status < 600)
    if is_retryable:
        throttled = status in (429, 503)
        return RetryableError(msg, retry_after=reply.retry_after if throttled else None,
                              may_have_arrived=not throttled)
    return PermanentError(msg)


class HTTPClient:
    """A started-on-demand aiohttp session for the URLs of one exporter."""

    def __init__(self, cfg: HTTPClientSettings, settings: Settings, urls: Iterable[URL]) -> None:
        self.cfg = cfg
        self.settings = settings
        self._https = any(u.scheme == "https" for u in urls)
        self._auth: ClientAuthenticator | None = None
        self._options: dict[str, Any] = {}
        self._session: aiohttp.ClientSession | None = None
        self._tls: TLSReloader[ssl.SSLContext] | None = None

    @property
    def started(self) -> bool:
        return self._session is not None

    async def start(self, host: Host) -> None:
        """Create the session (no connection is made yet); resolves ``auth`` and reads
        the TLS files. Idempotent."""
        if self._session is not None:
            return
        cfg = self.cfg
        self._auth = client_authenticator(cfg.auth, host, self.settings.logger,
                                          plaintext=not self._https)
        if self._https:
            self._tls = await http_client_tls(cfg.tls, self.settings, on_change=self._use)
            self._use(self._tls.current)
            if cfg.tls.server_name_override:
                self._options["server_hostname"] = cfg.tls.server_name_override
        context = self._tls.current if self._tls is not None else None
        connector = aiohttp.TCPConnector(
            limit=cfg.max_idle_conns, limit_per_host=cfg.max_conns_per_host,
            keepalive_timeout=cfg.idle_conn_timeout or None, ttl_dns_cache=300,
            ssl=context if context is not None else True)
        self._session = aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=None),
            read_bufsize=cfg.read_buffer_size or 2**16, auto_decompress=True,
            skip_auto_headers=("Accept-Encoding",), trace_configs=[_PROGRESS])

    async def close(self) -> None:
        """Stop TLS reloading and close the session. Idempotent."""
        if self._tls is not None:
            tls, self._tls = self._tls, None
            await tls.stop()
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    def _use(self, context: ssl.SSLContext) -> None:
        # per request: aiohttp pools connections per context
        self._options["ssl"] = context

    def headers(self, base: Mapping[str, str]) -> Mapping[str, str]:
        """``base`` with the authenticator's credentials (when ``auth`` is set)."""
        return base if self._auth is None else with_auth_headers(base, self._auth)

    async def request(self, method: str, url: URL, body: bytes | None,
                      headers: Mapping[str, str], shown: str | None = None) -> Reply:
        """One request; raises RetryableError when it could not be completed (not
        started, connection refused, reset, ...). Credentials are added here. Messages
        name the URL as ``shown`` (default: without user info and query; pass a name when
        the whole URL is a secret, as a Slack webhook's)."""
        session = self._session
        shown = shown or redact_url_userinfo(str(url.with_query(None)))
        if session is None:
            raise RetryableError(f"{method} {shown}: the exporter is not started",
                                 may_have_arrived=False)
        progress = send_progress.get()
        if progress is not None:
            progress.written = False
        try:
            async with session.request(method, url, data=body, headers=self.headers(headers),
                                       trace_request_ctx=progress, **self._options) as resp:
                payload = await read_limited(resp)
                return Reply(resp.status, payload, resp.headers)
        except (aiohttp.ClientError, OSError) as exc:
            unsent = isinstance(exc, aiohttp.ClientConnectorError)  # no byte was written
            detail = type(exc).__name__ if shown != redact_url_userinfo(
                str(url.with_query(None))) else f"{type(exc).__name__}: " \
                f"{redact_url_userinfo(str(exc))}"  # the error text may repeat the URL
            raise RetryableError(f"{method} {shown}: {detail}",
                                 may_have_arrived=not unsent) from None


    async def send(self, method: str, url: URL, body: bytes | None,
                   headers: Mapping[str, str], shown: str | None = None) -> Reply:
        """:meth:`request`, then :func:`status_error` for any answer but 2xx (the usual
        mapping: 429 and 5xx retryable, other statuses permanent)."""
        reply = await self.request(method, url, body, headers, shown)
        if 200 <= reply.status < 300:
            return reply
        raise status_error(f"{method} {shown or redact_url_userinfo(str(url.with_query(None)))}",
                           reply)


async def read_limited(resp: aiohttp.ClientResponse) -> bytes:
    """The response body, at most 64 KiB (the rest is discarded with the connection)."""
    length = resp.content_length
    if length is not None and length <= MAX_RESPONSE:
        return await resp.read() if length else b""
    chunks: list[bytes] = []
    size = 0
    while size < MAX_RESPONSE:
        chunk = await resp.content.read(MAX_RESPONSE - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)

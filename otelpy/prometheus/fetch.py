"""HTTP side of scraping: one client per scrape config (auth, TLS, redirects, size limit).

Requests carry Prometheus's headers (``Accept`` preferring OpenMetrics, ``Accept-Encoding:
gzip``, ``X-Prometheus-Scrape-Timeout-Seconds``). Every way a target can fail — refused,
timed out, an HTTP status other than 200, a body over ``body_size_limit``, bytes that are
not UTF-8 — raises :class:`ScrapeFailed` with a one-line reason.
"""

from __future__ import annotations

import asyncio
import base64
import ssl
from pathlib import Path

import aiohttp

from otelpy.prometheus.scrapeconfig import PromTLSConfig, ScrapeConfig, body_limit
from otelpy.prometheus.targets import Target

__all__ = ["Fetcher", "ScrapeFailed", "ACCEPT"]

ACCEPT = ("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
          "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
_TLS_VERSIONS = {"TLS10": ssl.TLSVersion.TLSv1, "TLS11": ssl.TLSVersion.TLSv1_1,
                 "TLS12": ssl.TLSVersion.TLSv1_2, "TLS13": ssl.TLSVersion.TLSv1_3}


class ScrapeFailed(Exception):
    """A scrape that produced no samples; the message says why."""

    def __init__(self, message: str, post_relabel: int = 0) -> None:
        super().__init__(message)
        self.post_relabel = post_relabel


def ssl_context(tls: PromTLSConfig) -> ssl.SSLContext:
    """The client TLS context of a ``tls_config``; raises OSError / ssl.SSLError."""
    ctx = ssl.create_default_context(cafile=tls.ca_file or None)
    if tls.insecure_skip_verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if tls.cert_file:
        ctx.load_cert_chain(tls.cert_file, tls.key_file or None)
    if tls.min_version:
        ctx.minimum_version = _TLS_VERSIONS[tls.min_version]
    if tls.max_version:
        ctx.maximum_version = _TLS_VERSIONS[tls.max_version]
    return ctx


class Fetcher:
    """Fetches targets of one scrape config; :meth:`close` releases its connections."""

    def __init__(self, job: ScrapeConfig, user_agent: str) -> None:
        self.job = job
        self.limit = body_limit(job.body_size_limit)
        self.user_agent = user_agent
        self._ssl = ssl_context(job.tls_config) if _uses_tls(job) else None
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=0, ssl=self._ssl if self._ssl else True)
            # no cookie jar: Prometheus's scrape client keeps no cookies (and a jar costs a
            # lookup per scrape)
            self._session = aiohttp.ClientSession(connector=connector, auto_decompress=True,
                                                  cookie_jar=aiohttp.DummyCookieJar())
        return self._session

    async def _authorization(self) -> str | None:
        job = self.job
        if job.basic_auth is not None:
            auth = job.basic_auth
            password = auth.password.reveal() if auth.password else ""
            if auth.password_file:
                password = (await _read_secret(auth.password_file)).strip()
            raw = f"{auth.username}:{password}".encode()
            return "Basic " + base64.b64encode(raw).decode()
        if job.authorization is not None:
            authz = job.authorization
            creds = authz.credentials.reveal() if authz.credentials else ""
            if authz.credentials_file:
                creds = (await _read_secret(authz.credentials_file)).strip()
            return f"{authz.type} {creds}"
        if job.bearer_token:
            return f"Bearer {job.bearer_token.reveal()}"
        if job.bearer_token_file:
            return f"Bearer {(await _read_secret(job.bearer_token_file)).strip()}"
        return None

    async def fetch(self, target: Target) -> tuple[str, str]:
        """The body and Content-Type of one scrape; raises ScrapeFailed."""
        headers = {"Accept": ACCEPT, "Accept-Encoding": "gzip", "User-Agent": self.user_agent,
                   "X-Prometheus-Scrape-Timeout-Seconds": f"{target.timeout:g}"}
        try:
            authz = await self._authorization()
            if authz:
                headers["Authorization"] = authz
            timeout = aiohttp.ClientTimeout(total=target.timeout)
            async with self._client().get(target.url, headers=headers, timeout=timeout,
                                          allow_redirects=self.job.follow_redirects) as resp:
                if resp.status != 200:
                    raise ScrapeFailed(f"server returned HTTP status {resp.status} "
                                       f"{resp.reason or ''}".rstrip())
                data = await self._body(resp)
                content_type = resp.headers.get("Content-Type", "")
        except TimeoutError:
            raise ScrapeFailed(f"context deadline exceeded (timeout {target.timeout:g}s)"
                               ) from None
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            raise ScrapeFailed(f"{type(exc).__name__}: {exc}") from None
        try:
            return data.decode("utf-8"), content_type
        except UnicodeDecodeError as exc:
            raise ScrapeFailed(f"body is not valid UTF-8 at byte {exc.start}") from None

    async def _body(self, resp: aiohttp.ClientResponse) -> bytes:
        if not self.limit:
            return await resp.read()
        data = await resp.content.read(self.limit + 1)
        if len(data) > self.limit:
            raise ScrapeFailed(f"body size limit exceeded (more than {self.limit} bytes)")
        return data

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _uses_tls(job: ScrapeConfig) -> bool:
    tls = job.tls_config
    return job.scheme == "https" or bool(tls.ca_file or tls.cert_file or
                                         tls.insecure_skip_verify)


async def _read_secret(path: str) -> str:
    return await asyncio.to_thread(Path(path).read_text)

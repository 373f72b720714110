"""HTTP(S) probe: status code, body regex or JSON path condition, certificate days left,
latency. Imports aiohttp (already loaded by the engine's servers)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import ssl
from datetime import UTC, datetime
from typing import Any

import aiohttp
from yarl import URL

from otelpy.clock import Clock
from otelpy.probes.certdates import not_after
from otelpy.probes.config import HttpProbeSettings
from otelpy.probes.result import ProbeResult, Status
from otelpy.tlsbuild import client_ssl_context

__all__ = ["HttpProbe", "json_at"]

_MISSING = object()
_TOKEN = re.compile(r"\[(\d+)\]|([^.\[\]]+)")


def json_at(doc: Any, path: str) -> Any:
    """The value at a dotted ``path`` (``$.a.b``, ``a[0].c``) in ``doc``, or a sentinel
    (not None: null is a value) when it is not there."""
    node = doc
    for index, key in _TOKEN.findall(path.removeprefix("$")):
        if index:
            i = int(index)
            if not isinstance(node, list) or i >= len(node):
                return _MISSING
            node = node[i]
        elif isinstance(node, dict) and key in node:
            node = node[key]
        else:
            return _MISSING
    return node


_PEEK_CONTEXT = ssl.create_default_context()
_PEEK_CONTEXT.check_hostname = False
_PEEK_CONTEXT.verify_mode = ssl.CERT_NONE  # only reads the expiry: the request verifies


async def _certificate_expiry(url: URL) -> datetime | None:
    """The expiry of the certificate ``url``'s server presents (a TLS handshake of its own:
    aiohttp hands small answers back after releasing their connection)."""
    host, port = url.host or "localhost", url.port or 443
    _, writer = await asyncio.open_connection(host, port, ssl=_PEEK_CONTEXT,
                                              server_hostname=host)
    try:
        sslobj = writer.get_extra_info("ssl_object")
        der = sslobj.getpeercert(binary_form=True) if sslobj is not None else None
        return not_after(der) if der else None
    finally:
        writer.close()
        with contextlib.suppress(OSError, ssl.SSLError):
            await writer.wait_closed()


_KEEPALIVE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class HttpProbe:
    """One request per check. A plain-http GET, HEAD or OPTIONS check keeps its connection
    open between runs (a server that closed it meanwhile, e.g. restarted, is retried once
    on a new connection by aiohttp, as RFC 9112 allows for idempotent requests): at 1,000
    checks a second, connecting anew was the largest cost. Any other check, and every
    https check (so a renewed certificate or reloaded client TLS is used at once), makes
    a fresh connection per run."""

    def __init__(self, settings: HttpProbeSettings, clock: Clock, where: str) -> None:
        self.settings = settings
        self._clock = clock
        self._ssl: ssl.SSLContext | None = None
        if settings.url.startswith("https://") and settings.tls is not None:
            self._ssl = client_ssl_context(settings.tls, where)
        self._regex = re.compile(settings.body_regex) if settings.body_regex else None
        self._session: aiohttp.ClientSession | None = None
        self._keepalive = settings.url.startswith("http://") and \
            settings.method.upper() in _KEEPALIVE_METHODS

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(ssl=self._ssl if self._ssl is not None else True,
                                             force_close=not self._keepalive, limit=0)
            self._session = aiohttp.ClientSession(connector=connector, auto_decompress=True)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def check(self) -> ProbeResult:
        """Critical when the server cannot be reached (refused, TLS verification, reset)."""
        try:
            return await self._check()
        except (aiohttp.ClientError, OSError) as exc:
            return ProbeResult(Status.CRITICAL, {}, f"{type(exc).__name__}: {exc}")

    async def _check(self) -> ProbeResult:
        s = self.settings
        headers = {k: v.reveal() for k, v in s.headers.items()}
        start = self._clock.monotonic()
        async with self._client().request(
                s.method, s.url, headers=headers, data=s.body.encode() if s.body else None,
                allow_redirects=s.follow_redirects,
                timeout=aiohttp.ClientTimeout(total=None)) as response:
            body = await response.content.read(s.max_body_bytes) \
                if self._regex or s.json_path else b""
        elapsed = self._clock.monotonic() - start
        days = None
        if response.url.scheme == "https":
            expiry = await _certificate_expiry(response.url)
            now = datetime.fromtimestamp(self._clock.time_ns() / 1e9, UTC)
            days = (expiry - now).total_seconds() / 86400.0 if expiry is not None else None
        details: dict[str, Any] = {"status_code": response.status,
                                   "latency_ms": round(elapsed * 1000, 3)}
        findings = self._judge_status(response.status)
        findings += self._judge_body(body)
        if days is not None:
            details["certificate_days_left"] = round(days, 3)
            if 0 < days < s.certificate_warning_days:
                findings.append((Status.WARNING, f"certificate expires in {days:.1f} days"))
        if s.latency_warning and elapsed > s.latency_warning:
            findings.append((Status.WARNING, f"answered in {elapsed * 1000:.0f}ms, over "
                                             f"{s.latency_warning * 1000:.0f}ms"))
        return ProbeResult.worst(findings, details)

    def _judge_status(self, code: int) -> list[tuple[Status, str]]:
        expected = self.settings.expected_status_codes
        if (code in expected) if expected else 200 <= code < 300:
            return []
        want = ", ".join(map(str, expected)) if expected else "2xx"
        return [(Status.CRITICAL, f"status {code}, expected {want}")]

    def _judge_body(self, body: bytes) -> list[tuple[Status, str]]:
        s = self.settings
        out: list[tuple[Status, str]] = []
        text = body.decode("utf-8", "replace")
        if self._regex is not None and not self._regex.search(text):
            out.append((Status.CRITICAL, f"body does not match {s.body_regex!r}"))
        if s.json_path:
            try:
                value = json_at(json.loads(text), s.json_path)
            except ValueError:
                return out + [(Status.CRITICAL, "body is not JSON")]
            if value is _MISSING:
                out.append((Status.CRITICAL, f"{s.json_path} is not in the body"))
            elif s.json_value is not None and value != s.json_value:
                out.append((Status.CRITICAL, f"{s.json_path} is {json.dumps(value)[:100]}, "
                                             f"expected {json.dumps(s.json_value)[:100]}"))
            elif s.json_value is None and not value:
                out.append((Status.CRITICAL, f"{s.json_path} is {json.dumps(value)[:100]}"))
        return out

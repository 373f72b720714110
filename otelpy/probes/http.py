"""HTTP(S) probe: status code, body regex or JSON path condition, certificate days left,
latency, on the lean HTTP/1.1 client of :mod:`otelpy.probes.http1`."""

from __future__ import annotations

import json
import re
import ssl
from datetime import UTC, datetime
from typing import Any

from yarl import URL

from otelpy.clock import Clock
from otelpy.probes.certdates import not_after
from otelpy.probes.config import HttpProbeSettings
from otelpy.probes.http1 import (
    Connection,
    HttpProtocolError,
    Response,
    open_connection,
    request_bytes,
)
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


_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_MAX_REDIRECTS = 10
_KEEPALIVE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_DEFAULT_TLS: list[ssl.SSLContext] = []


def _default_tls() -> ssl.SSLContext:
    """System CAs, hostname checked: one context for every probe without tls settings."""
    if not _DEFAULT_TLS:
        _DEFAULT_TLS.append(ssl.create_default_context())
    return _DEFAULT_TLS[0]


def _origin(url: URL) -> tuple[str, str, int]:
    return url.scheme, url.host or "", url.port or (443 if url.scheme == "https" else 80)


def _request(method: str, url: URL, headers: dict[str, str], body: bytes) -> bytes:
    host = url.raw_host or ""
    if ":" in host:
        host = f"[{host}]"
    if not url.is_default_port():
        host = f"{host}:{url.port}"
    return request_bytes(method, url.raw_path_qs or "/", host, headers, body)


class HttpProbe:
    """One request per run on the lean client (:mod:`otelpy.probes.http1`). A plain-http
    GET, HEAD or OPTIONS check keeps its connection open between runs (a kept connection
    the server closed meanwhile, e.g. restarted, is retried once on a new one when it had
    answered nothing, as RFC 9112 allows for idempotent requests): at 1,000 checks a
    second, connecting anew was the largest cost. Any other check, and every https check
    (so a renewed certificate or reloaded client TLS is used at once), makes a fresh
    connection per run; an https run reads the certificate's expiry from that connection.
    Redirects (301/302/303/307/308, at most 10) are followed on one-off connections."""

    def __init__(self, settings: HttpProbeSettings, clock: Clock, where: str) -> None:
        self.settings = settings
        self._clock = clock
        self._tls: ssl.SSLContext | None = None
        if settings.url.startswith("https://"):
            self._tls = client_ssl_context(settings.tls, where) \
                if settings.tls is not None else _default_tls()
        self._regex = re.compile(settings.body_regex) if settings.body_regex else None
        self._want = settings.max_body_bytes if self._regex or settings.json_path else 0
        self._url = URL(settings.url)
        self._method = settings.method.upper()
        self._headers = {k: v.reveal() for k, v in settings.headers.items()}
        self._body = settings.body.encode()
        self._first = _request(self._method, self._url, self._headers, self._body)
        self._keepalive = self._url.scheme == "http" and self._method in _KEEPALIVE_METHODS
        self._conn: Connection | None = None

    async def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    async def check(self) -> ProbeResult:
        """Critical when the server cannot be reached (refused, TLS verification, reset)
        or its answer is not HTTP."""
        try:
            return await self._check()
        except (HttpProtocolError, OSError) as exc:
            return ProbeResult(Status.CRITICAL, {}, f"{type(exc).__name__}: {exc}")

    async def _check(self) -> ProbeResult:
        s = self.settings
        start = self._clock.monotonic()
        response, url, der = await self._fetch()
        elapsed = self._clock.monotonic() - start
        days = None
        if url.scheme == "https":
            expiry = not_after(der) if der else None
            now = datetime.fromtimestamp(self._clock.time_ns() / 1e9, UTC)
            days = (expiry - now).total_seconds() / 86400.0 if expiry is not None else None
        details: dict[str, Any] = {"status_code": response.status,
                                   "latency_ms": round(elapsed * 1000, 3)}
        findings = self._judge_status(response.status)
        findings += self._judge_body(response.body)
        if days is not None:
            details["certificate_days_left"] = round(days, 3)
            if 0 < days < s.certificate_warning_days:
                findings.append((Status.WARNING, f"certificate expires in {days:.1f} days"))
        if s.latency_warning and elapsed > s.latency_warning:
            findings.append((Status.WARNING, f"answered in {elapsed * 1000:.0f}ms, over "
                                             f"{s.latency_warning * 1000:.0f}ms"))
        return ProbeResult.worst(findings, details)

    async def _fetch(self) -> tuple[Response, URL, bytes | None]:
        """The final response, its URL and (https) the server's DER certificate."""
        url, method, headers, body, request = \
            self._url, self._method, self._headers, self._body, self._first
        for _ in range(_MAX_REDIRECTS + 1):
            if url is self._url and self._keepalive:
                response, der = await self._kept(request), None
            else:
                response, der = await self._once(url, request, method == "HEAD")
            location = response.headers.get("location")
            if not self.settings.follow_redirects or response.status not in _REDIRECTS \
                    or not location:
                return response, url, der
            target = url.join(URL(location))
            if _origin(target) != _origin(url):  # credentials stay with their origin
                headers = {k: v for k, v in headers.items()
                           if k.lower() not in ("authorization", "cookie")}
            if response.status == 303 and method != "HEAD" or \
                    response.status in (301, 302) and method == "POST":
                method, body = "GET", b""
            url, request = target, _request(method, target, headers, body)
        raise HttpProtocolError(f"more than {_MAX_REDIRECTS} redirects")

    async def _kept(self, request: bytes) -> Response:
        """On the kept connection; once more on a new one when a kept connection broke
        before the server answered anything."""
        head = self._method == "HEAD"
        conn, reused = self._conn, True
        if conn is None or conn.closed:
            conn, reused = await self._connect(self._url), False
        self._conn = None
        try:
            response = await conn.exchange(request, head, self._want)
        except ConnectionError:
            if not reused or conn.answered:
                raise
            conn = await self._connect(self._url)
            response = await conn.exchange(request, head, self._want)
        if response.reusable and not conn.closed:
            self._conn = conn
        return response

    async def _once(self, url: URL, request: bytes, head: bool) -> tuple[Response, bytes | None]:
        conn = await self._connect(url)
        try:
            response = await conn.exchange(request, head, self._want)
            return response, conn.peer_certificate()
        finally:
            conn.close()

    async def _connect(self, url: URL) -> Connection:
        if url.scheme not in ("http", "https") or not url.host:
            raise HttpProtocolError(f"cannot follow to {str(url)[:200]!r}")
        tls = None
        if url.scheme == "https":
            tls = self._tls if self._tls is not None else _default_tls()
        _, host, port = _origin(url)
        return await open_connection(host, port, tls)

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

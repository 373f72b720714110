"""A lean HTTP/1.1 client for the http probe: one request at a time on an asyncio Protocol,
keep-alive on the probe's own connection.

Why not aiohttp (benchmarks/healthcheck_scale): at 1,000 checks a second, aiohttp's
request path (session, URL building, connector, stream reader, response object) was
the largest single cost of the receiver. A probe needs much less: write one pre-built
request, read the status line, the headers and at most ``max_body_bytes`` of the body.

Framing follows RFC 9112: no body for HEAD, 1xx, 204 and 304; ``Transfer-Encoding:
chunked``; ``Content-Length``; else the body runs to the end of the connection. A
response is complete once its body is (the connection can carry the next request) or
once the probe has all the body it needs (the connection is then closed, never reused).
``Content-Encoding`` gzip and deflate are inflated (``Accept-Encoding`` offers them).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import zlib
from dataclasses import dataclass, field
from typing import cast

__all__ = ["Connection", "HttpProtocolError", "Response", "open_connection",
           "request_bytes"]

_MAX_HEAD = 64 * 1024
_NO_BODY = frozenset({204, 304})


class HttpProtocolError(Exception):
    """The server's answer is not HTTP/1.x this client can read."""


@dataclass
class Response:
    """What the probe looks at: status, headers (names lower-cased) and body bytes."""

    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    reusable: bool = False  # the connection may carry the next request


def request_bytes(method: str, target: str, host: str,
                  headers: dict[str, str], body: bytes) -> bytes:
    """One request, ready to write (``ValueError`` on a header that would split it)."""
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}"]
    names = {k.lower() for k in headers}
    if "accept-encoding" not in names:
        lines.append("Accept-Encoding: gzip, deflate")
    if "user-agent" not in names:
        lines.append("User-Agent: otelpy-healthcheck")
    for key, value in headers.items():
        if any(c in key + value for c in "\r\n\0") or not key or ":" in key:
            raise ValueError(f"header {key!r}: names and values must not hold CR, LF or NUL")
        lines.append(f"{key}: {value}")
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class _Reader:
    """Parses one response from the bytes fed to it; ``done`` once it is complete."""

    def __init__(self, head_only: bool, want_body: int) -> None:
        self.head_only = head_only  # a HEAD request: no body whatever the headers say
        self.want = want_body  # body bytes the caller needs
        self.buf = bytearray()
        self.response: Response | None = None
        self.body = bytearray()
        self.framing = ""  # "length", "chunked", "close" or "none"
        self.left = 0  # length: bytes left; chunked: bytes left in the current chunk
        self.done = False
        self.got_bytes = False
        self.keep_alive = False

    def feed(self, data: bytes) -> None:
        self.got_bytes = True
        self.buf += data
        if self.response is None:
            self._head()
        if self.response is not None and not self.done:
            self._body()

    def eof(self) -> None:
        """The server closed: the body ends here when it runs to the close."""
        if self.response is not None and self.framing == "close":
            self._finish(reusable=False)
        elif not self.done:
            raise ConnectionResetError("the server closed the connection before a "
                                       "complete response")

    def _head(self) -> None:
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buf) > _MAX_HEAD:
                    raise HttpProtocolError("response headers over 64 KiB")
                return
            lines = bytes(self.buf[:end]).decode("latin-1").split("\r\n")
            del self.buf[:end + 4]
            parts = lines[0].split(" ", 2)
            if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
                raise HttpProtocolError(f"not an HTTP/1.x status line: {lines[0][:80]!r}")
            status = int(parts[1])
            if 100 <= status < 200:
                continue  # 100 Continue and friends: the real answer follows
            headers: dict[str, str] = {}
            for line in lines[1:]:
                key, sep, value = line.partition(":")
                if not sep:
                    raise HttpProtocolError(f"malformed header line {line[:80]!r}")
                key = key.strip().lower()
                value = value.strip()
                headers[key] = f"{headers[key]}, {value}" if key in headers else value
            self.response = Response(status, headers)
            self._framing(status, headers, parts[0])
            return

    def _framing(self, status: int, headers: dict[str, str], version: str) -> None:
        keep = headers.get("connection", "").lower()
        self.keep_alive = "close" not in keep and (version != "HTTP/1.0" or "keep-alive" in keep)
        if self.head_only or status in _NO_BODY:
            self.framing = "none"
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            self.framing = "chunked"
        elif "content-length" in headers:
            value = headers["content-length"].split(",")[0].strip()
            if not value.isdigit():
                raise HttpProtocolError(f"bad Content-Length {value[:40]!r}")
            self.framing, self.left = "length", int(value)
        else:
            self.framing, self.keep_alive = "close", False

    def _body(self) -> None:
        if self.framing == "none":
            self._finish(self.keep_alive)
        elif self.framing == "length":
            take = min(self.left, len(self.buf))
            self._keep(self.buf[:take])
            del self.buf[:take]
            self.left -= take
            if self.left == 0:
                self._finish(self.keep_alive)
        elif self.framing == "chunked":
            self._chunks()
        else:
            self._keep(self.buf)
            self.buf.clear()
        if not self.done and len(self.body) >= self.want:
            self._finish(reusable=False)  # all the probe needs: drop the rest with the conn

    def _chunks(self) -> None:
        while not self.done:
            if self.left < 0:  # after the last chunk: trailer lines, then an empty line
                end = 0 if self.buf.startswith(b"\r\n") else self.buf.find(b"\r\n\r\n") + 2
                if end < 2 and end != 0:
                    return
                del self.buf[:end + 2]
                self._finish(self.keep_alive)
                return
            if self.left == 0:
                end = self.buf.find(b"\r\n")
                if end < 0:
                    return
                size = bytes(self.buf[:end]).split(b";", 1)[0].strip()
                try:
                    length = int(size, 16)
                except ValueError:
                    raise HttpProtocolError(f"bad chunk size {size[:20]!r}") from None
                del self.buf[:end + 2]
                self.left = length + 2 if length else -1  # the chunk and its CRLF
                continue
            take = min(self.left, len(self.buf))
            if take == 0:
                return
            self._keep(self.buf[:max(0, min(take, self.left - 2))])
            del self.buf[:take]
            self.left -= take

    def _keep(self, data: bytes | bytearray) -> None:
        room = self.want - len(self.body)
        if room > 0:
            self.body += data[:room]

    def _finish(self, reusable: bool) -> None:
        assert self.response is not None
        self.response.body = bytes(self.body)
        self.response.reusable = reusable and not self.buf
        self.done = True


class Connection(asyncio.Protocol):
    """One connection; :meth:`exchange` sends a request and reads its response."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self._reader: _Reader | None = None
        self._waiter: asyncio.Future[Response] | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses

    def data_received(self, data: bytes) -> None:
        reader = self._reader
        if reader is None:  # unsolicited bytes between requests: not reusable
            self.close()
            return
        try:
            reader.feed(data)
        except (HttpProtocolError, ConnectionError) as exc:
            self._fail(exc)
            return
        if reader.done:
            self._complete(reader)

    def eof_received(self) -> bool | None:
        self._lost(None)
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost(exc)

    def _lost(self, exc: Exception | None) -> None:
        self.closed = True
        reader = self._reader
        if reader is None:
            return
        try:
            reader.eof()
        except ConnectionError as reset:
            self._fail(exc if isinstance(exc, OSError) else reset)
            return
        self._complete(reader)

    def _complete(self, reader: _Reader) -> None:
        self._reader = None
        assert reader.response is not None
        if not reader.response.reusable:
            self.close()
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(_inflate(reader.response, reader.want))

    def _fail(self, exc: BaseException) -> None:
        self._reader = None
        self.close()
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(exc)

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def peer_certificate(self) -> bytes | None:
        """The DER certificate the server presented (TLS only)."""
        sslobj = self.transport.get_extra_info("ssl_object") if self.transport else None
        return sslobj.getpeercert(binary_form=True) if sslobj is not None else None

    async def exchange(self, request: bytes, head_only: bool, want_body: int) -> Response:
        """Send ``request``; its response (ConnectionError when the connection breaks,
        HttpProtocolError when the answer cannot be read). Cancelling closes the
        connection."""
        if self.closed or self.transport is None:
            raise ConnectionResetError("the connection is closed")
        self._reader = _Reader(head_only, want_body)
        self._waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        try:
            return await self._waiter
        except asyncio.CancelledError:
            self.close()
            raise
        finally:
            self._waiter = None

    @property
    def answered(self) -> bool:
        """Whether the server sent any byte for the request in flight."""
        return self._reader is not None and self._reader.got_bytes


def _inflate(response: Response, want: int) -> Response:
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if response.body and encoding in ("gzip", "x-gzip", "deflate"):
        wbits = 47 if encoding != "deflate" else 15  # 47: gzip or zlib header
        try:
            response.body = zlib.decompressobj(wbits).decompress(response.body, want)
        except zlib.error:
            if encoding != "deflate":
                raise HttpProtocolError("body is not valid gzip") from None
            with contextlib.suppress(zlib.error):  # raw deflate, as some servers send
                response.body = zlib.decompressobj(-15).decompress(response.body, want)
    return response


async def open_connection(host: str, port: int,
                          ssl_context: ssl.SSLContext | None) -> Connection:
    """A new connection (TLS when ``ssl_context`` is given, verifying ``host``)."""
    loop = asyncio.get_running_loop()
    _, protocol = await loop.create_connection(
        Connection, host, port, ssl=ssl_context,
        server_hostname=host if ssl_context is not None else None)
    return protocol

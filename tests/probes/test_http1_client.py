"""The http probe's lean HTTP/1.1 client against a raw asyncio server that answers with
scripted bytes: framing (length, chunked with trailers, to-close, HEAD, 1xx), gzip,
keep-alive reuse, a kept connection the server closed, redirects and broken answers."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest

from otelpy.clock import SYSTEM_CLOCK
from otelpy.probes.config import HttpProbeSettings
from otelpy.probes.http import HttpProbe
from otelpy.probes.result import ProbeResult, Status

Answer = Callable[[str, dict[str, str]], list[bytes]]


@dataclass
class Raw:
    """A server answering each request with ``answer(request line, headers)``: a list of
    byte pieces written one by one (split writes), or b"CLOSE" to close the connection."""

    port: int = 0
    answer: Answer = lambda line, headers: [b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"]
    connections: int = 0
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                headers = {k.strip().lower(): v.strip() for k, _, v in
                           (h.partition(":") for h in lines[1:] if h)}
                if "content-length" in headers:
                    await reader.readexactly(int(headers["content-length"]))
                self.requests.append((lines[0], headers))
                for piece in self.answer(lines[0], headers):
                    if piece == b"CLOSE":
                        writer.close()
                        return
                    writer.write(piece)
                    await writer.drain()
                    await asyncio.sleep(0.01)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def raw() -> AsyncIterator[Raw]:
    server_state = Raw()
    server = await asyncio.start_server(server_state.serve, "127.0.0.1", 0)
    server_state.port = server.sockets[0].getsockname()[1]
    yield server_state
    server.close()


async def run(raw: Raw, path: str = "/", **settings: object) -> tuple[ProbeResult, HttpProbe]:
    cfg = HttpProbeSettings.model_validate({"url": f"http://127.0.0.1:{raw.port}{path}",
                                            **settings})
    probe = HttpProbe(cfg, SYSTEM_CLOCK, "test")
    return await probe.check(), probe


def _chunked(line: str, headers: dict[str, str]) -> list[bytes]:
    return [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nstat",
            b"us\r\n", b"9;ext=1\r\n=ready ok\r\n0\r\n", b"X-Trailer: 1\r\n\r\n"]


async def test_chunked_body_with_trailers_split_across_writes(raw: Raw) -> None:
    raw.answer = _chunked
    result, probe = await run(raw, body_regex="^status=ready ok$")
    assert (result.status, result.message) == (Status.HEALTHY, "")
    again = await probe.check()  # the connection survived the chunked answer
    assert again.status is Status.HEALTHY and raw.connections == 1
    await probe.close()


async def test_gzip_body_is_inflated(raw: Raw) -> None:
    body = gzip.compress(b'{"status": "up"}')
    raw.answer = lambda line, headers: [
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: "
        + str(len(body)).encode() + b"\r\n\r\n" + body]
    result, probe = await run(raw, json_path="status", json_value="up")
    assert result.status is Status.HEALTHY, result.message
    assert raw.requests[0][1]["accept-encoding"] == "gzip, deflate"
    await probe.close()


async def test_body_to_close_head_and_informational(raw: Raw) -> None:
    raw.answer = lambda line, headers: [b"HTTP/1.0 200 OK\r\n\r\nall of it", b"CLOSE"]
    result, probe = await run(raw, body_regex="all of it")
    assert result.status is Status.HEALTHY, result.message
    result = await probe.check()
    assert result.status is Status.HEALTHY and raw.connections == 2  # not reusable
    await probe.close()
    # HEAD: Content-Length describes a body that never comes; the connection is reused
    raw.answer = lambda line, headers: [b"HTTP/1.1 100 Continue\r\n\r\n",
                                        b"HTTP/1.1 204 No Content\r\nContent-Length: 99\r\n\r\n"]
    result, probe = await run(raw, method="HEAD", expected_status_codes=[204])
    assert result.status is Status.HEALTHY, result.message
    assert (await probe.check()).status is Status.HEALTHY
    assert raw.connections == 3 and raw.requests[-1][0].startswith("HEAD / HTTP/1.1")
    await probe.close()


async def test_kept_connection_closed_by_the_server_is_retried_once(raw: Raw) -> None:
    answers = iter([[b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", b"CLOSE"],
                    [b"HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n"]])
    raw.answer = lambda line, headers: next(answers)
    result, probe = await run(raw)
    assert result.status is Status.HEALTHY
    await asyncio.sleep(0.05)  # the server's close arrives while the connection is idle
    result = await probe.check()
    assert result.status is Status.CRITICAL  # the 503 from the second connection
    assert result.message == "status 503, expected 2xx" and raw.connections == 2
    await probe.close()


async def test_redirects_followed_and_credentials_kept_to_their_origin(raw: Raw) -> None:
    other = Raw()
    server = await asyncio.start_server(other.serve, "localhost", 0)
    other.port = server.sockets[0].getsockname()[1]
    raw.answer = lambda line, headers: [
        b"HTTP/1.1 303 See Other\r\nLocation: /next?x=1\r\nContent-Length: 0\r\n\r\n"] \
        if line.startswith("POST") else [
        b"HTTP/1.1 302 Found\r\nLocation: http://localhost:" + str(other.port).encode()
        + b"/there\r\nContent-Length: 0\r\n\r\n"]
    try:
        result, probe = await run(raw, method="POST", body="x=1",
                                  headers={"Authorization": "Bearer s3cret"})
        assert result.status is Status.HEALTHY, result.message
        assert [r[0] for r in raw.requests] == ["POST / HTTP/1.1", "GET /next?x=1 HTTP/1.1"]
        assert raw.requests[1][1]["authorization"] == "Bearer s3cret"  # same origin
        assert other.requests[0][0] == "GET /there HTTP/1.1"
        assert "authorization" not in other.requests[0][1]
        assert other.requests[0][1]["host"] == f"localhost:{other.port}"
        await probe.close()
        raw.answer = lambda line, headers: [
            b"HTTP/1.1 307 Again\r\nLocation: /loop\r\nContent-Length: 0\r\n\r\n"]
        result, probe = await run(raw)
        assert result.message == "HttpProtocolError: more than 10 redirects"
        result, probe = await run(raw, follow_redirects=False, expected_status_codes=[307])
        assert result.status is Status.HEALTHY
        await probe.close()
    finally:
        server.close()


@pytest.mark.parametrize(("pieces", "message"), [
    ([b"SSH-2.0-OpenSSH\r\n\r\n"], "HttpProtocolError: not an HTTP/1.x status line: "
                                   "'SSH-2.0-OpenSSH'"),
    ([b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", b"CLOSE"],
     "ConnectionResetError: the server closed the connection before a complete response"),
    ([b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"],
     "HttpProtocolError: bad chunk size b'zz'"),
    ([b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n"], "HttpProtocolError: bad Content-Length "
                                                        "'x'"),
])
async def test_broken_answers_are_critical(raw: Raw, pieces: list[bytes], message: str) -> None:
    raw.answer = lambda line, headers: pieces
    result, probe = await run(raw, body_regex=".")  # the body is needed
    assert (result.status, result.message) == (Status.CRITICAL, message)
    await probe.close()


async def test_large_body_is_read_only_as_far_as_needed(raw: Raw) -> None:
    big = b"x" * 200_000
    raw.answer = lambda line, headers: [
        b"HTTP/1.1 200 OK\r\nContent-Length: 200005\r\n\r\nmark:" + big]
    result, probe = await run(raw, body_regex="^mark:x{95}$", max_body_bytes=100)
    assert result.status is Status.HEALTHY, result.message
    assert (await probe.check()).status is Status.HEALTHY
    assert raw.connections == 2  # the unread rest went with the first connection
    await probe.close()


def test_header_injection_is_refused() -> None:
    cfg = HttpProbeSettings.model_validate({"url": "http://127.0.0.1:1/",
                                            "headers": {"X-A": "1\r\nEvil: yes"}})
    with pytest.raises(ValueError, match="must not hold CR, LF or NUL"):
        HttpProbe(cfg, SYSTEM_CLOCK, "test")


def test_runs_on_uvloop_as_the_engine_does() -> None:
    import uvloop

    async def main() -> ProbeResult:
        raw = Raw()
        server = await asyncio.start_server(raw.serve, "127.0.0.1", 0)
        raw.port = server.sockets[0].getsockname()[1]
        try:
            result, probe = await run(raw)
            assert (await probe.check()).status is Status.HEALTHY and raw.connections == 1
            await probe.close()
            return result
        finally:
            server.close()

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        assert runner.run(main()).status is Status.HEALTHY

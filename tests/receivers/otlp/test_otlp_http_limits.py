"""OTLP/HTTP against slow and greedy clients: raw sockets that trickle bytes or hold
connections open. Every refusal has its status, is counted, and a good request right
after still works."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from otelpy.component import Signal
from otelpy.receivers.otlp import OTLPReceiver
from otelpy.testing.polling import until
from otelpy.testing.samples import traces_request
from otelpy.testing.sink import SinkConsumer

StartReceiver = Callable[..., Awaitable[OTLPReceiver]]
Malformed = Callable[[str, str], float]
BODY = traces_request(5).SerializeToString()
HEAD = ("POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/x-protobuf\r\n")


def _http(**settings: Any) -> dict[str, Any]:
    return {"http": {"endpoint": "127.0.0.1:0", **settings}}


async def _good_request(rcv: OTLPReceiver, sink: SinkConsumer) -> None:
    assert rcv.http is not None
    before = sink.items[Signal.TRACES]
    async with aiohttp.ClientSession() as session:
        async with session.post(f"http://127.0.0.1:{rcv.http.port}/v1/traces", data=BODY,
                                headers={"Content-Type": "application/x-protobuf"}) as resp:
            assert resp.status == 200, await resp.text()
    assert sink.items[Signal.TRACES] == before + 5


async def _connect(rcv: OTLPReceiver) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    assert rcv.http is not None
    return await asyncio.open_connection("127.0.0.1", rcv.http.port)


async def _trickle(writer: asyncio.StreamWriter, reader: asyncio.StreamReader,
                   pieces: list[bytes], every: float) -> None:
    """Write ``pieces`` one by one, ``every`` seconds apart, until the server closes."""
    for piece in pieces:
        if reader.at_eof() or writer.is_closing():
            return
        try:
            writer.write(piece)
            await writer.drain()
        except ConnectionError:
            return
        await asyncio.sleep(every)


async def _answer_after_trickle(rcv: OTLPReceiver, first: bytes, pieces: list[bytes],
                                every: float = 0.05) -> tuple[bytes, float]:
    """(everything the server sent until it closed, seconds it took)."""
    reader, writer = await _connect(rcv)
    start = time.monotonic()
    writer.write(first)
    task = asyncio.create_task(_trickle(writer, reader, pieces, every))
    try:
        answer = await asyncio.wait_for(reader.read(), 10)
    finally:
        task.cancel()
        writer.close()
    return answer, time.monotonic() - start


async def test_slow_headers_get_408_and_the_server_keeps_serving(
        start_receiver: StartReceiver, sink: SinkConsumer, malformed: Malformed) -> None:
    rcv = await start_receiver(_http(read_header_timeout="400ms"))
    pieces = [f"X-Slow-{i}: y\r\n".encode() for i in range(200)]  # 10 s at 50 ms each
    answer, took = await _answer_after_trickle(rcv, HEAD.encode(), pieces)
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert 0.35 < took < 5.0, took  # the deadline, not the 10 s trickle
    assert malformed("http", "read_header_timeout") == 1
    await _good_request(rcv, sink)
    assert sink.items[Signal.TRACES] == 5


async def test_silent_connection_is_closed_without_an_answer(
        start_receiver: StartReceiver, sink: SinkConsumer, malformed: Malformed) -> None:
    rcv = await start_receiver(_http(read_header_timeout="300ms"))
    answer, took = await _answer_after_trickle(rcv, b"", [])
    assert answer == b"" and 0.25 < took < 5.0, (answer, took)
    assert malformed("http", "read_header_timeout") == 1
    await _good_request(rcv, sink)


async def test_read_timeout_is_the_header_deadline_when_read_header_timeout_is_0(
        start_receiver: StartReceiver, malformed: Malformed) -> None:
    rcv = await start_receiver(_http(read_header_timeout=0, read_timeout="300ms"))
    answer, took = await _answer_after_trickle(rcv, HEAD.encode(), [b"X-A: b\r\n"] * 200)
    assert answer.startswith(b"HTTP/1.1 408 ") and took < 5.0, (answer[:100], took)
    assert malformed("http", "read_header_timeout") == 1


async def test_slow_body_gets_408_and_the_connection_closes(
        start_receiver: StartReceiver, sink: SinkConsumer, malformed: Malformed) -> None:
    rcv = await start_receiver(_http(read_timeout="400ms"))
    head = f"{HEAD}Content-Length: {len(BODY)}\r\n\r\n".encode()
    pieces = [BODY[i:i + 10] for i in range(0, len(BODY), 10)]  # 50 ms per 10 bytes
    assert len(pieces) * 0.05 > 2
    answer, took = await _answer_after_trickle(rcv, head, pieces)
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert took < 2.0, took
    assert malformed("http", "read_timeout") == 1
    assert sink.items[Signal.TRACES] == 0
    await _good_request(rcv, sink)


async def test_keep_alive_connection_may_idle_between_requests(
        start_receiver: StartReceiver, sink: SinkConsumer, malformed: Malformed) -> None:
    """The header deadline runs from a request's first byte, not from the last answer."""
    rcv = await start_receiver(_http(read_header_timeout="300ms", idle_timeout="10s"))
    reader, writer = await _connect(rcv)
    request = f"{HEAD}Content-Length: {len(BODY)}\r\n\r\n".encode() + BODY
    try:
        for _ in range(2):
            writer.write(request)
            await writer.drain()
            status = await asyncio.wait_for(reader.readline(), 5)
            assert status.startswith(b"HTTP/1.1 200 "), status
            headers = await reader.readuntil(b"\r\n\r\n")
            length = int(headers.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            await reader.readexactly(length)
            await asyncio.sleep(0.6)  # idle for twice the header deadline
        # a slow third request on the same connection is still cut off
        writer.write(HEAD.encode())
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 5)
        assert answer.startswith(b"HTTP/1.1 408 "), answer[:100]
    finally:
        writer.close()
    assert sink.items[Signal.TRACES] == 10
    assert malformed("http", "read_header_timeout") == 1


async def test_max_connections(start_receiver: StartReceiver, sink: SinkConsumer,
                               malformed: Malformed) -> None:
    rcv = await start_receiver(_http(max_connections=3))
    held = [await _connect(rcv) for _ in range(3)]
    await asyncio.sleep(0.05)
    reader, writer = await _connect(rcv)
    answer = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    assert answer.startswith(b"HTTP/1.1 503 "), answer[:200]
    assert b"\r\nRetry-After: 1\r\n" in answer and b"\r\nConnection: close\r\n" in answer
    assert malformed("http", "too_many_connections") == 1
    # the held connections still work; closing one makes room for a new one
    r0, w0 = held[0]
    w0.write(f"{HEAD}Content-Length: {len(BODY)}\r\nConnection: close\r\n\r\n".encode() + BODY)
    assert (await asyncio.wait_for(r0.read(), 5)).startswith(b"HTTP/1.1 200 ")
    for _, w in held:
        w.close()
    guard = rcv.http._guard  # type: ignore[union-attr]  # noqa: SLF001
    await until(lambda: guard.open == 0, what="the server to see the connections closed")
    await _good_request(rcv, sink)
    assert sink.items[Signal.TRACES] == 10
    assert malformed("http", "too_many_connections") == 1


async def test_many_fast_requests_are_unaffected(start_receiver: StartReceiver,
                                                 sink: SinkConsumer, malformed: Malformed) -> None:
    rcv = await start_receiver(_http(read_header_timeout="200ms", read_timeout="1s",
                                     max_connections=8))
    assert rcv.http is not None
    connector = aiohttp.TCPConnector(limit=8)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def post() -> int:
            async with session.post(f"http://127.0.0.1:{rcv.http.port}/v1/traces", data=BODY,  # type: ignore[union-attr]
                                    headers={"Content-Type": "application/x-protobuf"}) as r:
                return r.status
        statuses = await asyncio.gather(*[post() for _ in range(200)])
    assert statuses == [200] * 200
    assert sink.items[Signal.TRACES] == 1000
    for reason in ("read_header_timeout", "read_timeout", "too_many_connections"):
        assert malformed("http", reason) == 0

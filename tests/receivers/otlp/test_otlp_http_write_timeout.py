"""OTLP/HTTP ``write_timeout``: from the end of a request's headers until its answer is
written. A pipeline that holds the request (backpressure) or a client that does not read
its answers gets the connection closed at the deadline, counted, and logged at most once
per interval; what the request handed to the pipeline is accepted all the same."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.config.server import HTTPServerSettings
from otelpy.processors.batch import BatchConfig
from otelpy.processors.batch import factory as batch_factory
from otelpy.receivers.otlp import OTLPReceiver, OTLPReceiverConfig
from otelpy.receivers.otlp import factory as otlp_factory
from otelpy.telemetry import Telemetry
from otelpy.testing.samples import traces_request
from otelpy.testing.sink import FakeHost, SinkConsumer

StartReceiver = Callable[..., Awaitable[OTLPReceiver]]
Malformed = Callable[[str, str], float]
BODY = traces_request(5).SerializeToString()
HEAD = ("POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/x-protobuf\r\n")
REQUEST = f"{HEAD}Content-Length: {len(BODY)}\r\n\r\n".encode() + BODY
EMPTY_REQUEST = f"{HEAD}Content-Length: 0\r\n\r\n".encode()  # valid, no items: answered 200


def _http(**settings: Any) -> dict[str, Any]:
    return {"http": {"endpoint": "127.0.0.1:0", **settings}}


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.levelno == logging.WARNING and "write_timeout" in r.getMessage()]


async def _post(rcv: OTLPReceiver, session: aiohttp.ClientSession) -> int:
    assert rcv.http is not None
    async with session.post(f"http://127.0.0.1:{rcv.http.port}/v1/traces", data=BODY,
                            headers={"Content-Type": "application/x-protobuf"}) as resp:
        await resp.read()
        return resp.status


async def _until_closed(rcv: OTLPReceiver, request: bytes) -> tuple[bytes, float]:
    """Send ``request`` on a new connection, then read until the server closes it:
    (what it sent, seconds it took). A reset counts as a close."""
    assert rcv.http is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", rcv.http.port)
    start = time.monotonic()
    try:
        writer.write(request)
        await writer.drain()
        try:
            answer = await asyncio.wait_for(reader.read(), 10)
        except ConnectionResetError:
            answer = b""
    finally:
        writer.close()
    return answer, time.monotonic() - start


@pytest.fixture
async def batched_receiver(settings: Settings, telemetry: Telemetry, sink: SinkConsumer
                           ) -> AsyncIterator[OTLPReceiver]:
    """An HTTP receiver with write_timeout 300ms feeding a batch processor with
    ``wait_for_export`` in front of ``sink`` (a stand-in for a slow exporter)."""
    batch_settings = Settings(ComponentID("batch"), Kind.PROCESSOR,
                              logging.getLogger("otelpy.test.batch"), telemetry)
    batch_cfg = BatchConfig(wait_for_export=True, send_batch_size=1)
    batch = batch_factory.create(batch_settings, batch_cfg, Signal.TRACES, sink)
    await batch.start(FakeHost())
    cfg = OTLPReceiverConfig.model_validate({"protocols": _http(write_timeout="300ms")})
    rcv = otlp_factory.create(settings, cfg, {Signal.TRACES: batch})
    await rcv.start(None)
    yield rcv
    sink.release()
    await rcv.shutdown()
    await batch.shutdown()


async def test_backpressure_closes_the_connection_and_keeps_the_data(
        batched_receiver: OTLPReceiver, sink: SinkConsumer, malformed: Malformed,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    sink.hold()  # the exporter takes nothing: the batch processor makes the request wait
    results = await asyncio.gather(*[_until_closed(batched_receiver, REQUEST) for _ in range(2)])
    for answer, took in results:
        assert answer == b"" and 0.25 < took < 5.0, (answer[:100], took)
    assert malformed("http", "write_timeout") == 2
    assert len(_warnings(caplog)) == 1  # logged once per interval, counted every time
    assert "still in the pipeline" in _warnings(caplog)[0]
    # both requests are still in the pipeline: once the exporter moves, they are delivered
    assert sink.items[Signal.TRACES] == 0
    sink.release()
    await sink.wait_for_items(10, Signal.TRACES)
    async with aiohttp.ClientSession() as session:
        assert await _post(batched_receiver, session) == 200
    assert sink.items[Signal.TRACES] == 15
    assert malformed("http", "write_timeout") == 2
    # the handlers whose connection was closed finished quietly
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_slow_body_counts_towards_the_write_deadline(
        start_receiver: StartReceiver, sink: SinkConsumer, malformed: Malformed) -> None:
    """As in Go: the deadline starts when the headers are in, so it also bounds the body."""
    rcv = await start_receiver(_http(write_timeout="300ms"))
    assert rcv.http is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", rcv.http.port)
    start = time.monotonic()
    writer.write(f"{HEAD}Content-Length: {len(BODY)}\r\n\r\n".encode() + BODY[:10])
    try:
        answer = await asyncio.wait_for(reader.read(), 5)
    except ConnectionResetError:
        answer = b""
    finally:
        writer.close()
    took = time.monotonic() - start
    assert answer == b"" and 0.25 < took < 5.0, (answer[:100], took)
    assert malformed("http", "write_timeout") == 1
    assert sink.items[Signal.TRACES] == 0


async def test_client_that_does_not_read_is_disconnected(
        start_receiver: StartReceiver, sink: SinkConsumer, malformed: Malformed,
        caplog: pytest.LogCaptureFixture) -> None:
    """A client pipelines requests and never reads: once the answers fill the socket
    buffers, the server cannot finish writing and closes the connection."""
    caplog.set_level(logging.WARNING)
    rcv = await start_receiver(_http(write_timeout="300ms"))
    assert rcv.http is not None
    loop = asyncio.get_running_loop()
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connecting
        sock.setblocking(False)
        await loop.sock_connect(sock, ("127.0.0.1", rcv.http.port))
        await loop.sock_sendall(sock, REQUEST)  # one request with data, then empty ones
        chunk = EMPTY_REQUEST * 1000
        closed = False
        for _ in range(500):  # at most 500k requests; about 60k fill the buffers
            try:
                await asyncio.wait_for(loop.sock_sendall(sock, chunk), 5)
            except (ConnectionResetError, BrokenPipeError):
                closed = True
                break
        assert closed
    assert malformed("http", "write_timeout") == 1
    assert any("not reading" in line for line in _warnings(caplog)), _warnings(caplog)
    assert sink.items[Signal.TRACES] == 5  # the request with data was accepted
    async with aiohttp.ClientSession() as session:
        assert await _post(rcv, session) == 200
    assert sink.items[Signal.TRACES] == 10


async def test_keep_alive_connection_idles_past_the_write_deadline(
        start_receiver: StartReceiver, sink: SinkConsumer, malformed: Malformed) -> None:
    """The deadline ends with each answer: an idle keep-alive connection is not closed,
    and many quick requests on few connections are unaffected."""
    rcv = await start_receiver(_http(write_timeout="200ms", idle_timeout="10s"))
    connector = aiohttp.TCPConnector(limit=4)
    async with aiohttp.ClientSession(connector=connector) as session:
        statuses = await asyncio.gather(*[_post(rcv, session) for _ in range(100)])
        await asyncio.sleep(0.5)  # idle for more than twice the deadline
        statuses += await asyncio.gather(*[_post(rcv, session) for _ in range(4)])
    assert statuses == [200] * 104
    assert sink.items[Signal.TRACES] == 520
    assert malformed("http", "write_timeout") == 0


async def test_zero_means_no_limit(start_receiver: StartReceiver, sink: SinkConsumer,
                                   malformed: Malformed) -> None:
    rcv = await start_receiver(_http(write_timeout=0))
    sink.delay = 0.5
    answer, took = await _until_closed(rcv, f"{HEAD}Content-Length: {len(BODY)}\r\n"
                                            "Connection: close\r\n\r\n".encode() + BODY)
    assert answer.startswith(b"HTTP/1.1 200 ") and took >= 0.5, (answer[:100], took)
    assert sink.items[Signal.TRACES] == 5
    assert malformed("http", "write_timeout") == 0


def test_defaults_follow_the_collector() -> None:
    """The otlp receiver turns write_timeout off (confighttp's own default is 30s)."""
    assert OTLPReceiverConfig().protocols.http is not None
    assert OTLPReceiverConfig().protocols.http.write_timeout == 0
    assert HTTPServerSettings().write_timeout == 30.0

"""otlphttp's ``may_have_arrived``: False only when the batch certainly did not reach the
backend (connection refused, 429/503 answered); True for timeouts, resets, 502/504."""

from __future__ import annotations

import asyncio
import logging
import socket

import pytest

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.errors import RetryableError
from otelpy.exporters.otlphttp import OTLPHTTPConfig, OTLPHTTPExporter, factory
from otelpy.pdata import Batch
from otelpy.telemetry import Telemetry
from otelpy.testing.samples import traces_request
from otelpy.testing.servers import HttpSink
from otelpy.testing.sink import FakeHost
from otelpy.testing.sockets import hanging_connects


async def exporter(endpoint: str, **overrides: object) -> OTLPHTTPExporter:
    cfg = OTLPHTTPConfig.model_validate({
        "endpoint": endpoint, "sending_queue": {"enabled": False},
        "retry_on_failure": {"enabled": False}, **overrides})
    ex = factory.create(Settings(ComponentID("otlphttp", "t"), Kind.EXPORTER,
                                 logging.getLogger("t.otlphttp"), Telemetry()),
                        cfg, frozenset({Signal.TRACES}))
    await ex.start(FakeHost())
    return ex


async def refusal(endpoint: str, **overrides: object) -> RetryableError:
    """The error one send of 3 spans to ``endpoint`` raises."""
    ex = await exporter(endpoint, **overrides)
    batch = Batch.from_bytes(Signal.TRACES, traces_request(3).SerializeToString())
    try:
        with pytest.raises(RetryableError) as info:
            await ex.consume_traces(batch)
    finally:
        await ex.shutdown()
    return info.value


async def test_connection_refused_did_not_arrive() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    err = await refusal(f"http://127.0.0.1:{port}")
    assert "ClientConnectorError" in str(err)
    assert err.may_have_arrived is False


@pytest.mark.parametrize(("status", "arrived"), [(429, False), (503, False),
                                                 (502, True), (504, True)])
async def test_answered_status(status: int, arrived: bool) -> None:
    sink = HttpSink()
    await sink.start()
    try:
        sink.fail_next(1, status, "busy")
        err = await refusal(sink.endpoint)
    finally:
        await sink.stop()
    assert f"HTTP {status}" in str(err)
    assert sink.requests == 1
    assert err.may_have_arrived is arrived


async def test_timeout_may_have_arrived() -> None:
    sink = HttpSink(delay=2.0)
    await sink.start()
    try:
        err = await refusal(sink.endpoint, timeout="100ms")
    finally:
        await sink.stop()
    assert "timed out" in str(err)
    assert err.may_have_arrived is True


async def test_connection_reset_after_the_request_may_have_arrived() -> None:
    got: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        got.append(len(await reader.read(65536)))
        writer.transport.abort()  # reset without an answer

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        err = await refusal(f"http://127.0.0.1:{port}")
    finally:
        server.close()
    assert got and got[0] > 0  # the request was written
    assert err.may_have_arrived is True


async def test_timeout_while_still_connecting_did_not_arrive() -> None:
    with hanging_connects() as port:
        err = await refusal(f"http://127.0.0.1:{port}", timeout="200ms")
    assert "timed out" in str(err)
    assert err.may_have_arrived is False

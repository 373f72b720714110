"""Start and shutdown of the otlp receiver: both protocols, in-flight requests, bad ports."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable

import aiohttp
import grpc
import pytest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc

from otelpy.component import Settings, Signal
from otelpy.errors import ComponentStartError
from otelpy.receivers.otlp import OTLPReceiver, OTLPReceiverConfig, factory
from otelpy.testing.samples import traces_request
from otelpy.testing.sink import SinkConsumer

StartReceiver = Callable[..., Awaitable[OTLPReceiver]]


async def _grpc_export(port: int) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as ch:
        await trace_service_pb2_grpc.TraceServiceStub(ch).Export(traces_request(5), timeout=5)


async def _http_export(port: int) -> int:
    async with aiohttp.ClientSession() as session:
        async with session.post(f"http://127.0.0.1:{port}/v1/traces",
                                data=traces_request(5).SerializeToString(),
                                headers={"Content-Type": "application/x-protobuf"}) as resp:
            return resp.status


async def test_in_flight_requests_finish_during_shutdown(start_receiver: StartReceiver,
                                                         sink: SinkConsumer) -> None:
    rcv = await start_receiver()
    assert rcv.grpc is not None and rcv.http is not None
    gport, hport = rcv.grpc.port, rcv.http.port
    assert gport and hport
    sink.hold()
    calls = [asyncio.create_task(_grpc_export(gport)), asyncio.create_task(_http_export(hport))]
    async with asyncio.timeout(5):
        while sink.in_flight < 2:  # noqa: ASYNC110 - the sink has no in-flight event
            await asyncio.sleep(0.01)
    stopping = asyncio.create_task(rcv.shutdown())
    await asyncio.sleep(0.1)
    sink.release()
    results = await asyncio.gather(*calls, return_exceptions=True)
    await stopping
    assert results == [None, 200]
    assert sink.items[Signal.TRACES] == 10
    for port in (gport, hport):
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()


async def test_http_port_taken_leaves_nothing_listening(settings: Settings,
                                                        sink: SinkConsumer) -> None:
    """When the second protocol cannot bind, start fails and the first one is closed."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        cfg = OTLPReceiverConfig.model_validate({"protocols": {
            "grpc": {"endpoint": "127.0.0.1:0"}, "http": {"endpoint": f"127.0.0.1:{port}"}}})
        rcv = factory.create(settings, cfg, {Signal.TRACES: sink})
        with pytest.raises(ComponentStartError,
                           match=f"receiver otlp: cannot listen for HTTP on 127.0.0.1:{port}"):
            await rcv.start(None)
        assert rcv.grpc is not None and rcv.grpc.port
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await _grpc_export(rcv.grpc.port)
        assert err.value.code() == grpc.StatusCode.UNAVAILABLE
        await rcv.shutdown()


async def test_every_interface_endpoint(settings: Settings, sink: SinkConsumer) -> None:
    """``:port`` listens on every interface, so 127.0.0.1 reaches it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        gport, hport = probe.getsockname()[1], 0
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        hport = probe.getsockname()[1]
    cfg = OTLPReceiverConfig.model_validate({"protocols": {
        "grpc": {"endpoint": f":{gport}"}, "http": {"endpoint": f":{hport}"}}})
    rcv = factory.create(settings, cfg, {Signal.TRACES: sink})
    await rcv.start(None)
    try:
        await _grpc_export(gport)
        assert await _http_export(hport) == 200
    finally:
        await rcv.shutdown()
    assert sink.items[Signal.TRACES] == 10

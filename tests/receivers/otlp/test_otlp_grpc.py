"""OTLP/gRPC: real grpcio clients against the receiver on a loopback port."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import pytest
from google.rpc import code_pb2, error_details_pb2, status_pb2
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2_grpc
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from otelpy.component import Settings, Signal
from otelpy.errors import ComponentStartError, PermanentError, RetryableError
from otelpy.receivers.otlp import OTLPReceiver, OTLPReceiverConfig, factory
from otelpy.testing.samples import logs_request, metrics_request, traces_request
from otelpy.testing.sink import SinkConsumer

StartReceiver = Callable[..., Awaitable[OTLPReceiver]]
Malformed = Callable[[str, str], float]

TRACE_METHOD = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
GRPC_ONLY = {"grpc": {"endpoint": "127.0.0.1:0"}}


def _channel(port: int, **options: Any) -> grpc.aio.Channel:
    return grpc.aio.insecure_channel(f"127.0.0.1:{port}", options=list(options.items()))


async def _raw_call(port: int, data: bytes, method: str = TRACE_METHOD) -> bytes:
    async with _channel(port) as ch:
        call = ch.unary_unary(method, request_serializer=None, response_deserializer=None)
        return await call(data, timeout=5)  # type: ignore[no-any-return]


async def test_all_three_signals(start_receiver: StartReceiver, sink: SinkConsumer) -> None:
    rcv = await start_receiver(GRPC_ONLY)
    assert rcv.grpc is not None and rcv.grpc.port
    traces, metrics, logs = traces_request(512), metrics_request(30), logs_request(40)
    async with _channel(rcv.grpc.port) as ch:
        resp = await trace_service_pb2_grpc.TraceServiceStub(ch).Export(traces, timeout=5)
        assert not resp.HasField("partial_success")
        await metrics_service_pb2_grpc.MetricsServiceStub(ch).Export(metrics, timeout=5)
        await logs_service_pb2_grpc.LogsServiceStub(ch).Export(logs, timeout=5)
    assert sink.items == {Signal.TRACES: 512, Signal.METRICS: 30, Signal.LOGS: 40}
    assert [b.signal for b in sink.batches] == [Signal.TRACES, Signal.METRICS, Signal.LOGS]
    assert sink.batches[0].data == traces.SerializeToString()  # bytes passed through as-is
    assert sink.batches[1].message == metrics
    assert sink.batches[2].message == logs


async def test_unserved_signal_is_unimplemented(start_receiver: StartReceiver,
                                                sink: SinkConsumer) -> None:
    rcv = await start_receiver(GRPC_ONLY, signals=(Signal.TRACES,))
    assert rcv.grpc is not None
    async with _channel(rcv.grpc.port) as ch:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await logs_service_pb2_grpc.LogsServiceStub(ch).Export(logs_request(3), timeout=5)
        assert err.value.code() == grpc.StatusCode.UNIMPLEMENTED
        await trace_service_pb2_grpc.TraceServiceStub(ch).Export(traces_request(4), timeout=5)
    assert sink.items[Signal.TRACES] == 4 and sink.items[Signal.LOGS] == 0


async def test_empty_request_is_accepted_without_consumer(start_receiver: StartReceiver,
                                                          sink: SinkConsumer) -> None:
    rcv = await start_receiver(GRPC_ONLY)
    assert rcv.grpc is not None
    assert await _raw_call(rcv.grpc.port, b"") == b""
    empty_scope = ExportTraceServiceRequest()
    empty_scope.resource_spans.add().scope_spans.add()
    assert await _raw_call(rcv.grpc.port, empty_scope.SerializeToString()) == b""
    assert sink.calls == 0


@pytest.mark.parametrize("data", [
    traces_request(8).SerializeToString()[:-7],
    os.urandom(2048),
    b"\x0a\xff\xff\xff\xff\x0f",
], ids=["truncated", "random", "huge-length"])
async def test_malformed_protobuf(start_receiver: StartReceiver, sink: SinkConsumer,
                                  malformed: Malformed, data: bytes) -> None:
    rcv = await start_receiver(GRPC_ONLY)
    assert rcv.grpc is not None
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await _raw_call(rcv.grpc.port, data)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "malformed ExportTraceServiceRequest" in (err.value.details() or "")
    assert malformed("grpc", "malformed_protobuf") == 1
    assert sink.calls == 0
    await _raw_call(rcv.grpc.port, traces_request(5).SerializeToString())  # still serving
    assert sink.items[Signal.TRACES] == 5


async def test_bad_requests_do_not_affect_concurrent_good_ones(
        start_receiver: StartReceiver, sink: SinkConsumer, malformed: Malformed) -> None:
    rcv = await start_receiver(GRPC_ONLY)
    assert rcv.grpc is not None
    good = traces_request(16).SerializeToString()
    calls = [_raw_call(rcv.grpc.port, good if i % 2 else good[:-3]) for i in range(40)]
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert all(r == b"" for r in results[1::2])
    assert all(isinstance(r, grpc.aio.AioRpcError)
               and r.code() == grpc.StatusCode.INVALID_ARGUMENT for r in results[0::2])
    assert sink.items[Signal.TRACES] == 20 * 16
    assert malformed("grpc", "malformed_protobuf") == 20


async def test_oversized_message_is_resource_exhausted(start_receiver: StartReceiver,
                                                       sink: SinkConsumer) -> None:
    rcv = await start_receiver({"grpc": {"endpoint": "127.0.0.1:0", "max_recv_msg_size_mib": 1}})
    assert rcv.grpc is not None
    big = traces_request(6000)
    assert big.ByteSize() > 1024 * 1024
    async with _channel(rcv.grpc.port) as ch:
        stub = trace_service_pb2_grpc.TraceServiceStub(ch)
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.Export(big, timeout=5)
        assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        await stub.Export(traces_request(100), timeout=5)  # still serving, same channel
    assert sink.items[Signal.TRACES] == 100


def _retry_delay(err: grpc.aio.AioRpcError) -> tuple[float, float]:
    """(delay from grpc-status-details-bin, delay from google.rpc.retryinfo-bin)."""
    trailers = dict(err.trailing_metadata() or ())
    status = status_pb2.Status.FromString(trailers["grpc-status-details-bin"])
    assert status.code == code_pb2.UNAVAILABLE and status.message == err.details()
    info = error_details_pb2.RetryInfo()
    assert status.details[0].Unpack(info)
    bare = error_details_pb2.RetryInfo.FromString(trailers["google.rpc.retryinfo-bin"])
    return info.retry_delay.ToNanoseconds() / 1e9, bare.retry_delay.ToNanoseconds() / 1e9


@pytest.mark.parametrize("hint, expected", [(2.5, 2.5), (None, 1.0)], ids=["hint", "default"])
async def test_retryable_error_is_unavailable_with_retry_info(
        start_receiver: StartReceiver, sink: SinkConsumer, hint: float | None,
        expected: float) -> None:
    rcv = await start_receiver(GRPC_ONLY)
    assert rcv.grpc is not None
    sink.fail_next(1, RetryableError("queue is full", retry_after=hint))
    async with _channel(rcv.grpc.port) as ch:
        stub = trace_service_pb2_grpc.TraceServiceStub(ch)
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.Export(traces_request(3), timeout=5)
        assert err.value.code() == grpc.StatusCode.UNAVAILABLE
        assert err.value.details() == "queue is full"
        assert _retry_delay(err.value) == (expected, expected)
        await stub.Export(traces_request(3), timeout=5)
    assert sink.items[Signal.TRACES] == 3


async def test_permanent_error_is_invalid_argument(start_receiver: StartReceiver,
                                                   sink: SinkConsumer) -> None:
    rcv = await start_receiver(GRPC_ONLY)
    assert rcv.grpc is not None
    sink.fail_next(1, PermanentError("rejected by backend"))
    async with _channel(rcv.grpc.port) as ch:
        stub = metrics_service_pb2_grpc.MetricsServiceStub(ch)
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.Export(metrics_request(3), timeout=5)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert err.value.details() == "rejected by backend"
        await stub.Export(metrics_request(3), timeout=5)
    assert sink.items[Signal.METRICS] == 3


async def test_port_taken_names_endpoint(settings: Settings, sink: SinkConsumer) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        cfg = OTLPReceiverConfig.model_validate(
            {"protocols": {"grpc": {"endpoint": f"127.0.0.1:{port}"}}})
        rcv = factory.create(settings, cfg, {Signal.TRACES: sink})
        with pytest.raises(ComponentStartError, match=f"gRPC on 127.0.0.1:{port}"):
            await rcv.start(None)
        await rcv.shutdown()


async def test_shutdown_is_idempotent_and_safe_without_start(
        settings: Settings, sink: SinkConsumer) -> None:
    cfg = OTLPReceiverConfig.model_validate({"protocols": GRPC_ONLY})
    idle = factory.create(settings, cfg, {Signal.TRACES: sink})
    await idle.shutdown()
    rcv = factory.create(settings, cfg, {Signal.TRACES: sink})
    await rcv.start(None)
    port = rcv.grpc.port
    await rcv.shutdown()
    await rcv.shutdown()
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await _raw_call(port, b"")
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_opentelemetry_sdk_exporter(start_receiver: StartReceiver,
                                          sink: SinkConsumer) -> None:
    """The OpenTelemetry Python SDK's gRPC exporter delivers spans to the receiver."""
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    rcv = await start_receiver(GRPC_ONLY)
    assert rcv.grpc is not None

    def send() -> None:
        exporter = OTLPSpanExporter(endpoint=f"127.0.0.1:{rcv.grpc.port}", insecure=True)  # type: ignore[union-attr]
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        with provider.get_tracer("t").start_as_current_span("parent"):
            provider.get_tracer("t").start_span("child").end()
        provider.shutdown()

    await asyncio.to_thread(send)
    names = sorted(s.name for b in sink.batches for rs in b.message.resource_spans
                   for ss in rs.scope_spans for s in ss.spans)
    assert names == ["child", "parent"]


async def test_second_receiver_on_same_port_fails(start_receiver: StartReceiver,
                                                  settings: Settings,
                                                  sink: SinkConsumer) -> None:
    """SO_REUSEPORT is off: two receivers never silently share a port."""
    first = await start_receiver(GRPC_ONLY)
    assert first.grpc is not None
    cfg = OTLPReceiverConfig.model_validate(
        {"protocols": {"grpc": {"endpoint": f"127.0.0.1:{first.grpc.port}"}}})
    second = factory.create(settings, cfg, {Signal.TRACES: sink})
    with pytest.raises(ComponentStartError, match="cannot listen for gRPC"):
        await second.start(None)
    await _raw_call(first.grpc.port, traces_request(2).SerializeToString())
    assert sink.items[Signal.TRACES] == 2


async def test_unexpected_consumer_error_is_unknown(start_receiver: StartReceiver,
                                                    sink: SinkConsumer) -> None:
    rcv = await start_receiver(GRPC_ONLY)
    assert rcv.grpc is not None
    sink.fail_next(1, KeyError("bug downstream"))
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await _raw_call(rcv.grpc.port, traces_request(2).SerializeToString())
    assert err.value.code() == grpc.StatusCode.UNKNOWN
    await _raw_call(rcv.grpc.port, traces_request(2).SerializeToString())
    assert sink.items[Signal.TRACES] == 2

"""Hostile bodies against a running receiver (both transports): deep nesting, huge
attribute values, compression bombs. Each gets its status and its counted reason, and
a good request right after still works."""

from __future__ import annotations

import gzip
import logging
import zlib
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import grpc
import pytest
import zstandard
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.errors import PermanentError
from otelpy.pdata import Batch, otlpjson
from otelpy.receivers.otlp import OTLPReceiver, OTLPReceiverConfig, factory
from otelpy.telemetry import Telemetry
from otelpy.testing.hostile import nested_anyvalue_json, nested_anyvalue_traces, zstd_claiming
from otelpy.testing.samples import traces_request
from otelpy.testing.sink import SinkConsumer

StartReceiver = Callable[..., Awaitable[OTLPReceiver]]
Malformed = Callable[[str, str], float]
PB = "application/x-protobuf"
JSON = "application/json"
MIB = 1024 * 1024
TRACE_METHOD = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
GOOD = traces_request(4).SerializeToString()
BOTH = {"grpc": {"endpoint": "127.0.0.1:0", "max_recv_msg_size_mib": 16},
        "http": {"endpoint": "127.0.0.1:0"}}


async def _post(rcv: OTLPReceiver, body: bytes, content_type: str = PB,
                **headers: str) -> tuple[int, bytes]:
    assert rcv.http is not None
    async with aiohttp.ClientSession(auto_decompress=False) as session:
        async with session.post(f"http://127.0.0.1:{rcv.http.port}/v1/traces", data=body,
                                headers={"Content-Type": content_type, **headers}) as resp:
            return resp.status, await resp.read()


async def _grpc(rcv: OTLPReceiver, body: bytes) -> grpc.StatusCode:
    assert rcv.grpc is not None
    async with grpc.aio.insecure_channel(f"127.0.0.1:{rcv.grpc.port}") as ch:
        try:
            await ch.unary_unary(TRACE_METHOD)(body, timeout=20)
        except grpc.aio.AioRpcError as err:
            return err.code()
    return grpc.StatusCode.OK


async def _still_serving(rcv: OTLPReceiver, sink: SinkConsumer) -> None:
    before = sink.items[Signal.TRACES]
    assert (await _post(rcv, GOOD))[0] == 200
    assert await _grpc(rcv, GOOD) == grpc.StatusCode.OK
    assert sink.items[Signal.TRACES] == before + 8


@pytest.fixture
async def rcv(start_receiver: StartReceiver) -> OTLPReceiver:
    return await start_receiver(BOTH)


# -- nesting --------------------------------------------------------------------------------
@pytest.mark.parametrize("body", [b"[" * 10_000, b'{"resourceSpans":' * 10_000,
                                  nested_anyvalue_json(10_000), nested_anyvalue_json(40)],
                         ids=["arrays-10k", "objects-10k", "anyvalue-10k", "anyvalue-40"])
async def test_deep_json_is_400(rcv: OTLPReceiver, sink: SinkConsumer, malformed: Malformed,
                                body: bytes) -> None:
    status, answer = await _post(rcv, body, JSON)
    assert status == 400, answer[:200]
    assert "nested" in answer.decode()
    assert malformed("http", "malformed_json") == 1
    assert sink.items[Signal.TRACES] == 0
    await _still_serving(rcv, sink)


async def test_json_as_deep_as_protobuf_allows_is_accepted(rcv: OTLPReceiver,
                                                           sink: SinkConsumer) -> None:
    """Whatever the JSON decoder accepts, protobuf can parse again from its bytes."""
    status, _ = await _post(rcv, nested_anyvalue_json(31), JSON)
    assert status == 200
    assert ExportTraceServiceRequest.FromString(sink.batches[-1].data) is not None
    assert sink.batches[-1].data == nested_anyvalue_traces(31)


class DecodingSink(SinkConsumer):
    """A consumer that looks inside every batch, as a processor editing attributes would."""

    async def consume_traces(self, batch: Batch) -> None:
        _ = batch.message.resource_spans
        await super().consume_traces(batch)


@pytest.mark.parametrize("depth", [40, 10_000])
async def test_deep_protobuf_is_refused_by_whatever_decodes_it(depth: int) -> None:
    """The receiver's skeleton check does not look inside attributes; a consumer that
    decodes gets PermanentError (never DecodeError or RecursionError), which the receiver
    answers 400 / INVALID_ARGUMENT."""
    deep = nested_anyvalue_traces(depth)
    with pytest.raises(PermanentError, match="malformed ExportTraceServiceRequest"):
        _ = Batch.from_bytes(Signal.TRACES, deep).message
    sink = DecodingSink()
    settings = Settings(ComponentID("otlp"), Kind.RECEIVER, logging.getLogger("test"),
                        Telemetry())
    rcv = factory.create(settings, OTLPReceiverConfig.model_validate({"protocols": BOTH}),
                         {Signal.TRACES: sink})
    await rcv.start(None)
    try:
        status, answer = await _post(rcv, deep)
        assert status == 400 and b"malformed" in answer, (status, answer[:200])
        assert await _grpc(rcv, deep) == grpc.StatusCode.INVALID_ARGUMENT
        assert sink.items[Signal.TRACES] == 0
        await _still_serving(rcv, sink)
    finally:
        await rcv.shutdown()


# -- big values -----------------------------------------------------------------------------
def _with_big_attribute(size: int) -> Any:
    req = traces_request(2)
    req.resource_spans[0].scope_spans[0].spans[0].attributes.append(
        KeyValue(key="big", value=AnyValue(string_value="v" * size)))
    return req


@pytest.mark.parametrize("content_type", [PB, JSON])
async def test_a_10_mb_attribute_under_the_limit_passes(rcv: OTLPReceiver, sink: SinkConsumer,
                                                       content_type: str) -> None:
    req = _with_big_attribute(10 * 1000 * 1000)
    body = (req.SerializeToString() if content_type == PB else otlpjson.encode_bytes(req))
    assert len(body) < 20 * MIB
    status, answer = await _post(rcv, body, content_type)
    assert status == 200, answer[:200]
    assert await _grpc(rcv, req.SerializeToString()) == grpc.StatusCode.OK
    assert sink.items[Signal.TRACES] == 4
    for batch in sink.batches:
        assert batch.message == req


# -- compression bombs ----------------------------------------------------------------------
PAYLOAD = traces_request(1).SerializeToString() * 200_000  # ~40 MB of valid protobuf
BOMBS = [
    ("zstd-claims-small", "zstd", zstd_claiming(PAYLOAD, 1000), (400, 413)),
    ("zstd-no-content-size", "zstd",
     zstandard.ZstdCompressor(write_content_size=False).compress(PAYLOAD), (413,)),
    ("gzip", "gzip", gzip.compress(PAYLOAD), (413,)),
    ("deflate", "deflate", zlib.compress(PAYLOAD), (413,)),
    ("gzip-many-members", "gzip", gzip.compress(b"") * 40_000, (400,)),
]


@pytest.mark.parametrize("encoding, body, statuses", [b[1:] for b in BOMBS],
                         ids=[b[0] for b in BOMBS])
async def test_compression_bombs(rcv: OTLPReceiver, sink: SinkConsumer, malformed: Malformed,
                                 encoding: str, body: bytes, statuses: tuple[int, ...]) -> None:
    assert len(body) < MIB
    status, _ = await _post(rcv, body, PB, **{"Content-Encoding": encoding})
    assert status in statuses
    reason = "too_large" if status == 413 else "bad_content_encoding"
    assert malformed("http", reason) == 1
    assert sink.items[Signal.TRACES] == 0
    await _still_serving(rcv, sink)

"""The jaeger receiver with real Jaeger clients: jaeger-client (the archived Jaeger Python
tracer) over UDP compact, and a Batch encoded by the ``thrift`` package with jaeger-client's
own generated types (independent of otelpy's) over HTTP and UDP binary; gRPC with the
api_v2 messages. What arrives is compared field by field with what was sent."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import aiohttp
import grpc
import pytest
from jaeger_client import Config
from jaeger_client.thrift_gen.agent import Agent as ClientAgent
from jaeger_client.thrift_gen.jaeger import ttypes as jt
from thrift.protocol.TBinaryProtocol import TBinaryProtocol
from thrift.Thrift import TMessageType
from thrift.transport.TTransport import TMemoryBuffer

from otelpy.component import Kind, Signal
from otelpy.jaeger import protos
from otelpy.pdata import items
from otelpy.telemetry import Telemetry
from otelpy.testing.authhost import create_component
from otelpy.testing.polling import until
from otelpy.testing.sink import SinkConsumer

MALFORMED = "otelpy_receiver_malformed_requests_total"


async def _receiver(protocols: dict[str, Any]) -> tuple[Any, SinkConsumer, Telemetry]:
    sink, telemetry = SinkConsumer(), Telemetry()
    receiver = create_component(Kind.RECEIVER, "jaeger", {"protocols": protocols}, telemetry,
                                {Signal.TRACES: sink})
    await receiver.start(None)
    return receiver, sink, telemetry


def _spans(sink: SinkConsumer) -> list[Any]:
    return [i for b in sink.batches for i in items.spans(b.message)]


def _u64(value: int) -> bytes:
    return (value & (2**64 - 1)).to_bytes(8, "big")


def _run_jaeger_client(port: int) -> list[Any]:
    # jaeger-client's tornado futures want a current loop in this (worker) thread
    asyncio.set_event_loop(asyncio.new_event_loop())
    cfg = Config(config={"sampler": {"type": "const", "param": 1}, "logging": False,
                         "local_agent": {"reporting_host": "127.0.0.1", "reporting_port": port}},
                 service_name="checkout", validate=True)
    tracer = cfg.initialize_tracer()
    with tracer.start_span("GET /cart", tags={"span.kind": "server", "items": 3,
                                              "ratio": 0.5, "cached": False}) as parent:
        with tracer.start_span("SELECT", child_of=parent, tags={"span.kind": "client"}) as child:
            child.log_kv({"event": "retry", "attempt": 2})
            child.set_tag("error", True)
    tracer.close()
    return [parent, child]


async def test_jaeger_client_over_udp_compact() -> None:
    receiver, sink, _ = await _receiver({"thrift_compact": {"endpoint": "127.0.0.1:0"}})
    try:
        sent = await asyncio.to_thread(_run_jaeger_client, receiver.udp["thrift_compact"].port)
        await until(lambda: len(_spans(sink)) == 2, what="two spans")
    finally:
        await receiver.shutdown()
    got = {i.span.name: i for i in _spans(sink)}
    parent, child = sent
    for want in sent:
        item = got[want.operation_name]
        assert item.span.trace_id == _u64(0) + _u64(want.trace_id)
        assert item.span.span_id == _u64(want.span_id)
        assert item.span.start_time_unix_nano == int(want.start_time * 1e6) * 1000
        assert item.resource_attributes["service.name"] == "checkout"
        assert item.resource_attributes["opencensus.exporterversion"].startswith("Jaeger-")
    p, c = got["GET /cart"].span, got["SELECT"].span
    assert p.parent_span_id == b"" and c.parent_span_id == _u64(parent.span_id)
    assert (p.kind, c.kind) == (2, 3)  # server, client
    attrs = got["GET /cart"].attributes
    assert (attrs["items"], attrs["ratio"], attrs["cached"]) == (3, 0.5, False)
    assert "span.kind" not in attrs
    assert c.status.code == 2 and "error" not in got["SELECT"].attributes
    assert [(e.name, {kv.key: kv.value.int_value for kv in e.attributes}) for e in c.events] \
        == [("retry", {"attempt": 2})]


def _batch() -> Any:
    high, low = 0x0102030405060708, -0x1122334455667788  # 128-bit, low half negative as i64
    tags = [jt.Tag("http.status_code", jt.TagType.LONG, vLong=503),
            # jaeger-client's generated writer takes binary as str (an old Thrift quirk)
            jt.Tag("blob", jt.TagType.BINARY, vBinary="\x00\x01"),
            jt.Tag("otel.status_code", jt.TagType.STRING, vStr="ERROR"),
            jt.Tag("otel.status_description", jt.TagType.STRING, vStr="backend down")]
    refs = [jt.SpanRef(jt.SpanRefType.CHILD_OF, low, high, 7),
            jt.SpanRef(jt.SpanRefType.FOLLOWS_FROM, 5, 0, 99)]
    span = jt.Span(traceIdLow=low, traceIdHigh=high, spanId=42, parentSpanId=0,
                   operationName="charge", references=refs, flags=1,
                   startTime=1_700_000_000_000_001, duration=250, tags=tags,
                   logs=[jt.Log(1_700_000_000_000_100, [jt.Tag("event", 0, vStr="sent")])])
    process = jt.Process("payments", [jt.Tag("hostname", 0, vStr="host-1")])
    return jt.Batch(process, [span])


def _check_batch_arrived(sink: SinkConsumer) -> None:
    (item,) = _spans(sink)
    span = item.span
    assert span.trace_id == bytes.fromhex("0102030405060708") + _u64(-0x1122334455667788)
    assert span.span_id == _u64(42) and span.parent_span_id == _u64(7)
    assert (span.start_time_unix_nano, span.end_time_unix_nano) == \
        (1_700_000_000_000_001_000, 1_700_000_000_000_251_000)
    assert dict(item.attributes) == {"http.status_code": 503, "blob": b"\x00\x01"}
    assert (span.status.code, span.status.message) == (2, "backend down")
    assert [(e.name, e.time_unix_nano) for e in span.events] == \
        [("sent", 1_700_000_000_000_100_000)]
    (link,) = span.links
    assert link.trace_id == _u64(0) + _u64(5) and link.span_id == _u64(99)
    assert link.attributes[0].value.string_value == "follows_from"
    assert dict(item.resource_attributes) == {"service.name": "payments", "host.name": "host-1"}


async def test_thrift_http_batch() -> None:
    receiver, sink, telemetry = await _receiver({"thrift_http": {"endpoint": "127.0.0.1:0"}})
    buffer = TMemoryBuffer()
    _batch().write(TBinaryProtocol(buffer))
    url = f"http://127.0.0.1:{receiver.http_port}/api/traces"
    try:
        async with aiohttp.ClientSession() as session:
            async with session.post(url, data=buffer.getvalue(),
                                    headers={"Content-Type": "application/x-thrift"}) as r:
                assert r.status == 202
            async with session.post(url, data=b"\x0c\x00\x01garbage",
                                    headers={"Content-Type": "application/x-thrift"}) as r:
                assert r.status == 400
            async with session.post(url, data=b"{}",
                                    headers={"Content-Type": "application/json"}) as r:
                assert r.status == 400
    finally:
        await receiver.shutdown()
    _check_batch_arrived(sink)
    assert telemetry.value(MALFORMED, {"receiver": "jaeger", "transport": "thrift_http",
                                       "reason": "malformed_thrift"}) == 1


async def test_udp_binary_emit_batch_and_garbage() -> None:
    receiver, sink, telemetry = await _receiver({"thrift_binary": {"endpoint": "127.0.0.1:0"}})
    buffer = TMemoryBuffer()
    proto = TBinaryProtocol(buffer)  # what a client's Agent.emitBatch writes
    proto.writeMessageBegin("emitBatch", TMessageType.ONEWAY, 0)
    ClientAgent.emitBatch_args(batch=_batch()).write(proto)
    proto.writeMessageEnd()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    port = receiver.udp["thrift_binary"].port
    labels = {"receiver": "jaeger", "transport": "thrift_binary", "reason": "malformed_thrift"}
    try:
        sock.sendto(b"\x80\x01\x00\x04garbage", ("127.0.0.1", port))
        await until(lambda: telemetry.value(MALFORMED, labels) == 1, what="garbage counted")
        sock.sendto(buffer.getvalue(), ("127.0.0.1", port))
        await until(lambda: _spans(sink), what="the batch")
    finally:
        sock.close()
        await receiver.shutdown()
    _check_batch_arrived(sink)


async def test_grpc_post_spans_and_malformed() -> None:
    receiver, sink, telemetry = await _receiver({"grpc": {"endpoint": "127.0.0.1:0"}})
    request = protos.PostSpansRequest()
    batch = request.batch
    batch.process.service_name = "api"
    span = batch.spans.add(trace_id=bytes(range(1, 17)), span_id=_u64(3),
                           operation_name="op")
    span.start_time.seconds, span.start_time.nanos = 1_700_000_000, 5
    span.duration.nanos = 1500
    span.references.add(trace_id=bytes(range(1, 17)), span_id=_u64(2), ref_type=0)
    span.tags.add(key="otel.scope.name", v_str="lib")
    span.tags.add(key="w3c.tracestate", v_str="a=b")
    span.tags.add(key="n", v_type=2, v_int64=-4)
    method = f"/{protos.SERVICE}/PostSpans"
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{receiver.grpc_port}") as channel:
            call = channel.unary_unary(method)
            assert await call(request.SerializeToString(), timeout=10) == b""
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await call(b"\x0a\x05\xff\xff", timeout=10)
            assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    finally:
        await receiver.shutdown()
    (item,) = _spans(sink)
    assert item.span.trace_id == bytes(range(1, 17)) and item.span.parent_span_id == _u64(2)
    assert (item.span.start_time_unix_nano, item.span.end_time_unix_nano) == \
        (1_700_000_000_000_000_005, 1_700_000_000_000_001_505)
    assert item.scope.scope.name == "lib" and item.span.trace_state == "a=b"
    assert dict(item.attributes) == {"n": -4} and not item.span.links
    assert telemetry.value(MALFORMED, {"receiver": "jaeger", "transport": "grpc",
                                       "reason": "malformed_protobuf"}) == 1

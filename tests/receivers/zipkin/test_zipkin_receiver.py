"""The zipkin receiver with the OpenTelemetry Python SDK's Zipkin JSON exporter, Zipkin v1
JSON, and malformed input; and the zipkin exporter read back by a local HTTP server."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
from aiohttp import web
from opentelemetry.exporter.zipkin.json import ZipkinExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

from otelpy.component import Kind, Signal
from otelpy.pdata import Batch, items
from otelpy.telemetry import Telemetry
from otelpy.testing.authhost import create_component
from otelpy.testing.polling import until
from otelpy.testing.sink import FakeHost, SinkConsumer

MALFORMED = "otelpy_receiver_malformed_requests_total"


async def _receiver(**cfg: Any) -> tuple[Any, SinkConsumer, Telemetry]:
    sink, telemetry = SinkConsumer(), Telemetry()
    receiver = create_component(Kind.RECEIVER, "zipkin", {"endpoint": "127.0.0.1:0", **cfg},
                                telemetry, {Signal.TRACES: sink})
    await receiver.start(None)
    return receiver, sink, telemetry


def _spans(sink: SinkConsumer) -> list[Any]:
    return [i for b in sink.batches for i in items.spans(b.message)]


def _export_with_sdk(port: int) -> list[Any]:
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "shop"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    provider.add_span_processor(SimpleSpanProcessor(
        ZipkinExporter(endpoint=f"http://127.0.0.1:{port}/api/v2/spans")))
    tracer = provider.get_tracer("shop.lib", "1.2")
    with tracer.start_as_current_span("checkout", kind=SpanKind.SERVER) as parent:
        parent.set_attribute("cart.items", 3)
        with tracer.start_as_current_span(
                "pay", kind=SpanKind.CLIENT,
                links=[Link(parent.get_span_context(), {"why": "retry"})]) as child:
            child.add_event("charged", {"amount": 9.5})
            child.set_status(Status(StatusCode.ERROR, "card declined"))
    provider.shutdown()
    return list(memory.get_finished_spans())


async def test_otel_sdk_zipkin_json_exporter() -> None:
    receiver, sink, _ = await _receiver()
    try:
        sent = await asyncio.to_thread(_export_with_sdk, receiver.port)
        await until(lambda: len(_spans(sink)) == 2, what="two spans")
    finally:
        await receiver.shutdown()
    got = {i.span.name: i for i in _spans(sink)}
    for want in sent:
        item = got[want.name]
        ctx = want.get_span_context()
        assert item.span.trace_id == ctx.trace_id.to_bytes(16, "big")
        assert item.span.span_id == ctx.span_id.to_bytes(8, "big")
        # the SDK rounds to microseconds
        assert item.span.start_time_unix_nano == (want.start_time + 500) // 1000 * 1000
        assert item.resource_attributes["service.name"] == "shop"
        assert (item.scope.scope.name, item.scope.scope.version) == ("shop.lib", "1.2")
        parent = want.parent.span_id.to_bytes(8, "big") if want.parent else b""
        assert item.span.parent_span_id == parent
    checkout, pay = got["checkout"], got["pay"]
    assert (checkout.span.kind, pay.span.kind) == (2, 3)
    assert checkout.attributes["cart.items"] == "3"  # Zipkin tags are strings
    assert pay.span.status.code == 2
    # the SDK writes an event as the annotation {"name": {attributes}}; the Collector reads
    # only its own "name|{attributes}|dropped" form, so the whole value is the event's name
    assert [(e.name, len(e.attributes)) for e in pay.span.events] == \
        [(json.dumps({"charged": {"amount": 9.5}}), 0)]
    assert not pay.span.links  # the SDK's Zipkin encoding has no links (Zipkin has none)


async def test_parse_string_tags_v1_and_malformed() -> None:
    receiver, sink, telemetry = await _receiver(parse_string_tags=True)
    base = f"http://127.0.0.1:{receiver.port}"
    v2 = [{"traceId": "00000000000000010000000000000002", "id": "0000000000000003",
           "name": "op", "timestamp": 1_700_000_000_000_000, "duration": 10,
           "localEndpoint": {"serviceName": "svc", "ipv4": "10.0.0.1", "port": 80},
           "tags": {"n": "12", "f": "1.5", "b": "true", "s": "x"}}]
    v1 = [{"traceId": "0000000000000009", "id": "000000000000000a", "name": "v1op",
           "timestamp": 5, "duration": 7,
           "annotations": [{"timestamp": 5, "value": "sr",
                            "endpoint": {"serviceName": "old", "ipv4": "10.0.0.2"}}],
           "binaryAnnotations": [{"key": "lc", "value": "db"}]}]
    try:
        async with aiohttp.ClientSession() as session:
            for path, body in (("/api/v2/spans", v2), ("/api/v1/spans", v1)):
                async with session.post(base + path, json=body) as r:
                    assert r.status == 202
            for bad in (b"[{", b'[{"traceId":"zz","id":"0000000000000003"}]', b"{}"):
                async with session.post(base + "/api/v2/spans", data=bad,
                                        headers={"Content-Type": "application/json"}) as r:
                    assert r.status == 400
    finally:
        await receiver.shutdown()
    got = {i.span.name: i for i in _spans(sink)}
    assert {k: got["op"].attributes[k] for k in "nfbs"} == {"n": 12, "f": 1.5, "b": True,
                                                            "s": "x"}
    assert got["op"].attributes["net.host.ip"] == "10.0.0.1"
    assert got["v1op"].span.kind == 2 and got["v1op"].attributes["component"] == "db"
    assert dict(got["v1op"].resource_attributes) == {"service.name": "old", "ipv4": "10.0.0.2"}
    assert telemetry.value(MALFORMED, {"receiver": "zipkin", "transport": "http_v2_json",
                                       "reason": "malformed"}) == 3


async def test_exporter_json_and_proto_read_back() -> None:
    bodies: list[tuple[str, bytes]] = []

    async def collect(request: web.Request) -> web.Response:
        bodies.append((request.content_type, await request.read()))
        return web.Response(status=202)

    app = web.Application()
    app.router.add_post("/api/v2/spans", collect)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    request = _otlp_request()
    try:
        for expected, fmt in enumerate(("json", "proto"), start=1):
            exporter = create_component(
                Kind.EXPORTER, f"zipkin/{fmt}",
                {"endpoint": f"http://127.0.0.1:{port}/api/v2/spans", "format": fmt},
                Telemetry(), [Signal.TRACES])
            await exporter.start(FakeHost())
            await exporter.consume_traces(Batch.from_message(Signal.TRACES, request))
            await until(lambda n=expected: len(bodies) >= n, what=f"{fmt} body")
            await exporter.shutdown()
    finally:
        await runner.cleanup()
    (span,) = json.loads(bodies[0][1])
    assert bodies[0][0] == "application/json"
    assert span == {
        "traceId": "0102030405060708090a0b0c0d0e0f10", "id": "1112131415161718",
        "parentId": "2122232425262728", "kind": "SERVER", "name": "GET /",
        "timestamp": 1_700_000_000_000_000, "duration": 2500,
        "localEndpoint": {"serviceName": "web", "ipv4": "10.1.2.3", "port": 8080},
        "remoteEndpoint": {"serviceName": "db"},
        "annotations": [{"timestamp": 1_700_000_000_000_100, "value": 'hit|{"n":2}|0'}],
        "tags": {"deployment.environment": "prod", "otel.library.name": "lib",
                 "http.method": "GET", "error": "boom", "otel.status_code": "Error",
                 "otel.status_description": "boom"}}
    from otelpy.zipkin.model import decode_proto
    assert bodies[1][0] == "application/x-protobuf"
    (zspan,) = decode_proto(bodies[1][1])
    assert zspan.trace_id.hex() == span["traceId"] and zspan.kind == "SERVER"
    assert zspan.tags == span["tags"] and zspan.local is not None
    assert zspan.local.ipv4 == "10.1.2.3" and zspan.duration_us == 2500


def _otlp_request() -> Any:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    from otelpy.pdata.values import Attributes
    request = ExportTraceServiceRequest()
    rs = request.resource_spans.add()
    Attributes(rs.resource.attributes).update(
        {"service.name": "web", "deployment.environment": "prod"})
    ss = rs.scope_spans.add()
    ss.scope.name = "lib"
    span = ss.spans.add(trace_id=bytes(range(1, 17)), span_id=bytes(range(0x11, 0x19)),
                        parent_span_id=bytes(range(0x21, 0x29)), name="GET /", kind=2,
                        start_time_unix_nano=1_700_000_000_000_000_000,
                        end_time_unix_nano=1_700_000_000_002_500_000)
    Attributes(span.attributes).update({"http.method": "GET", "net.host.ip": "10.1.2.3",
                                        "net.host.port": 8080, "peer.service": "db"})
    event = span.events.add(time_unix_nano=1_700_000_000_000_100_000, name="hit")
    Attributes(event.attributes)["n"] = 2
    span.status.code, span.status.message = 2, "boom"
    return request

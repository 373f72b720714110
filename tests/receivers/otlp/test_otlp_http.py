"""OTLP/HTTP: a real aiohttp client (and the SDK's exporter) against the receiver."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
import zstandard
from google.rpc import code_pb2, error_details_pb2, status_pb2
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from otelpy.component import Signal
from otelpy.errors import PermanentError, RetryableError
from otelpy.pdata import otlpjson
from otelpy.receivers.otlp import OTLPReceiver
from otelpy.testing.samples import logs_request, metrics_request, traces_request
from otelpy.testing.sink import SinkConsumer

StartReceiver = Callable[..., Awaitable[OTLPReceiver]]
Malformed = Callable[[str, str], float]
PB = "application/x-protobuf"
JSON = "application/json"
HTTP_ONLY: dict[str, Any] = {"http": {"endpoint": "127.0.0.1:0"}}
TRACE_ID = "5b8efff798038103d269b633813fc60c"
SPAN_ID = "eee19b7ec3c1b174"


class Answer:
    def __init__(self, status: int, headers: Any, body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def status_message(self) -> status_pb2.Status:
        """The google.rpc.Status body, in whichever content type it came."""
        if self.headers["Content-Type"].startswith(JSON):
            doc = json.loads(self.body)
            st = status_pb2.Status(code=doc["code"], message=doc["message"])
            for detail in doc.get("details", ()):
                assert detail["@type"] == "type.googleapis.com/google.rpc.RetryInfo"
                info = error_details_pb2.RetryInfo()
                info.retry_delay.FromJsonString(detail["retryDelay"])
                st.details.add().Pack(info)
            return st
        return status_pb2.Status.FromString(self.body)


async def post(rcv: OTLPReceiver, path: str, body: Any, content_type: str | None = PB,
               method: str = "POST", **headers: str) -> Answer:
    assert rcv.http is not None
    if content_type is not None:
        headers["Content-Type"] = content_type
    async with aiohttp.ClientSession(auto_decompress=False) as session:
        async with session.request(method, f"http://127.0.0.1:{rcv.http.port}{path}",
                                   data=body, headers=headers) as resp:
            return Answer(resp.status, resp.headers, await resp.read())


async def _chunks(data: bytes, size: int = 1000) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i:i + size]
        await asyncio.sleep(0)


@pytest.fixture
async def rcv(start_receiver: StartReceiver) -> OTLPReceiver:
    return await start_receiver(HTTP_ONLY)


async def test_protobuf_all_signals(rcv: OTLPReceiver, sink: SinkConsumer) -> None:
    for path, req in (("/v1/traces", traces_request(64)), ("/v1/metrics", metrics_request(9)),
                      ("/v1/logs", logs_request(7))):
        ans = await post(rcv, path, req.SerializeToString())
        assert ans.status == 200 and ans.headers["Content-Type"] == PB
        assert ans.body == b""  # an empty Export*ServiceResponse
    assert sink.items == {Signal.TRACES: 64, Signal.METRICS: 9, Signal.LOGS: 7}
    assert sink.batches[0].data == traces_request(64).SerializeToString()


async def test_json_all_signals(rcv: OTLPReceiver, sink: SinkConsumer) -> None:
    for path, signal, req in (("/v1/traces", Signal.TRACES, traces_request(10)),
                              ("/v1/metrics", Signal.METRICS, metrics_request(6)),
                              ("/v1/logs", Signal.LOGS, logs_request(5))):
        ans = await post(rcv, path, otlpjson.encode_bytes(req), "application/json; charset=utf-8")
        assert ans.status == 200 and ans.headers["Content-Type"].startswith(JSON)
        assert json.loads(ans.body) == {}
        assert sink.batches[-1].message == req and sink.batches[-1].signal is signal


@pytest.mark.parametrize("encoding, compress", [
    ("gzip", gzip.compress),
    ("zstd", lambda b: zstandard.ZstdCompressor().compress(b)),
    ("deflate", zlib.compress),
    ("identity", lambda b: b),
], ids=["gzip", "zstd", "deflate", "identity"])
async def test_content_encodings(rcv: OTLPReceiver, sink: SinkConsumer, encoding: str,
                                 compress: Callable[[bytes], bytes]) -> None:
    req = traces_request(100)
    ans = await post(rcv, "/v1/traces", compress(req.SerializeToString()),
                     **{"Content-Encoding": encoding})
    assert ans.status == 200
    ans = await post(rcv, "/v1/logs", compress(otlpjson.encode_bytes(logs_request(3))), JSON,
                     **{"Content-Encoding": encoding})
    assert ans.status == 200
    assert sink.batches[0].message == req and sink.items[Signal.LOGS] == 3


async def test_chunked_bodies_without_content_length(rcv: OTLPReceiver,
                                                     sink: SinkConsumer) -> None:
    data = traces_request(200).SerializeToString()
    ans = await post(rcv, "/v1/traces", _chunks(data))
    assert ans.status == 200
    ans = await post(rcv, "/v1/traces", _chunks(gzip.compress(data), 100),
                     **{"Content-Encoding": "gzip"})
    assert ans.status == 200
    assert sink.items[Signal.TRACES] == 400 and sink.batches[1].data == data


async def test_json_partial_success_for_bad_ids(rcv: OTLPReceiver, sink: SinkConsumer,
                                                malformed: Malformed) -> None:
    spans = [{"traceId": TRACE_ID, "spanId": SPAN_ID, "name": "ok"},
             {"traceId": TRACE_ID[:-2], "spanId": SPAN_ID, "name": "short trace id"},
             {"traceId": TRACE_ID, "spanId": SPAN_ID + "00", "name": "long span id"}]
    doc = {"resourceSpans": [{"scopeSpans": [{"spans": spans}]}]}
    ans = await post(rcv, "/v1/traces", json.dumps(doc), JSON)
    assert ans.status == 200
    partial = json.loads(ans.body)["partialSuccess"]
    assert partial["rejectedSpans"] == "2"
    assert "spans[1].traceId" in partial["errorMessage"]
    assert [s.name for b in sink.batches for s in
            b.message.resource_spans[0].scope_spans[0].spans] == ["ok"]
    assert malformed("http", "invalid_ids") == 1
    logs_doc = {"resourceLogs": [{"scopeLogs": [{"logRecords": [{"spanId": "abc"}]}]}]}
    ans = await post(rcv, "/v1/logs", json.dumps(logs_doc), JSON)
    assert json.loads(ans.body)["partialSuccess"]["rejectedLogRecords"] == "1"
    assert sink.items[Signal.LOGS] == 0  # nothing left: the consumer was not called


async def test_method_not_allowed(rcv: OTLPReceiver, malformed: Malformed) -> None:
    for method in ("GET", "PUT", "DELETE"):
        ans = await post(rcv, "/v1/traces", None, None, method=method)
        assert ans.status == 405 and ans.headers["Allow"] == "POST"
    assert malformed("http", "method_not_allowed") == 3


async def test_unsupported_content_type(rcv: OTLPReceiver, sink: SinkConsumer,
                                        malformed: Malformed) -> None:
    for ctype in ("text/plain", "application/grpc", None):
        ans = await post(rcv, "/v1/traces", traces_request(2).SerializeToString(), ctype)
        assert ans.status == 415
        assert b"application/x-protobuf" in ans.body
    assert malformed("http", "unsupported_content_type") == 3 and sink.calls == 0


async def test_unserved_signal_and_unknown_path_are_404(start_receiver: StartReceiver,
                                                        sink: SinkConsumer) -> None:
    rcv = await start_receiver(HTTP_ONLY, signals=(Signal.LOGS,))
    assert (await post(rcv, "/v1/traces", traces_request(2).SerializeToString())).status == 404
    assert (await post(rcv, "/v1/nothing", b"")).status == 404
    assert (await post(rcv, "/v1/logs", logs_request(2).SerializeToString())).status == 200
    assert sink.items[Signal.LOGS] == 2


async def test_custom_url_paths(start_receiver: StartReceiver, sink: SinkConsumer) -> None:
    rcv = await start_receiver({"http": {"endpoint": "127.0.0.1:0",
                                         "traces_url_path": "custom/traces"}})
    assert (await post(rcv, "/custom/traces", traces_request(3).SerializeToString())).status \
        == 200
    assert (await post(rcv, "/v1/traces", traces_request(3).SerializeToString())).status == 404
    assert sink.items[Signal.TRACES] == 3


BAD_BODIES = [
    ("truncated-protobuf", PB, traces_request(8).SerializeToString()[:-5], {},
     "malformed_protobuf"),
    ("random-bytes", PB, os.urandom(3000), {}, "malformed_protobuf"),
    ("invalid-json", JSON, b'{"resourceSpans": [', {}, "malformed_json"),
    ("json-wrong-types", JSON, b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"name": 5}]}]}]}',
     {}, "malformed_json"),
    ("json-not-object", JSON, b"[1, 2]", {}, "malformed_json"),
    ("corrupt-gzip", PB, b"\x1f\x8b\x08\x00garbage", {"Content-Encoding": "gzip"},
     "bad_content_encoding"),
    ("truncated-zstd", PB, zstandard.ZstdCompressor().compress(b"x" * 1000)[:-4],
     {"Content-Encoding": "zstd"}, "bad_content_encoding"),
    ("unknown-encoding", PB, b"", {"Content-Encoding": "br"}, "bad_content_encoding"),
]


@pytest.mark.parametrize("ctype, body, headers, reason", [b[1:] for b in BAD_BODIES],
                         ids=[b[0] for b in BAD_BODIES])
async def test_bad_bodies_are_400(rcv: OTLPReceiver, sink: SinkConsumer, malformed: Malformed,
                                  ctype: str, body: bytes, headers: dict[str, str],
                                  reason: str) -> None:
    ans = await post(rcv, "/v1/traces", body, ctype, **headers)
    assert ans.status == 400
    assert ans.headers["Content-Type"].startswith(ctype)
    st = ans.status_message()
    assert st.code == code_pb2.INVALID_ARGUMENT and st.message
    assert malformed("http", reason) == 1
    assert sink.calls == 0
    ok = await post(rcv, "/v1/traces", traces_request(4).SerializeToString())
    assert ok.status == 200 and sink.items[Signal.TRACES] == 4


LIMITED = {"http": {"endpoint": "127.0.0.1:0", "max_request_body_size": 100_000}}


@pytest.mark.parametrize("encoding", ["gzip", "zstd", "deflate"])
async def test_compression_bomb_is_413(start_receiver: StartReceiver, sink: SinkConsumer,
                                       malformed: Malformed, encoding: str) -> None:
    rcv = await start_receiver(LIMITED)
    bomb_source = b"\x00" * 5_000_000
    bomb = {"gzip": gzip.compress, "deflate": zlib.compress,
            "zstd": zstandard.ZstdCompressor().compress}[encoding](bomb_source)
    assert len(bomb) < 100_000
    ans = await post(rcv, "/v1/traces", bomb, **{"Content-Encoding": encoding})
    assert ans.status == 413
    assert "inflates past the limit of 100000" in ans.status_message().message
    assert malformed("http", "too_large") == 1
    assert (await post(rcv, "/v1/traces", traces_request(3).SerializeToString())).status == 200
    assert sink.items[Signal.TRACES] == 3


async def test_oversized_raw_body_is_413(start_receiver: StartReceiver, sink: SinkConsumer,
                                         malformed: Malformed) -> None:
    rcv = await start_receiver(LIMITED)
    big = traces_request(1000).SerializeToString()
    assert len(big) > 100_000
    ans = await post(rcv, "/v1/traces", big)  # with Content-Length
    assert ans.status == 413 and ans.status_message().message
    ans = await post(rcv, "/v1/traces", _chunks(big, 8192), JSON)  # chunked, no length
    assert ans.status == 413 and ans.headers["Content-Type"] == JSON
    assert malformed("http", "too_large") == 2
    assert (await post(rcv, "/v1/traces", traces_request(3).SerializeToString())).status == 200
    assert sink.items[Signal.TRACES] == 3


@pytest.mark.parametrize("hint, header", [(2.5, "3"), (None, "1")], ids=["hint", "default"])
async def test_retryable_error_is_503_with_retry_after(rcv: OTLPReceiver, sink: SinkConsumer,
                                                       hint: float | None, header: str) -> None:
    for ctype, body in ((PB, traces_request(2).SerializeToString()),
                        (JSON, otlpjson.encode_bytes(traces_request(2)))):
        sink.fail_next(1, RetryableError("memory limit reached", retry_after=hint))
        ans = await post(rcv, "/v1/traces", body, ctype)
        assert ans.status == 503 and ans.headers["Retry-After"] == header
        st = ans.status_message()
        assert st.code == code_pb2.UNAVAILABLE and st.message == "memory limit reached"
        info = error_details_pb2.RetryInfo()
        assert st.details[0].Unpack(info)
        assert info.retry_delay.ToNanoseconds() == int((hint or 1.0) * 1e9)
    assert sink.items[Signal.TRACES] == 0


async def test_permanent_error_is_400(rcv: OTLPReceiver, sink: SinkConsumer) -> None:
    sink.fail_next(1, PermanentError("rejected by backend"))
    ans = await post(rcv, "/v1/logs", logs_request(2).SerializeToString())
    assert ans.status == 400
    assert ans.status_message() == status_pb2.Status(code=code_pb2.INVALID_ARGUMENT,
                                                     message="rejected by backend")
    assert "Retry-After" not in ans.headers
    assert ExportLogsServiceResponse.FromString(
        (await post(rcv, "/v1/logs", logs_request(2).SerializeToString())).body) \
        == ExportLogsServiceResponse()


async def test_read_timeout_is_408(start_receiver: StartReceiver, malformed: Malformed) -> None:
    rcv = await start_receiver({"http": {"endpoint": "127.0.0.1:0", "read_timeout": "200ms"}})
    assert rcv.http is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", rcv.http.port)
    writer.write(b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf"
                 b"\r\nContent-Length: 1000\r\n\r\npartial")
    await writer.drain()
    status_line = await asyncio.wait_for(reader.readline(), 5)
    writer.close()
    assert status_line.startswith(b"HTTP/1.1 408")
    assert malformed("http", "read_timeout") == 1


async def test_cors(start_receiver: StartReceiver, sink: SinkConsumer) -> None:
    rcv = await start_receiver({"http": {"endpoint": "127.0.0.1:0", "cors": {
        "allowed_origins": ["https://*.example.com"], "allowed_headers": ["X-Custom"],
        "max_age": 600}}})
    ok = await post(rcv, "/v1/traces", None, None, method="OPTIONS", **{
        "Origin": "https://app.example.com", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, x-custom"})
    assert ok.status == 204
    assert ok.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert ok.headers["Access-Control-Allow-Methods"] == "POST"
    assert ok.headers["Access-Control-Allow-Headers"] == "content-type, x-custom"
    assert ok.headers["Access-Control-Max-Age"] == "600"
    for origin, wanted in (("https://evil.test", "content-type"),
                           ("https://app.example.com", "x-other")):
        denied = await post(rcv, "/v1/traces", None, None, method="OPTIONS", **{
            "Origin": origin, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": wanted})
        assert denied.status == 204 and "Access-Control-Allow-Origin" not in denied.headers
    sent = await post(rcv, "/v1/traces", traces_request(2).SerializeToString(),
                      Origin="https://app.example.com")
    assert sent.status == 200
    assert sent.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert sent.headers["Access-Control-Allow-Credentials"] == "true"
    other = await post(rcv, "/v1/traces", traces_request(2).SerializeToString(),
                       Origin="https://evil.test")
    assert other.status == 200 and "Access-Control-Allow-Origin" not in other.headers
    assert sink.items[Signal.TRACES] == 4


async def test_opentelemetry_sdk_http_exporter(rcv: OTLPReceiver, sink: SinkConsumer) -> None:
    """The OpenTelemetry Python SDK's HTTP exporter (protobuf, gzip) delivers spans."""
    from opentelemetry.exporter.otlp.proto.http import Compression
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    assert rcv.http is not None
    url = f"http://127.0.0.1:{rcv.http.port}/v1/traces"

    def send() -> None:
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(
            OTLPSpanExporter(endpoint=url, compression=Compression.Gzip)))
        provider.get_tracer("t").start_span("via-http").end()
        provider.shutdown()

    await asyncio.to_thread(send)
    spans = [s for b in sink.batches for rs in b.message.resource_spans
             for ss in rs.scope_spans for s in ss.spans]
    assert [s.name for s in spans] == ["via-http"] and len(spans[0].trace_id) == 16
    assert ExportTraceServiceResponse() == ExportTraceServiceResponse.FromString(b"")


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    body: bytes) -> bytes:
    writer.write(b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf"
                 b"\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length")))
    await reader.readexactly(length)
    return head


@pytest.mark.parametrize("idle", [None, "300ms"], ids=["no-limit", "idle-timeout"])
async def test_keep_alive(start_receiver: StartReceiver, sink: SinkConsumer,
                          idle: str | None) -> None:
    """Connections stay open between requests; idle_timeout closes idle ones."""
    http: dict[str, Any] = {"endpoint": "127.0.0.1:0"}
    if idle:
        http["idle_timeout"] = idle
    rcv = await start_receiver({"http": http})
    assert rcv.http is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", rcv.http.port)
    body = traces_request(3).SerializeToString()
    for _ in range(3):
        assert (await _exchange(reader, writer, body)).startswith(b"HTTP/1.1 200")
        await asyncio.sleep(0.05)
    assert sink.items[Signal.TRACES] == 9
    if idle:
        assert await asyncio.wait_for(reader.read(), 5) == b""  # closed by the server
    else:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(reader.read(), 0.5)
    writer.close()


async def test_large_json_body(rcv: OTLPReceiver, sink: SinkConsumer) -> None:
    """A JSON body big enough to be decoded off the event loop arrives intact."""
    req = traces_request(600)
    data = otlpjson.encode_bytes(req)
    assert len(data) > 64 * 1024
    ans = await post(rcv, "/v1/traces", gzip.compress(data), JSON, **{"Content-Encoding": "gzip"})
    assert ans.status == 200 and json.loads(ans.body) == {}
    assert sink.batches[0].message == req
    bad = await post(rcv, "/v1/traces", data[:-1], JSON)
    assert bad.status == 400 and "invalid OTLP/JSON" in bad.status_message().message

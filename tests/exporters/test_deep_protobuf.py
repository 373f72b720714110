"""A request whose attribute values are nested deeper than protobuf parses passes the
receiver's skeleton check; whatever decodes it downstream gets PermanentError, never a
crash: an exporter (debug, file, otlphttp with OTLP/JSON) counts the batch as failed
(whether it sends from its sending queue or inline), a processor decoding in the request
path answers 400 / INVALID_ARGUMENT. otelpy keeps serving: a good request right after
is delivered."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp
import grpc
import pytest

from otelpy.service import Service
from otelpy.testing.hostile import nested_anyvalue_traces
from otelpy.testing.polling import until
from otelpy.testing.process import free_ports
from otelpy.testing.samples import traces_request
from otelpy.testing.servers import HttpSink

DEEP = nested_anyvalue_traces(40)  # 40 AnyValue levels: 120+ messages, protobuf stops at 100
GOOD = traces_request(3).SerializeToString()
TRACE_METHOD = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"


def _config(http: int, grpc_port: int, exporter: str, queue: bool, out: Path,
            processor: bool = False, sink: str = "") -> str:
    settings = {"debug": {"verbosity": "detailed"},
                "file": {"path": str(out), "format": "json", "flush_interval": 0},
                "otlphttp": {"endpoint": sink, "encoding": "json"}}[exporter]
    settings["sending_queue"] = {"enabled": queue}
    processors = ""
    if processor:
        processors = ("processors:\n  attributes:\n    actions:\n"
                      "      - {key: env, value: prod, action: insert}\n")
    return f"""
receivers:
  otlp:
    protocols:
      http: {{endpoint: "127.0.0.1:{http}"}}
      grpc: {{endpoint: "127.0.0.1:{grpc_port}"}}
{processors}exporters:
  {exporter}: {json.dumps(settings)}
service:
  telemetry: {{metrics: {{level: none}}}}
  pipelines:
    traces:
      receivers: [otlp]
      processors: [{"attributes" if processor else ""}]
      exporters: [{exporter}]
"""


async def _post(port: int, body: bytes) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session:
        async with session.post(f"http://127.0.0.1:{port}/v1/traces", data=body,
                                headers={"Content-Type": "application/x-protobuf"}) as resp:
            return resp.status, (await resp.read()).decode("utf-8", "replace")


async def _grpc(port: int, body: bytes) -> grpc.StatusCode:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        try:
            await channel.unary_unary(TRACE_METHOD)(body, timeout=20)
        except grpc.aio.AioRpcError as err:
            return err.code()
    return grpc.StatusCode.OK


async def _service(tmp_path: Path, text: str) -> Service:
    cfg = tmp_path / "otelpy.yaml"
    cfg.write_text(text)
    service = Service([str(cfg)])
    await service.start(service.load())
    return service


@pytest.mark.parametrize("queue", [True, False], ids=["queued", "inline"])
@pytest.mark.parametrize("exporter", ["debug", "file", "otlphttp"])
async def test_exporter_counts_a_too_deep_batch_as_failed(tmp_path: Path, exporter: str,
                                                          queue: bool) -> None:
    http, grpc_port = free_ports(2)
    out = tmp_path / "out.jsonl"
    sink = HttpSink()  # otlphttp's backend (OTLP/JSON: it must decode the batch to send it)
    await sink.start()
    service = await _service(tmp_path, _config(http, grpc_port, exporter, queue, out,
                                               sink=sink.endpoint))
    tel = service.telemetry
    labels = {"exporter": exporter}
    try:
        status, text = await _post(http, DEEP)
        code = await _grpc(grpc_port, DEEP)
        if queue:  # accepted into the queue; the send fails later
            assert (status, code) == (200, grpc.StatusCode.OK), text
        else:  # the inline send's PermanentError is the client's answer
            assert status == 400 and "ExportTraceServiceRequest" in text, text
            assert code == grpc.StatusCode.INVALID_ARGUMENT
        await until(lambda: tel.value("otelcol_exporter_send_failed_spans_total", labels) == 2,
                    what="both deep spans counted as failed")
        assert tel.value("otelcol_exporter_sent_spans_total", labels) == 0
        assert (await _post(http, GOOD))[0] == 200  # still serving
        await until(lambda: tel.value("otelcol_exporter_sent_spans_total", labels) == 3,
                    what="the good spans sent")
        assert tel.value("otelcol_exporter_send_failed_spans_total", labels) == 2
    finally:
        await service.shutdown()
        await sink.stop()
    if exporter == "otlphttp":  # only the good request reached the backend
        assert sink.total() == 3
    if exporter == "file":  # only the good request reached the file
        lines = out.read_text().splitlines()
        assert len(lines) == 1 and len(json.loads(lines[0])["resourceSpans"]) == 1


async def test_processor_decoding_in_the_request_path_refuses_it(tmp_path: Path) -> None:
    http, grpc_port = free_ports(2)
    out = tmp_path / "out.jsonl"
    service = await _service(tmp_path, _config(http, grpc_port, "file", False, out,
                                               processor=True))
    tel = service.telemetry
    try:
        status, text = await _post(http, DEEP)
        assert status == 400 and "malformed ExportTraceServiceRequest" in text, text
        assert await _grpc(grpc_port, DEEP) == grpc.StatusCode.INVALID_ARGUMENT
        assert tel.value("otelcol_receiver_refused_spans_total", {"receiver": "otlp"}) == 2
        assert (await _post(http, GOOD))[0] == 200
        assert tel.value("otelcol_exporter_sent_spans_total", {"exporter": "file"}) == 3
    finally:
        await service.shutdown()
    lines = out.read_text().splitlines()
    assert len(lines) == 1
    attrs = json.loads(lines[0])["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["attributes"]
    assert {"key": "env", "value": {"stringValue": "prod"}} in attrs

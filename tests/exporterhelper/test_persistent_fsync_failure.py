"""A failed fsync under ``fsync_policy: batch`` refuses the request it covered as
retryable (HTTP 503 / gRPC UNAVAILABLE from the otlp receiver), counted in
``otelcol_exporter_enqueue_failed_*`` and ``otelpy_storage_fsync_failures_total``; the
next request, once fsync works again, is acknowledged.

fsync failures cannot be caused on demand on a healthy disk, so ``os.fdatasync`` is
replaced for the duration of one request (the writer thread looks it up per call)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import aiohttp
import grpc
import pytest

from otelpy.service import Service
from otelpy.testing.polling import until
from otelpy.testing.process import free_ports
from otelpy.testing.samples import traces_request
from otelpy.testing.servers import HttpSink

TRACE_METHOD = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"


def _config(http: int, grpc_port: int, sink: str, storage: Path) -> str:
    return f"""
extensions:
  file_storage/q:
    directory: {storage}
    create_directory: true
    fsync_policy: batch
receivers:
  otlp:
    protocols:
      http: {{endpoint: "127.0.0.1:{http}"}}
      grpc: {{endpoint: "127.0.0.1:{grpc_port}"}}
exporters:
  otlphttp:
    endpoint: {sink}
    sending_queue: {{storage: file_storage/q}}
service:
  extensions: [file_storage/q]
  telemetry: {{metrics: {{level: none}}}}
  pipelines:
    traces: {{receivers: [otlp], exporters: [otlphttp]}}
"""


async def test_failed_fsync_refuses_the_request_as_retryable(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sink = HttpSink()
    await sink.start()
    http, grpc_port = free_ports(2)
    cfg = tmp_path / "otelpy.yaml"
    cfg.write_text(_config(http, grpc_port, sink.endpoint, tmp_path / "queue"))
    service = Service([str(cfg)])
    await service.start(service.load())
    tel = service.telemetry

    def broken(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    async def post(n: int) -> int:
        async with aiohttp.ClientSession() as session:
            async with session.post(f"http://127.0.0.1:{http}/v1/traces",
                                    data=traces_request(n).SerializeToString(),
                                    headers={"Content-Type": "application/x-protobuf"}) as r:
                return r.status

    async def export(n: int) -> grpc.StatusCode:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{grpc_port}") as channel:
            try:
                await channel.unary_unary(TRACE_METHOD)(
                    traces_request(n).SerializeToString(), timeout=20)
            except grpc.aio.AioRpcError as err:
                return err.code()
        return grpc.StatusCode.OK

    try:
        monkeypatch.setattr(os, "fdatasync", broken)
        assert await post(3) == 503
        assert await export(4) == grpc.StatusCode.UNAVAILABLE
        monkeypatch.undo()
        assert tel.value("otelcol_exporter_enqueue_failed_spans_total",
                         {"exporter": "otlphttp"}) == 7
        assert tel.value("otelpy_storage_fsync_failures_total",
                         {"storage": "file_storage/q", "queue": "otlphttp/traces"}) == 2
        assert tel.value("otelcol_receiver_refused_spans_total", {"receiver": "otlp"}) == 7
        assert await post(5) == 200  # fsync works again: acknowledged
        # written but not known durable, the refused ones are still sent (the client's
        # retry then makes a duplicate, never a loss)
        await until(lambda: sink.total() == 12, what="every written span at the sink")
    finally:
        await service.shutdown()
        await sink.stop()

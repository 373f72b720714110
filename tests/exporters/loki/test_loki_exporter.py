"""The loki exporter against a local push endpoint (no Loki server can run here): the
server decodes each request with Loki's published ``push.proto`` (declared here on its own,
not the exporter's copy) after snappy, or reads the JSON push format, and the tests check
streams, label strings, entry order and timestamps, lines, tenants, retries and drops."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import cramjam
import pytest
from aiohttp import web
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

from otelpy.component import Kind, Signal
from otelpy.pdata import Batch
from otelpy.pdata.build import RequestBuilder
from otelpy.pdata.values import set_value
from otelpy.protoschema import ProtoFile
from otelpy.telemetry import Telemetry
from otelpy.testing.authhost import create_component
from otelpy.testing.sink import FakeHost

T0 = 1_700_000_000_000_000_000


def _push_proto() -> Any:
    schema = ProtoFile("logproto", "push.proto")  # github.com/grafana/loki pkg/push/push.proto
    schema.message("LabelPairAdapter", [("name", 1, "string"), ("value", 2, "string")])
    schema.message("EntryAdapter", [("timestamp", 1, ".google.protobuf.Timestamp"),
                                    ("line", 2, "string"),
                                    ("structuredMetadata", 3, "LabelPairAdapter", "repeated")])
    schema.message("StreamAdapter", [("labels", 1, "string"),
                                     ("entries", 2, "EntryAdapter", "repeated"),
                                     ("hash", 3, "uint64")])
    schema.message("PushRequest", [("streams", 1, "StreamAdapter", "repeated")])
    return schema.build()["PushRequest"]


PUSH = _push_proto()


class LokiPushServer:
    """POST /loki/api/v1/push: records (tenant, decoded streams); answers from a script."""

    def __init__(self) -> None:
        self.pushes: list[tuple[str | None, list[dict[str, Any]]]] = []
        self.answers: list[int] = []
        self.gzipped = 0
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def _push(self, request: web.Request) -> web.Response:
        body = await request.read()
        status = self.answers.pop(0) if self.answers else 204
        if status != 204:
            return web.Response(status=status, text="try later",
                                headers={"Retry-After": "0"})
        if request.content_type == "application/x-protobuf":
            assert request.headers["Content-Encoding"] == "snappy"
            push = PUSH.FromString(bytes(cramjam.snappy.decompress_raw(body)))
            streams = [{"labels": s.labels, "entries": [
                (e.timestamp.ToNanoseconds(), e.line,
                 {m.name: m.value for m in e.structuredMetadata}) for e in s.entries]}
                for s in push.streams]
        else:
            assert request.content_type == "application/json"
            if request.headers.get("Content-Encoding") == "gzip":
                self.gzipped += 1  # aiohttp has inflated the body already
            streams = [{"labels": s["stream"], "entries": [
                (int(v[0]), v[1], v[2] if len(v) > 2 else {}) for v in s["values"]]}
                for s in json.loads(body)["streams"]]
        self.pushes.append((request.headers.get("X-Scope-OrgID"), streams))
        return web.Response(status=204)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/loki/api/v1/push", self._push)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/loki/api/v1/push"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


@pytest.fixture
async def loki() -> AsyncIterator[LokiPushServer]:
    server = LokiPushServer()
    await server.start()
    yield server
    await server.stop()


def _logs() -> ExportLogsServiceRequest:
    builder = RequestBuilder(Signal.LOGS)
    api = builder.scope({"service.name": "api", "service.namespace": "shop",
                         "service.instance.id": "api-1", "k8s.pod.name": "api-7f",
                         "loki.resource.labels": "k8s.pod.name"}, "app", "1.2")
    web_ = builder.scope({"service.name": "web", "loki.tenant": "tenant.id",
                          "tenant.id": "team-a", "loki.format": "logfmt"})
    raw = builder.scope({"service.name": "batch", "loki.format": "raw"})
    for i, (scope, body, severity, attrs) in enumerate([
        (api, "first", 9, {"http.method": "GET", "loki.attribute.labels": "http.method"}),
        (api, "second", 9, {"http.method": "GET", "loki.attribute.labels": "http.method"}),
        (api, "boom", 17, {"http.method": "POST", "loki.attribute.labels": "http.method"}),
        (web_, "status=200 path=/x", 0, {"user": "u1"}),
        (raw, "plain text line", 0, {"ignored": True}),
        (api, "third", 9, {"http.method": "GET", "loki.attribute.labels": "http.method"}),
    ]):
        record = scope.log_records.add(time_unix_nano=T0 + i, severity_number=severity)
        record.body.string_value = body
        for key, value in attrs.items():
            set_value(record.attributes.add(key=key).value, value)
    return builder.request


async def _export(doc: dict[str, Any], request: ExportLogsServiceRequest,
                  telemetry: Telemetry | None = None) -> None:
    exporter = create_component(Kind.EXPORTER, "loki", doc, telemetry or Telemetry(),
                                frozenset({Signal.LOGS}))
    await exporter.start(FakeHost())
    await exporter.consume(Batch.from_message(Signal.LOGS, request))
    await exporter.shutdown()


async def test_protobuf_streams_labels_order_and_tenants(loki: LokiPushServer) -> None:
    await _export({"endpoint": loki.url}, _logs())
    by_tenant = {tenant: streams for tenant, streams in loki.pushes}
    assert set(by_tenant) == {None, "team-a"}
    streams = {s["labels"]: s["entries"] for s in by_tenant[None]}
    get = '{exporter="OTLP", http_method="GET", instance="api-1", job="shop/api", ' \
          'k8s_pod_name="api-7f", level="INFO"}'
    post = get.replace('"GET"', '"POST"').replace('"INFO"', '"ERROR"')
    assert set(streams) == {get, post, '{exporter="OTLP", job="batch"}'}
    assert [(ts, json.loads(line)["body"]) for ts, line, _ in streams[get]] == \
        [(T0, "first"), (T0 + 1, "second"), (T0 + 5, "third")]
    line = json.loads(streams[post][0][1])
    assert line == {"body": "boom", "resources": {"service.name": "api",
                                                  "service.namespace": "shop",
                                                  "service.instance.id": "api-1"},
                    "instrumentation_scope": {"name": "app", "version": "1.2"}}
    assert streams['{exporter="OTLP", job="batch"}'] == [(T0 + 4, "plain text line", {})]
    (tenant_stream,) = by_tenant["team-a"]
    assert tenant_stream["labels"] == '{exporter="OTLP", job="web"}'
    assert tenant_stream["entries"] == [
        (T0 + 3, "status=200 path=/x attribute_user=u1 resource_service.name=web "
                 "resource_tenant.id=team-a", {})]


async def test_json_gzip_static_tenant_and_structured_metadata(loki: LokiPushServer) -> None:
    await _export({"endpoint": loki.url, "encoding": "json", "compression": "gzip",
                   "tenant": {"source": "static", "value": "ops"},
                   "structured_metadata": ["http.method"],
                   "default_labels_enabled": {"level": False, "instance": False}}, _logs())
    by_tenant = {tenant: streams for tenant, streams in loki.pushes}
    assert loki.gzipped == 2
    assert set(by_tenant) == {"ops", "team-a"}  # the hint wins over the setting
    streams = {json.dumps(s["labels"], sort_keys=True): s["entries"] for s in by_tenant["ops"]}
    key = json.dumps({"exporter": "OTLP", "http_method": "GET", "job": "shop/api",
                      "k8s_pod_name": "api-7f"}, sort_keys=True)
    post = key.replace('"GET"', '"POST"')
    assert [ts for ts, _, _ in streams[key]] == [T0, T0 + 1, T0 + 5]  # level is off
    assert [ts for ts, _, _ in streams[post]] == [T0 + 2]
    # http.method became a label before structured_metadata could take it
    assert all(meta == {} for entries in streams.values() for _, _, meta in entries)


async def test_structured_metadata_protobuf(loki: LokiPushServer) -> None:
    builder = RequestBuilder(Signal.LOGS)
    scope = builder.scope({"service.name": "api"})
    record = scope.log_records.add(time_unix_nano=T0)
    record.body.string_value = "hello"
    record.attributes.add(key="trace.kind").value.string_value = "sampled"
    await _export({"endpoint": loki.url, "structured_metadata": ["trace.kind"],
                   "tenant": {"source": "attributes", "value": "service.name"}},
                  builder.request)
    ((tenant, (stream,)),) = loki.pushes
    assert tenant == "api" and stream["entries"][0][2] == {"trace.kind": "sampled"}
    assert "trace.kind" not in json.loads(stream["entries"][0][1]).get("attributes", {})


async def test_retry_then_permanent_and_drop_counted(loki: LokiPushServer) -> None:
    loki.answers = [503, 429]
    quick = {"endpoint": loki.url, "retry_on_failure": {"initial_interval": "10ms",
                                                        "max_interval": "10ms"},
             "sending_queue": {"enabled": False}}
    await _export(quick, _logs())
    assert sum(len(s["entries"]) for _, streams in loki.pushes for s in streams) == 6
    loki.pushes.clear()
    loki.answers = [400, 400]
    telemetry = Telemetry()
    exporter = create_component(Kind.EXPORTER, "loki", quick, telemetry,
                                frozenset({Signal.LOGS}))
    await exporter.start(FakeHost())
    with pytest.raises(Exception, match="400"):
        await exporter.consume(Batch.from_message(Signal.LOGS, _logs()))
    await exporter.shutdown()
    assert loki.pushes == []
    off = {k: False for k in ("exporter", "job", "instance", "level")}
    builder = RequestBuilder(Signal.LOGS)
    builder.scope({"service.name": "x"}).log_records.add(time_unix_nano=T0)
    await _export({"endpoint": loki.url, "default_labels_enabled": off}, builder.request,
                  telemetry)
    assert loki.pushes == []
    assert telemetry.value("otelpy_exporter_loki_dropped_log_records_total",
                           {"exporter": "loki"}) == 1

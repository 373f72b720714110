"""Every registered component: create -> start -> consume a sample -> shutdown.

Each kind is driven through the same contract the engine relies on; the per-type
settings below only supply what a component cannot default (ports, paths,
endpoints). A component type missing from ``SETTINGS`` fails the test, so a new
component cannot skip conformance.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import aiohttp.web
import pytest
from aiohttp import web

from otelpy.clock import SYSTEM_CLOCK, Clock
from otelpy.component import Component, ComponentID, Kind, PipelineID, Settings, Signal
from otelpy.consumer import Consumer, PipelineRouter
from otelpy.pdata import Batch, items
from otelpy.registry import load_registry
from otelpy.telemetry import ITEM_SUFFIX, Telemetry
from otelpy.testing.clock import FakeClock
from otelpy.testing.k8sapi import FakeKubeAPI, write_kubeconfig
from otelpy.testing.polling import until
from otelpy.testing.samples import logs_request, metrics_request, traces_request
from otelpy.testing.servers import GrpcSink, HttpSink
from otelpy.testing.sink import FakeHost, SinkConsumer

REGISTRY = load_registry(include_plugins=False)
SAMPLES = {
    Signal.TRACES: lambda: traces_request(7).SerializeToString(),
    Signal.METRICS: lambda: metrics_request(6).SerializeToString(),
    Signal.LOGS: lambda: logs_request(5).SerializeToString(),
}
COUNTS = {Signal.TRACES: 7, Signal.METRICS: 6, Signal.LOGS: 5}
# (connector type, source signal, destination signal) -> items that one sample yields,
# for connectors that turn one signal into another (same-signal ones must pass it through)
CONNECTOR_OUTPUT: dict[tuple[str, str, str], int] = {
    ("logpattern", "logs", "metrics"): 5,  # 5 records, 5 distinct "seq" values: 5 points
    # 7 spans in 6 (span.name, status) series: 6 calls + 6 duration points (shutdown flush)
    ("spanmetrics", "traces", "metrics"): 12,
    # one root server span: user -> checkout-0 when the store expires at shutdown;
    # request_total, request_server, request_client
    ("servicegraph", "traces", "metrics"): 3,
    # one firing alert: one log record; ALERTS and ALERTS_FOR_STATE (not the input)
    ("alerting", "metrics", "logs"): 1, ("alerting", "metrics", "metrics"): 2,
    # threshold 0: one event per scored point: the sample's plain gauge and non-monotonic sum
    # (histograms are not scored; a counter's first point only sets its baseline)
    ("anomaly", "metrics", "logs"): 2,
}
# connectors that emit on a schedule: seconds of a FakeClock to advance before shutdown
SCHEDULED_CONNECTORS: dict[str, float] = {"alerting": 60.0}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class AcceptingServer:
    """Answers 204 to any request on any path, recording (method, path)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def _any(self, request: web.Request) -> web.Response:
        await request.read()
        self.requests.append((request.method, request.path))
        return web.Response(status=204)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._any)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


class Env:
    def __init__(self, tmp: Path, grpc_sink: GrpcSink, http_sink: HttpSink,
                 accepting: AcceptingServer) -> None:
        self.tmp, self.grpc_sink, self.http_sink = tmp, grpc_sink, http_sink
        self.accepting = accepting
        self.target_port = _free_port()  # a scrape target, for receivers that pull


# (kind, type) -> config document for the test (ports and paths filled per test)
def SETTINGS(env: Env) -> dict[tuple[Kind, str], dict[str, Any]]:  # noqa: N802
    return {
        (Kind.RECEIVER, "otlp"): {"protocols": {
            "grpc": {"endpoint": f"127.0.0.1:{_free_port()}"},
            "http": {"endpoint": f"127.0.0.1:{_free_port()}"}}},
        (Kind.RECEIVER, "hostmetrics"): {"initial_delay": "0s", "collection_interval": "1h",
                                         "scrapers": {"load": None, "memory": None}},
        (Kind.RECEIVER, "prometheus"): {"config": {"scrape_configs": [{
            "job_name": "conformance", "scrape_interval": "1s",
            "static_configs": [{"targets": [f"127.0.0.1:{env.target_port}"]}]}]}},
        (Kind.RECEIVER, "filelog"): {"include": [str(env.tmp / "conformance.log")],
                                     "start_at": "beginning", "poll_interval": "10ms"},
        (Kind.RECEIVER, "healthcheck"): {"checks": {"port": {
            "type": "tcp", "endpoint": f"127.0.0.1:{_free_port()}", "interval": "1h"}}},
        (Kind.RECEIVER, "httpcheck"): {"initial_delay": "0s", "collection_interval": "1h",
                                       "targets": [{"endpoint": f"http://127.0.0.1:{_free_port()}/"}]},
        (Kind.RECEIVER, "redis"): {"initial_delay": "0s", "collection_interval": "1h",
                                   "endpoint": f"127.0.0.1:{_free_port()}"},
        (Kind.RECEIVER, "nginx"): {"initial_delay": "0s", "collection_interval": "1h",
                                   "endpoint": f"http://127.0.0.1:{_free_port()}/status"},
        (Kind.RECEIVER, "postgresql"): {"initial_delay": "0s", "collection_interval": "1h",
                                        "username": "postgres",
                                        "endpoint": f"127.0.0.1:{_free_port()}"},
        (Kind.PROCESSOR, "batch"): {"timeout": "10ms"},
        (Kind.PROCESSOR, "logpattern"): {"max_patterns": 10},
        (Kind.PROCESSOR, "logspike"): {"min_severity": "TRACE"},
        (Kind.CONNECTOR, "logpattern"): {"interval": "1h", "id_attribute": "seq"},
        (Kind.PROCESSOR, "memory_limiter"): {"check_interval": "100ms", "limit_mib": 100_000},
        (Kind.PROCESSOR, "transform"): {
            "trace_statements": ['set(span.attributes["conformance"], true)'],
            "metric_statements": ['set(datapoint.attributes["conformance"], true)'],
            "log_statements": ['set(log.attributes["conformance"], true)']},
        (Kind.PROCESSOR, "filter"): {
            "traces": {"span": ['name == "no span has this name"']},
            "metrics": {"metric": ['name == "no metric has this name"']},
            "logs": {"log_record": ['body == "no record has this body"']}},
        # the sample log records have no trace ID: without fail_closed: false they are
        # dropped for missing randomness (as the Collector does)
        (Kind.PROCESSOR, "probabilistic_sampler"): {"sampling_percentage": 100,
                                                    "fail_closed": False},
        # undecided traces are decided on shutdown: everything arrives
        (Kind.PROCESSOR, "tail_sampling"): {"policies": [{"name": "all",
                                                          "type": "always_sample"}]},
        (Kind.PROCESSOR, "attributes"): {"actions": [{"key": "conformance", "value": True,
                                                      "action": "upsert"}]},
        (Kind.PROCESSOR, "anomaly"): {},
        (Kind.PROCESSOR, "groupbyattrs"): {"keys": []},
        # no API server here: the watched path is covered by tests/processors/k8sattributes
        (Kind.PROCESSOR, "k8sattributes"): {"passthrough": True},
        # run by _k8sobjects_sample against a fake API server (kubeconfig filled in there)
        (Kind.RECEIVER, "k8sobjects"): {"objects": [{"name": "pods", "mode": "pull"}]},
        # run by _k8s_events_sample against a fake API server (kubeconfig filled in there)
        (Kind.RECEIVER, "k8s_events"): {"auth_type": "kubeConfig"},
        # run by _k8s_cluster_sample against a fake API server (kubeconfig filled in there)
        (Kind.RECEIVER, "k8s_cluster"): {},
        (Kind.PROCESSOR, "resourcedetection"): {"detectors": ["env", "system"],
                                                "system": {"hostname_sources": ["os"]}},
        (Kind.PROCESSOR, "metricstransform"): {"transforms": [
            {"include": ".*", "match_type": "regexp", "action": "update",
             "new_name": "conformance.$0", "operations": [
                 {"action": "add_label", "new_label": "conformance", "new_value": "1"}]}]},
        (Kind.PROCESSOR, "resource"): {"attributes": [{"key": "conformance", "value": 1,
                                                       "action": "insert"}]},
        (Kind.EXPORTER, "otlp_grpc"): {"endpoint": env.grpc_sink.endpoint,
                                       "tls": {"insecure": True}},
        (Kind.EXPORTER, "otlp_http"): {"endpoint": env.http_sink.endpoint},
        (Kind.EXPORTER, "debug"): {"verbosity": "detailed"},
        (Kind.EXPORTER, "file"): {"path": str(env.tmp / "out.jsonl")},
        (Kind.EXPORTER, "prometheus"): {"endpoint": f"127.0.0.1:{_free_port()}"},
        (Kind.EXPORTER, "influxdb"): {"endpoint": env.accepting.url, "bucket": "b"},
        (Kind.EXPORTER, "datadog"): {"api": {"key": "conformance"},
                                     "metrics": {"endpoint": env.accepting.url},
                                     "traces": {"endpoint": env.accepting.url},
                                     "logs": {"endpoint": env.accepting.url}},
        (Kind.EXPORTER, "notify"): {"route": {"receiver": "hook"}, "receivers": [
            {"name": "hook", "webhook_configs": [{"url": env.accepting.url}]}]},
        (Kind.PROCESSOR, "deltatocumulative"): {"max_stale": "1m"},
        (Kind.PROCESSOR, "cumulativetodelta"): {"initial_value": "keep"},
        (Kind.EXPORTER, "prometheusremotewrite"): {
            "endpoint": f"{env.accepting.url}/api/v1/write"},
        (Kind.EXPORTER, "pushgateway"): {"endpoint": env.accepting.url, "job": "conformance"},
        (Kind.RECEIVER, "jaeger"): {"protocols": {
            "grpc": {"endpoint": "127.0.0.1:0"}, "thrift_http": {"endpoint": "127.0.0.1:0"},
            "thrift_compact": {"endpoint": "127.0.0.1:0"},
            "thrift_binary": {"endpoint": "127.0.0.1:0"}}},
        (Kind.RECEIVER, "zipkin"): {"endpoint": "127.0.0.1:0"},
        (Kind.RECEIVER, "syslog"): {"tcp": {"listen_address": "127.0.0.1:0"},
                                    "protocol": "rfc5424", "enable_octet_counting": True},
        (Kind.RECEIVER, "fluentforward"): {"endpoint": "127.0.0.1:0"},
        (Kind.EXPORTER, "loki"): {"endpoint": f"{env.accepting.url}/loki/api/v1/push"},
        (Kind.EXPORTER, "zipkin"): {"endpoint": f"{env.accepting.url}/api/v2/spans"},
        (Kind.EXPORTER, "jaeger_thrift"): {"endpoint": f"{env.accepting.url}/api/traces"},
        (Kind.CONNECTOR, "forward"): {},
        (Kind.CONNECTOR, "spanmetrics"): {},
        (Kind.CONNECTOR, "anomaly"): {"threshold": 0.0},
        (Kind.CONNECTOR, "servicegraph"): {},
        (Kind.EXPORTER, "spananalytics"): {},
        (Kind.EXPORTER, "loginsights"): {"correlate": [{"metric": "m"}]},
        (Kind.CONNECTOR, "alerting"): {"lookback_delta": "40000h", "alert_rules": {
            "conformance": {"metric": "sample.gauge.0", "threshold": -1}}},
        # routing gets a table per signal pair in test_connector (it names pipelines)
        (Kind.CONNECTOR, "routing"): {"table": [{"statement": "route()",
                                                 "pipelines": ["traces/out"]}]},
        (Kind.EXTENSION, "health_check"): {"endpoint": f"127.0.0.1:{_free_port()}"},
        (Kind.EXTENSION, "file_storage"): {"directory": str(env.tmp / "storage"),
                                           "create_directory": True},
        (Kind.EXTENSION, "bearertokenauth"): {"token": "conformance-token"},
        (Kind.EXTENSION, "basicauth"): {"htpasswd": {"inline": "user:{SHA}W6ph5Mm5Pz8Ggi"
                                                               "ULbPgzG37mj9g="}},
        (Kind.EXTENSION, "headers_setter"): {"headers": [{"key": "X-Tenant", "value": "t1"}]},
        (Kind.EXTENSION, "zpages"): {"endpoint": f"127.0.0.1:{_free_port()}",
                                     "expvar": {"enabled": True}},
        (Kind.EXTENSION, "pprof"): {"endpoint": f"127.0.0.1:{_free_port()}",
                                    "save_to_file": str(env.tmp / "profile.pyisession")},
        (Kind.EXTENSION, "memory_ballast"): {"size_mib": 64},
        (Kind.EXTENSION, "status"): {"endpoint": f"127.0.0.1:{_free_port()}"},
    }


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[Env]:
    g, h, a = GrpcSink(), HttpSink(), AcceptingServer()
    await g.start()
    await h.start()
    await a.start()
    yield Env(tmp_path, g, h, a)
    await g.stop()
    await h.stop()
    await a.stop()


def _settings(kind: Kind, type_: str, telemetry: Telemetry,
              clock: Clock = SYSTEM_CLOCK) -> Settings:
    cid = ComponentID(type_, "conformance")
    return Settings(cid, kind, logging.getLogger(f"test.{cid}"), telemetry, clock)


def _config(kind: Kind, type_: str, env: Env) -> Any:
    table = SETTINGS(env)
    assert (kind, type_) in table, f"{kind} {type_} has no conformance settings"
    model = REGISTRY.get(kind, type_).config_type  # type: ignore[union-attr]
    cfg = model.model_validate(table[(kind, type_)])
    assert cfg.validate_config() == []  # type: ignore[attr-defined]
    return cfg


def _ids(kind: Kind) -> list[str]:
    return [f.type for f in REGISTRY.of_kind(kind)]


def _batch(signal: Signal) -> Batch:
    return Batch.from_bytes(signal, SAMPLES[signal]())


@pytest.mark.parametrize("type_", _ids(Kind.EXPORTER))
async def test_exporter(type_: str, env: Env) -> None:
    factory = REGISTRY.get(Kind.EXPORTER, type_)
    assert factory is not None
    tel = Telemetry()
    signals = factory.signals()
    exp = factory.create(_settings(Kind.EXPORTER, type_, tel), _config(Kind.EXPORTER, type_, env),
                         frozenset(signals))
    await exp.start(FakeHost())
    for signal in sorted(signals):
        await exp.consume(_batch(signal))
    await exp.shutdown()
    await exp.shutdown()  # idempotent
    for signal in sorted(signals):
        sent = tel.value(f"otelcol_exporter_sent_{ITEM_SUFFIX[signal]}_total",
                         {"exporter": f"{type_}/conformance"})
        assert sent == COUNTS[signal], f"{type_} {signal}: sent {sent}"
    if type_ == "otlp_grpc":
        assert env.grpc_sink.total() == sum(COUNTS.values())
    if type_ == "otlp_http":
        assert env.http_sink.total() == sum(COUNTS.values())
    if type_ == "prometheusremotewrite":
        assert env.accepting.requests == [("POST", "/api/v1/write")]
    if type_ == "loki":
        assert env.accepting.requests == [("POST", "/loki/api/v1/push")]
    if type_ == "pushgateway":
        assert [m for m, _ in env.accepting.requests] == ["PUT"]
    if type_ == "file":
        assert len((env.tmp / "out.jsonl").read_text().splitlines()) == len(signals)


@pytest.mark.parametrize("type_", _ids(Kind.PROCESSOR))
async def test_processor(type_: str, env: Env) -> None:
    factory = REGISTRY.get(Kind.PROCESSOR, type_)
    assert factory is not None
    for signal in sorted(factory.signals()):
        sink = SinkConsumer()
        proc = factory.create(_settings(Kind.PROCESSOR, type_, Telemetry()),
                              _config(Kind.PROCESSOR, type_, env), signal, sink)
        await proc.start(FakeHost())
        await proc.consume(_batch(signal))
        await proc.shutdown()
        await proc.shutdown()
        if type_ == "anomaly":  # adds one score point per scored gauge/sum point
            assert sink.total() > COUNTS[signal], f"{type_} scored nothing on {signal}"
            continue
        assert sink.total() == COUNTS[signal], f"{type_} lost data on {signal}"


@pytest.mark.parametrize("type_", _ids(Kind.CONNECTOR))
async def test_connector(type_: str, env: Env) -> None:
    factory = REGISTRY.get(Kind.CONNECTOR, type_)
    assert factory is not None
    pairs = [k.split("->") for k in factory.stability]
    for src, dst in pairs:
        sink = SinkConsumer()
        cfg, nxt = _config(Kind.CONNECTOR, type_, env), sink
        if factory.pipeline_refs is not None:  # a router: one route to one pipeline of dst
            cfg = factory.config_type.model_validate(
                {"table": [{"statement": "route()", "pipelines": [f"{dst}/out"]}]})
            nxt = PipelineRouter({PipelineID.parse(f"{dst}/out"): sink})
        clock = FakeClock()
        conn = factory.create(_settings(Kind.CONNECTOR, type_, Telemetry(), clock), cfg,
                              Signal(src), Signal(dst), nxt)
        await conn.start(FakeHost())
        sent = _batch(Signal(src))
        await conn.consume(sent)
        if type_ in SCHEDULED_CONNECTORS:
            await clock.advance(SCHEDULED_CONNECTORS[type_])
            await until(lambda: sink.batches, what=f"{type_} output")  # noqa: B023
        await conn.shutdown()
        assert {b.signal for b in sink.batches} == {Signal(dst)}, f"{type_} {src}->{dst}"
        # what went in came out: every item, unchanged, once
        if src == dst and (type_, src, dst) not in CONNECTOR_OUTPUT:
            out = Batch.merge(Signal(dst), sink.batches)
            assert out.message == _batch(Signal(src)).message, f"{type_} {src}->{dst}"
        else:
            expected = CONNECTOR_OUTPUT.get((type_, src, dst))
            assert expected is not None, f"{type_} {src}->{dst}: say what comes out"
            assert sink.items[Signal(dst)] == expected, f"{type_} {src}->{dst}"


async def _k8sobjects_sample(factory: Any, env: Env) -> None:
    """k8sobjects pulls one pod from a fake API server: one log record."""
    api = FakeKubeAPI()
    api.collection("/api/v1/pods", "Pod", "v1")
    await api.add("/api/v1/pods", {"metadata": {"name": "p", "namespace": "n", "uid": "u"}})
    url = await api.start()
    cfg = factory.config_type.model_validate({
        "auth_type": "kubeConfig", "kubeconfig": str(write_kubeconfig(env.tmp, url)),
        "objects": [{"name": "pods", "mode": "pull", "interval": "1h"}]})
    sink = SinkConsumer()
    rec = factory.create(_settings(Kind.RECEIVER, "k8sobjects", Telemetry()), cfg,
                         {Signal.LOGS: sink})
    try:
        await rec.start(FakeHost())
        await until(lambda: sink.total() >= 1)
    finally:
        await rec.shutdown()
        await rec.shutdown()
        await api.stop()
    assert sink.total() == 1


async def _k8s_events_sample(factory: Any, env: Env) -> None:
    """k8s_events watches a fake API server: one event stamped after its start, one record."""
    api = FakeKubeAPI()
    api.collection("/api/v1/events", "Event", "v1")
    url = await api.start()
    cfg = factory.config_type.model_validate({
        "auth_type": "kubeConfig", "kubeconfig": str(write_kubeconfig(env.tmp, url))})
    sink = SinkConsumer()
    rec = factory.create(_settings(Kind.RECEIVER, "k8s_events", Telemetry()), cfg,
                         {Signal.LOGS: sink})
    try:
        await rec.start(FakeHost())
        await until(lambda: api.watches("/api/v1/events"))
        await api.add("/api/v1/events", {"metadata": {"name": "e", "uid": "u"},
                                         "message": "m", "eventTime": "2200-01-01T00:00:00Z"})
        await until(lambda: sink.total() >= 1)
    finally:
        await rec.shutdown()
        await rec.shutdown()
        await api.stop()
    assert sink.total() == 1


async def _k8s_cluster_sample(factory: Any, env: Env) -> None:
    """k8s_cluster watches one namespace on a fake API server (other kinds answer 404 and
    are retried): its snapshot is one k8s.namespace.phase point."""
    api = FakeKubeAPI()
    api.collection("/api/v1/namespaces", "Namespace", "v1")
    await api.add("/api/v1/namespaces", {"metadata": {"name": "n", "uid": "u"},
                                         "status": {"phase": "Active"}})
    url = await api.start()
    cfg = factory.config_type.model_validate({
        "auth_type": "kubeConfig", "kubeconfig": str(write_kubeconfig(env.tmp, url)),
        "collection_interval": "1h"})
    sink = SinkConsumer()
    rec = factory.create(_settings(Kind.RECEIVER, "k8s_cluster", Telemetry()), cfg,
                         {Signal.METRICS: sink})
    try:
        await rec.start(FakeHost())
        await until(lambda: any(w.synced.is_set() for _, w in rec.watchers))
        await rec.snapshot()
    finally:
        await rec.shutdown()
        await rec.shutdown()
        await api.stop()
    assert sink.total() == 1


@pytest.mark.parametrize("type_", _ids(Kind.RECEIVER))
async def test_receiver(type_: str, env: Env) -> None:
    factory = REGISTRY.get(Kind.RECEIVER, type_)
    assert factory is not None
    if type_ == "k8sobjects":
        await _k8sobjects_sample(factory, env)
        return
    if type_ == "k8s_events":
        await _k8s_events_sample(factory, env)
        return
    if type_ == "k8s_cluster":
        await _k8s_cluster_sample(factory, env)
        return
    cfg = _config(Kind.RECEIVER, type_, env)
    sinks: dict[Signal, Consumer] = {s: SinkConsumer() for s in factory.signals()}
    rec = factory.create(_settings(Kind.RECEIVER, type_, Telemetry()), cfg, sinks)
    if type_ == "prometheus":
        await _scrape_sample(rec, sinks[Signal.METRICS], env.target_port)  # type: ignore[arg-type]
        return
    if type_ == "filelog":
        (env.tmp / "conformance.log").write_text("first line\nsecond line\n")
    await rec.start(FakeHost())
    try:
        if type_ == "hostmetrics":  # scrapes on its own: 3 load + 6 memory usage points
            await until(lambda: sinks[Signal.METRICS].total() >= 9)  # type: ignore[attr-defined]
            await rec.shutdown()
            assert sinks[Signal.METRICS].total() == 9  # type: ignore[attr-defined]
            return
        if type_ == "healthcheck":  # checks on its own: a closed port turns critical
            metrics, logs = sinks[Signal.METRICS], sinks[Signal.LOGS]
            await until(lambda: metrics.total() >= 5 and logs.total() >= 1)  # type: ignore
            await rec.shutdown()
            # healthcheck.status: 4 points, healthcheck.duration: 1; one state-change event
            assert (metrics.total(), logs.total()) == (5, 1)  # type: ignore[attr-defined]
            return
        if type_ == "httpcheck":  # checks on its own: a closed port gives duration + error
            await until(lambda: sinks[Signal.METRICS].total() >= 2)  # type: ignore
            await rec.shutdown()
            assert sinks[Signal.METRICS].total() == 2  # type: ignore[attr-defined]
            return
        if type_ in ("redis", "nginx", "postgresql"):  # a closed port: nothing sent
            await until(lambda: rec.failures >= 1)  # type: ignore[attr-defined]
            await rec.shutdown()
            assert sinks[Signal.METRICS].total() == 0  # type: ignore[attr-defined]
            return
        if type_ == "filelog":  # reads the file the config names: two lines, two records
            await until(lambda: sinks[Signal.LOGS].total() >= 2)  # type: ignore[attr-defined]
            await rec.shutdown()
            assert sinks[Signal.LOGS].total() == 2  # type: ignore[attr-defined]
            return
        await _send_sample(type_, cfg, rec)
    finally:
        await rec.shutdown()
        await rec.shutdown()
    for signal, sink in sinks.items():
        assert sink.total() == COUNTS[signal], f"{type_} {signal}"  # type: ignore[attr-defined]


async def _scrape_sample(rec: Any, sink: SinkConsumer, port: int) -> None:
    """A pulling receiver: one scrape of a one-gauge target is 6 points (the gauge and the 5
    scrape series); shutdown adds the gauge's staleness marker."""
    async def metrics(_: aiohttp.web.Request) -> aiohttp.web.Response:
        return aiohttp.web.Response(text="conformance 1\n")

    app = aiohttp.web.Application()
    app.router.add_get("/metrics", metrics)
    runner = aiohttp.web.AppRunner(app)
    await runner.setup()
    await aiohttp.web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        await rec.start(FakeHost())
        try:
            await sink.wait_for_items(COUNTS[Signal.METRICS], Signal.METRICS, within=30)
        finally:
            await rec.shutdown()
            await rec.shutdown()
    finally:
        await runner.cleanup()
    assert sink.total() == COUNTS[Signal.METRICS] + 1


async def _send_sample(type_: str, cfg: Any, rec: Any) -> None:
    """Push one sample per signal through the receiver's own protocol."""
    if type_ in ("jaeger", "zipkin"):
        await _send_trace_sample(type_, rec)
        return
    if type_ in ("syslog", "fluentforward"):
        await _send_log_sample(type_, rec)
        return
    assert type_ == "otlp", f"no conformance driver for receiver {type_}"
    base = f"http://{cfg.protocols.http.endpoint}"
    async with aiohttp.ClientSession() as session:
        for signal in Signal:
            async with session.post(f"{base}/v1/{signal}", data=SAMPLES[signal](),
                                    headers={"Content-Type": "application/x-protobuf"}) as r:
                assert r.status == 200, await r.text()


async def _send_log_sample(type_: str, rec: Any) -> None:
    """The logs sample's bodies as RFC 5424 octet-counted frames, or one Forward-mode
    event; the receiver holds all of them before the connection closes."""
    import msgpack
    records = [i.record for i in items.log_records(logs_request(COUNTS[Signal.LOGS]))]
    if type_ == "syslog":
        port = rec.tcp.port
        frames = [f"<14>1 - host app - - - {r.body.string_value}".encode() for r in records]
        data = b"".join(b"%d %s" % (len(f), f) for f in frames)
    else:
        port = rec.port
        data = msgpack.packb(["conformance", [[r.time_unix_nano // 10**9,
                                               {"log": r.body.string_value}]
                                              for r in records], {"chunk": "c"}])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    if type_ == "fluentforward":
        assert msgpack.unpackb(await reader.read(64)) == {"ack": "c"}
    writer.close()
    await writer.wait_closed()
    await until(lambda: rec._consumer.total() == COUNTS[Signal.LOGS])


async def _send_trace_sample(type_: str, rec: Any) -> None:
    """The traces sample as Zipkin JSON v2, or as Jaeger Thrift over HTTP (one span per
    sample span, IDs from the sample)."""
    from jaeger_client.thrift_gen.jaeger import ttypes as jt
    from thrift.protocol.TBinaryProtocol import TBinaryProtocol
    from thrift.transport.TTransport import TMemoryBuffer

    from otelpy.zipkin import from_otlp
    spans = list(from_otlp.spans(traces_request(COUNTS[Signal.TRACES]), "conformance"))
    if type_ == "zipkin":
        url, body = f"http://127.0.0.1:{rec.port}/api/v2/spans", from_otlp.encode_json(spans)
        content_type = "application/json"
    else:
        def i64(hex_text: str) -> int:
            v = int(hex_text, 16)
            return v - (1 << 64) if v >= 1 << 63 else v
        batch = jt.Batch(jt.Process("conformance", []), [
            jt.Span(i64(z["traceId"][16:]), i64(z["traceId"][:16]), i64(z["id"]), 0,
                    z["name"], None, 1, z.get("timestamp", 0), z.get("duration", 0))
            for z in spans])
        buffer = TMemoryBuffer()
        batch.write(TBinaryProtocol(buffer))
        url, body = f"http://127.0.0.1:{rec.http_port}/api/traces", buffer.getvalue()
        content_type = "application/x-thrift"
    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=body, headers={"Content-Type": content_type}) as r:
            assert r.status == 202, await r.text()


@pytest.mark.parametrize("type_", _ids(Kind.EXTENSION))
async def test_extension(type_: str, env: Env) -> None:
    factory = REGISTRY.get(Kind.EXTENSION, type_)
    assert factory is not None
    cfg = _config(Kind.EXTENSION, type_, env)
    ext = factory.create(_settings(Kind.EXTENSION, type_, Telemetry()), cfg)
    assert isinstance(ext, Component)
    endpoint = getattr(cfg, "endpoint", None)
    await ext.start(FakeHost({"traces": "ok"}))
    if endpoint:  # a serving extension listens after start and not after shutdown
        assert _listening(endpoint), f"{type_} does not listen on {endpoint}"
    await ext.shutdown()
    await ext.shutdown()
    if endpoint:
        assert not _listening(endpoint), f"{type_} still listens on {endpoint}"


def _listening(endpoint: str) -> bool:
    host, _, port = endpoint.rpartition(":")
    with socket.socket() as s:
        s.settimeout(1.0)
        return s.connect_ex((host, int(port))) == 0


def test_every_component_has_conformance_settings(tmp_path: Path) -> None:
    class _Unstarted:
        endpoint = "127.0.0.1:1"
        url = "http://127.0.0.1:1"

    env = Env(tmp_path, _Unstarted(), _Unstarted(), _Unstarted())  # type: ignore[arg-type]
    missing = {(f.kind, f.type) for f in REGISTRY} - set(SETTINGS(env))
    assert missing == set()

"""Every registered component: create -> start -> consume a sample -> shutdown.

Each kind is driven through the same contract the engine relies on; the per-type
settings below only supply what a component cannot default (ports, paths,
endpoints). A component type missing from ``SETTINGS`` fails the test, so a new
component cannot skip conformance.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from otelpy.component import Component, ComponentID, Kind, PipelineID, Settings, Signal
from otelpy.consumer import Consumer, PipelineRouter
from otelpy.pdata import Batch
from otelpy.registry import load_registry
from otelpy.telemetry import ITEM_SUFFIX, Telemetry
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
CONNECTOR_OUTPUT: dict[tuple[str, str, str], int] = {}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Env:
    def __init__(self, tmp: Path, grpc_sink: GrpcSink, http_sink: HttpSink,
                 accept_url: str = "") -> None:
        self.tmp, self.grpc_sink, self.http_sink = tmp, grpc_sink, http_sink
        self.accept_url = accept_url  # answers 204 to any POST (InfluxDB, Datadog intakes)


async def _accept_all() -> tuple[web.AppRunner, str]:
    async def accept(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=204)
    app = web.Application()
    app.router.add_post("/{tail:.*}", accept)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


# (kind, type) -> config document for the test (ports and paths filled per test)
def SETTINGS(env: Env) -> dict[tuple[Kind, str], dict[str, Any]]:  # noqa: N802
    return {
        (Kind.RECEIVER, "otlp"): {"protocols": {
            "grpc": {"endpoint": f"127.0.0.1:{_free_port()}"},
            "http": {"endpoint": f"127.0.0.1:{_free_port()}"}}},
        (Kind.RECEIVER, "hostmetrics"): {"initial_delay": "0s", "collection_interval": "1h",
                                         "scrapers": {"load": None, "memory": None}},
        (Kind.RECEIVER, "healthcheck"): {"checks": {"port": {
            "type": "tcp", "endpoint": f"127.0.0.1:{_free_port()}", "interval": "1h"}}},
        (Kind.PROCESSOR, "batch"): {"timeout": "10ms"},
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
        (Kind.PROCESSOR, "resource"): {"attributes": [{"key": "conformance", "value": 1,
                                                       "action": "insert"}]},
        (Kind.EXPORTER, "otlp_grpc"): {"endpoint": env.grpc_sink.endpoint,
                                       "tls": {"insecure": True}},
        (Kind.EXPORTER, "otlp_http"): {"endpoint": env.http_sink.endpoint},
        (Kind.EXPORTER, "debug"): {"verbosity": "detailed"},
        (Kind.EXPORTER, "file"): {"path": str(env.tmp / "out.jsonl")},
        (Kind.EXPORTER, "prometheus"): {"endpoint": f"127.0.0.1:{_free_port()}"},
        (Kind.EXPORTER, "influxdb"): {"endpoint": env.accept_url, "bucket": "b"},
        (Kind.EXPORTER, "datadog"): {"api": {"key": "conformance"},
                                     "metrics": {"endpoint": env.accept_url}},
        (Kind.PROCESSOR, "deltatocumulative"): {"max_stale": "1m"},
        (Kind.PROCESSOR, "cumulativetodelta"): {"initial_value": "keep"},
        (Kind.CONNECTOR, "forward"): {},
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
    g, h = GrpcSink(), HttpSink()
    await g.start()
    await h.start()
    runner, accept_url = await _accept_all()
    yield Env(tmp_path, g, h, accept_url)
    await g.stop()
    await h.stop()
    await runner.cleanup()


def _settings(kind: Kind, type_: str, telemetry: Telemetry) -> Settings:
    cid = ComponentID(type_, "conformance")
    return Settings(cid, kind, logging.getLogger(f"test.{cid}"), telemetry)


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
        conn = factory.create(_settings(Kind.CONNECTOR, type_, Telemetry()), cfg,
                              Signal(src), Signal(dst), nxt)
        await conn.start(FakeHost())
        sent = _batch(Signal(src))
        await conn.consume(sent)
        await conn.shutdown()
        assert {b.signal for b in sink.batches} == {Signal(dst)}, f"{type_} {src}->{dst}"
        if src == dst:  # what went in came out: every item, unchanged, once
            out = Batch.merge(Signal(dst), sink.batches)
            assert out.message == _batch(Signal(src)).message, f"{type_} {src}->{dst}"
        else:
            expected = CONNECTOR_OUTPUT.get((type_, src, dst))
            assert expected is not None, f"{type_} {src}->{dst}: say what comes out"
            assert sink.items[Signal(dst)] == expected, f"{type_} {src}->{dst}"


@pytest.mark.parametrize("type_", _ids(Kind.RECEIVER))
async def test_receiver(type_: str, env: Env) -> None:
    factory = REGISTRY.get(Kind.RECEIVER, type_)
    assert factory is not None
    cfg = _config(Kind.RECEIVER, type_, env)
    sinks: dict[Signal, Consumer] = {s: SinkConsumer() for s in factory.signals()}
    rec = factory.create(_settings(Kind.RECEIVER, type_, Telemetry()), cfg, sinks)
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
        await _send_sample(type_, cfg)
    finally:
        await rec.shutdown()
        await rec.shutdown()
    for signal, sink in sinks.items():
        assert sink.total() == COUNTS[signal], f"{type_} {signal}"  # type: ignore[attr-defined]


async def _send_sample(type_: str, cfg: Any) -> None:
    """Push one sample per signal through the receiver's own protocol."""
    assert type_ == "otlp", f"no conformance driver for receiver {type_}"
    base = f"http://{cfg.protocols.http.endpoint}"
    async with aiohttp.ClientSession() as session:
        for signal in Signal:
            async with session.post(f"{base}/v1/{signal}", data=SAMPLES[signal](),
                                    headers={"Content-Type": "application/x-protobuf"}) as r:
                assert r.status == 200, await r.text()


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

    env = Env(tmp_path, _Unstarted(), _Unstarted())  # type: ignore[arg-type]
    missing = {(f.kind, f.type) for f in REGISTRY} - set(SETTINGS(env))
    assert missing == set()

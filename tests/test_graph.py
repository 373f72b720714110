"""Graph: instances per the config, data flows through, lifecycle order, start failure."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from pydantic import Field

from otelpy import config as otelconfig
from otelpy.component import ComponentBase, ComponentID, Factory, Host, Kind, Signal, Stability
from otelpy.config.types import ConfigModel, EmptyConfig
from otelpy.consumer import Capabilities, Consumer
from otelpy.errors import ComponentStartError, RetryableError
from otelpy.graph import Graph
from otelpy.pdata import Batch
from otelpy.registry import Registry
from otelpy.telemetry import Telemetry
from otelpy.testing.samples import logs_request, traces_request

ALL = {"traces": Stability.STABLE, "metrics": Stability.STABLE, "logs": Stability.STABLE}


class World:
    """What the test components did, in order."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.sources: dict[str, Mapping[Signal, Consumer]] = {}
        self.received: dict[str, list[Batch]] = {}


world = World()


class Source(ComponentBase):
    def __init__(self, cid: ComponentID, consumers: Mapping[Signal, Consumer]) -> None:
        self.cid = cid
        world.sources[str(cid)] = consumers

    async def start(self, host: Host) -> None:
        world.events.append(f"start {self.cid}")

    async def shutdown(self) -> None:
        world.events.append(f"stop {self.cid}")


class TagConfig(ConfigModel):
    value: str = Field("x", description="value of the attribute 'tag' added to each resource")
    fail_start: bool = Field(False, description="raise in start (for tests)")


class Tagger(ComponentBase, Consumer):
    """Adds a resource attribute: a mutating processor."""

    capabilities = Capabilities(mutates_data=True)

    def __init__(self, cid: ComponentID, cfg: TagConfig, nxt: Consumer) -> None:
        self.cid, self.cfg, self.next = cid, cfg, nxt

    async def start(self, host: Host) -> None:
        if self.cfg.fail_start:
            raise RuntimeError("port in use")
        world.events.append(f"start {self.cid}")

    async def shutdown(self) -> None:
        world.events.append(f"stop {self.cid}")

    async def consume(self, batch: Batch) -> None:
        msg = batch.mutable_message()
        for res in getattr(msg, f"resource_{'spans' if batch.signal is Signal.TRACES else 'logs'}"):
            kv = res.resource.attributes.add()
            kv.key, kv.value.string_value = "tag", self.cfg.value
        await self.next.consume(batch)

    consume_traces = consume_logs = consume


class Sink(ComponentBase, Consumer):
    def __init__(self, cid: ComponentID) -> None:
        self.cid = cid
        world.received[str(cid)] = []

    async def start(self, host: Host) -> None:
        world.events.append(f"start {self.cid}")

    async def shutdown(self) -> None:
        world.events.append(f"stop {self.cid}")

    async def consume(self, batch: Batch) -> None:
        if str(self.cid) == "sink/refuse":
            raise RetryableError("backend down", retry_after=2)
        world.received[str(self.cid)].append(batch)

    consume_traces = consume_metrics = consume_logs = consume


def _registry() -> Registry:
    from otelpy.connectors.forward import factory as forward

    return Registry([
        Factory("source", Kind.RECEIVER, EmptyConfig,
                lambda s, c, consumers: Source(s.id, consumers), ALL),
        Factory("tag", Kind.PROCESSOR, TagConfig,
                lambda s, c, sig, nxt: Tagger(s.id, c, nxt),
                {"traces": Stability.BETA, "logs": Stability.BETA}),
        Factory("sink", Kind.EXPORTER, EmptyConfig, lambda s, c, sigs: Sink(s.id), ALL),
        forward,
    ])


CONFIG = """
receivers:
  source:
  source/2:
processors:
  tag/a: {value: a}
  tag/b: {value: b}
exporters:
  sink/1:
  sink/2:
  sink/refuse:
connectors:
  forward:
service:
  telemetry: {metrics: {level: none}}
  pipelines:
    traces:
      receivers: [source]
      processors: [tag/a]
      exporters: [sink/1, forward]
    traces/after:
      receivers: [forward]
      processors: [tag/b]
      exporters: [sink/2]
    logs:
      receivers: [source, source/2]
      exporters: [sink/1, sink/refuse]
"""


def _graph(text: str) -> Graph:
    reg = _registry()
    cfg = otelconfig.validate(otelconfig.load([], default_yaml=text), reg)
    g = Graph(cfg, reg, Telemetry())
    g.build()
    return g


@pytest.fixture(autouse=True)
def _fresh_world() -> None:
    global world
    world.__init__()  # type: ignore[misc]


async def test_data_flows_through_processors_fanout_and_connectors() -> None:
    g = _graph(CONFIG)
    await g.start()
    await world.sources["source"][Signal.TRACES].consume(
        Batch.from_bytes(Signal.TRACES, traces_request(5).SerializeToString()))
    first = world.received["sink/1"][0].message
    second = world.received["sink/2"][0].message
    tags = lambda m: [kv.value.string_value for kv in m.resource_spans[0].resource.attributes  # noqa: E731
                      if kv.key == "tag"]
    assert tags(first) == ["a"]
    # the connector's pipeline got its own copy: sink/1 does not see tag b
    assert tags(second) == ["a", "b"]
    assert world.received["sink/1"][0].item_count == 5
    await g.shutdown()


async def test_receiver_counts_and_refusal_propagates() -> None:
    g = _graph(CONFIG)
    await g.start()
    logs = Batch.from_bytes(Signal.LOGS, logs_request(7).SerializeToString())
    with pytest.raises(RetryableError) as exc:
        await world.sources["source/2"][Signal.LOGS].consume(logs)
    assert exc.value.retry_after == 2
    assert g.telemetry.value("otelcol_receiver_refused_log_records_total",
                             {"receiver": "source/2"}) == 7
    assert Signal.TRACES not in world.sources["source/2"]
    await g.shutdown()


async def test_start_order_and_reverse_shutdown() -> None:
    g = _graph(CONFIG)
    await g.start()
    await g.shutdown()
    starts = [e[6:] for e in world.events if e.startswith("start")]
    stops = [e[5:] for e in world.events if e.startswith("stop")]
    assert starts.index("sink/1") < starts.index("tag/a") < starts.index("source")
    assert starts.index("tag/b") < starts.index("tag/a")  # downstream pipeline first
    assert stops == list(reversed(starts))
    assert g.pipeline_status() == {"traces": "stopped", "traces/after": "stopped",
                                   "logs": "stopped"}


async def test_failed_start_names_component_and_stops_started_ones() -> None:
    g = _graph(CONFIG.replace("tag/b: {value: b}", "tag/b: {value: b, fail_start: true}"))
    with pytest.raises(ComponentStartError, match=r"processors::tag/b: failed to start: port"):
        await g.start()
    started = [e[6:] for e in world.events if e.startswith("start")]
    stopped = [e[5:] for e in world.events if e.startswith("stop")]
    assert "source" not in started
    assert sorted(stopped) == sorted(started)


def test_instances_per_design() -> None:
    g = _graph(CONFIG)
    comps = g.components()
    kinds: dict[str, list[str]] = {}
    for kind, cid, _ in comps:
        kinds.setdefault(str(kind), []).append(str(cid))
    assert sorted(kinds["receiver"]) == ["source", "source/2"]
    assert sorted(kinds["exporter"]) == ["sink/1", "sink/2", "sink/refuse"]
    assert kinds["connector"] == ["forward"]
    assert sorted(kinds["processor"]) == ["tag/a", "tag/b"]



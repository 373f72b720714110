"""The per-component shutdown limit: a component whose shutdown overruns it is logged
and the shutdown of the others goes on (in order), also when the component ignores
being cancelled."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from otelpy import config as otelconfig
from otelpy.component import ComponentBase, ComponentID, Factory, Host, Kind, Stability
from otelpy.config.types import EmptyConfig
from otelpy.consumer import Consumer
from otelpy.graph import Graph
from otelpy.pdata import Batch
from otelpy.registry import Registry
from otelpy.telemetry import Telemetry

ALL = {"traces": Stability.STABLE}
LIMIT = 0.3  # seconds each component gets to stop


class Part(ComponentBase, Consumer):
    """A receiver, processor or exporter that records its stop; ``hang`` and ``stubborn``
    do not finish shutting down (``stubborn`` even swallows its cancellation and goes on
    waiting until ``release`` is set)."""

    release = asyncio.Event()

    def __init__(self, cid: ComponentID, events: list[str], nxt: Consumer | None = None) -> None:
        self.cid, self.events, self.next = cid, events, nxt

    async def start(self, host: Host) -> None:
        self.events.append(f"start {self.cid}")

    async def shutdown(self) -> None:
        self.events.append(f"stopping {self.cid}")
        if self.cid.name == "hang":
            await asyncio.Event().wait()
        if self.cid.name == "stubborn":
            while not self.release.is_set():
                try:
                    await self.release.wait()
                except asyncio.CancelledError:
                    self.events.append(f"ignored cancel {self.cid}")
        self.events.append(f"stopped {self.cid}")

    async def consume(self, batch: Batch) -> None:
        if self.next is not None:
            await self.next.consume(batch)

    consume_traces = consume


CONFIG = """
receivers:
  part/first:
processors:
  part/hang:
exporters:
  part/stubborn:
  part/last:
service:
  telemetry: {metrics: {level: none}}
  pipelines:
    traces:
      receivers: [part/first]
      processors: [part/hang]
      exporters: [part/stubborn, part/last]
"""


def _graph(events: list[str]) -> Graph:
    reg = Registry([
        Factory("part", Kind.RECEIVER, EmptyConfig,
                lambda s, c, consumers: Part(s.id, events), ALL),
        Factory("part", Kind.PROCESSOR, EmptyConfig,
                lambda s, c, sig, nxt: Part(s.id, events, nxt), ALL),
        Factory("part", Kind.EXPORTER, EmptyConfig, lambda s, c, sigs: Part(s.id, events), ALL),
    ])
    cfg = otelconfig.validate(otelconfig.load([], default_yaml=CONFIG), reg)
    graph = Graph(cfg, reg, Telemetry(), shutdown_timeout=LIMIT)
    graph.build()
    return graph


async def test_overrunning_components_are_logged_and_shutdown_goes_on(
        caplog: pytest.LogCaptureFixture) -> None:
    events: list[str] = []
    Part.release = asyncio.Event()
    graph = _graph(events)
    await graph.start()
    started = time.monotonic()
    with caplog.at_level(logging.ERROR, "otelpy.graph"):
        await asyncio.wait_for(graph.shutdown(), 60)
    took = time.monotonic() - started
    stops = [e for e in events if not e.startswith("start")]
    assert stops[0] == "stopping part/first" and stops[1] == "stopped part/first"
    assert stops[2] == "stopping part/hang"
    # exporters stop after processors, in either order; each still gets its turn
    assert "stopping part/stubborn" in stops and "stopped part/last" in stops
    assert "stopped part/hang" not in stops and "stopped part/stubborn" not in stops
    assert stops.index("stopping part/hang") < stops.index("stopping part/stubborn")
    assert "ignored cancel part/stubborn" in stops
    errors = sorted(r.getMessage() for r in caplog.records)
    assert errors == [
        f"exporter part/stubborn did not stop within {LIMIT}s",
        "exporter part/stubborn ignored its cancellation; left behind",
        f"processor part/hang did not stop within {LIMIT}s",
    ], errors
    # each overrunning component got its limit (the stubborn one a grace period more),
    # and no more than that: bounded at 10x slower
    assert 2 * LIMIT <= took < 10 * (3 * LIMIT + 1.0), took
    assert graph.pipeline_status() == {"traces": "stopped"}
    Part.release.set()  # what the stubborn one waited for comes: it ends after all
    await asyncio.sleep(0)
    assert "stopped part/stubborn" in events

"""Config -> pipelines -> a graph of created components, with the lifecycle order.

Instances: one per receiver ID (serving every signal it is used with), one per
processor per pipeline, one per exporter ID, one per connector ID and signal
pair, one per extension. Start order is extensions, exporters, connectors,
processors (last to first in each pipeline), receivers; shutdown is the reverse.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from otelpy.component import Component, ComponentID, Host, Kind, PipelineID, Settings, Signal
from otelpy.consumer import Capabilities, Consumer, FanOut, PipelineRouter
from otelpy.errors import ComponentStartError, ConsumerError
from otelpy.hostview import ExtensionView, PipelineView
from otelpy.pdata import Batch
from otelpy.registry import Registry
from otelpy.statusapi import ApiRoutes
from otelpy.telemetry import Telemetry

log = logging.getLogger("otelpy.graph")
CANCEL_GRACE = 1.0  # seconds a component past its shutdown limit gets to end once cancelled


async def _finished(task: asyncio.Future[None], within: float) -> bool:
    """Wait up to ``within`` seconds for ``task``; True when it ended. Being cancelled
    meanwhile cancels ``task`` too."""
    try:
        done, _ = await asyncio.wait({task}, timeout=within)
    except asyncio.CancelledError:
        task.cancel()
        raise
    return bool(done)


class ObservedReceiverConsumer(Consumer):
    """What a receiver is handed: counts accepted and refused items per receiver."""

    def __init__(self, receiver: ComponentID, signal: Signal, nxt: Consumer,
                 telemetry: Telemetry) -> None:
        labels = {"receiver": str(receiver)}
        self._next = nxt
        self._accepted = telemetry.items(
            "otelcol_receiver_accepted", signal,
            "Items successfully pushed into the pipeline", ["receiver"]).labels(**labels)
        self._refused = telemetry.items(
            "otelcol_receiver_refused", signal,
            "Items that could not be pushed into the pipeline", ["receiver"]).labels(**labels)
        self.capabilities = Capabilities(False)

    def retarget(self, nxt: Consumer) -> None:
        """Send from now on to ``nxt`` (a reload hands a running receiver new pipelines)."""
        self._next = nxt

    async def consume(self, batch: Batch) -> None:
        try:
            await self._next.consume(batch)
        except ConsumerError:
            self._refused.inc(batch.item_count)
            raise
        self._accepted.inc(batch.item_count)

    consume_traces = consume_metrics = consume_logs = consume


class _Declared(Consumer):
    """A consumer chain's entry point, declaring whether anything down the chain mutates.

    Fan-out decides who gets a copy from ``capabilities``; a pipeline mutates if any of
    its processors does, and a connector's input mutates if any of its target pipelines does.
    """

    def __init__(self, nxt: Consumer, mutates: bool) -> None:
        self._next = nxt
        self.capabilities = Capabilities(mutates)

    async def consume(self, batch: Batch) -> None:
        await self._next.consume(batch)

    consume_traces = consume_metrics = consume_logs = consume


def _mutates(consumers: list[Consumer]) -> bool:
    return any(c.capabilities.mutates_data for c in consumers)


@dataclass
class _Instance:
    id: ComponentID
    kind: Kind
    component: Any
    pipeline: PipelineID | None = None
    config: BaseModel | None = None
    # receivers: what the receiver was handed, so a reload can retarget it
    consumers: dict[Signal, ObservedReceiverConsumer] | None = None
    adopted: bool = False  # taken over running from the previous graph on reload


@dataclass
class Graph:
    """Created components of one validated config, ready to start."""

    config: Any  # otelpy.config.ValidatedConfig
    registry: Registry
    telemetry: Telemetry
    shutdown_timeout: float = 10.0  # bound on each component's shutdown
    drain_timeout: float = 5.0  # what exporters get to drain their sending queue
    previous: Graph | None = None  # on reload: running instances with unchanged config are kept
    api: ApiRoutes = field(default_factory=ApiRoutes)  # the status extension's /api routes
    _retargets: list[tuple[ObservedReceiverConsumer, Consumer]] = field(default_factory=list)
    _activated: bool = False
    _status: dict[str, str] = field(default_factory=dict)
    _pipeline_mutates: dict[PipelineID, bool] = field(default_factory=dict)
    _extensions: list[_Instance] = field(default_factory=list)
    _exporters: list[_Instance] = field(default_factory=list)
    _connectors: list[_Instance] = field(default_factory=list)
    _processors: list[_Instance] = field(default_factory=list)  # start order
    _receivers: list[_Instance] = field(default_factory=list)
    _started: list[_Instance] = field(default_factory=list)
    _left_behind: set[asyncio.Future[None]] = field(default_factory=set)  # ignored cancel

    # -- building -----------------------------------------------------------------------
    def build(self) -> None:
        """Create every component; raises ComponentStartError naming the failing ID."""
        cfg = self.config
        for ext_id in cfg.service_extensions:
            ext_cfg = cfg.extensions[ext_id]
            old = self._adoptable(Kind.EXTENSION, ext_id, ext_cfg)
            if old is not None:
                self._extensions.append(_Instance(ext_id, Kind.EXTENSION, old.component,
                                                  config=ext_cfg, adopted=True))
                continue
            comp = self._create(Kind.EXTENSION, ext_id, ext_cfg)
            self._extensions.append(_Instance(ext_id, Kind.EXTENSION, comp, config=ext_cfg))
        exporters = self._build_exporters()
        heads: dict[PipelineID, Consumer] = {}
        connector_inputs: dict[tuple[ComponentID, Signal], Consumer] = {}
        for pid in self._pipeline_order():
            pipe = cfg.pipelines[pid]
            sinks: list[Consumer] = []
            for eid in pipe.exporters:
                if eid in cfg.connectors:
                    key = (eid, pid.signal)
                    if key not in connector_inputs:
                        connector_inputs[key] = self._build_connector(eid, pid.signal, heads)
                    sinks.append(connector_inputs[key])
                else:
                    sinks.append(exporters[eid])
            nxt: Consumer = sinks[0] if len(sinks) == 1 else FanOut(sinks)
            chain: list[Consumer] = []
            for proc_id in reversed(pipe.processors):
                comp = self._create(Kind.PROCESSOR, proc_id, cfg.processors[proc_id],
                                    pid.signal, nxt)
                self._processors.append(_Instance(proc_id, Kind.PROCESSOR, comp, pid))
                chain.append(comp)
                nxt = comp
            self._pipeline_mutates[pid] = _mutates(chain)
            heads[pid] = _Declared(nxt, self._pipeline_mutates[pid])
            self._status[str(pid)] = "starting"
        self._build_receivers(heads)

    def _build_exporters(self) -> dict[ComponentID, Consumer]:
        cfg = self.config
        signals: dict[ComponentID, set[Signal]] = {}
        for pid, pipe in cfg.pipelines.items():
            for eid in pipe.exporters:
                if eid in cfg.exporters:
                    signals.setdefault(eid, set()).add(pid.signal)
        out: dict[ComponentID, Consumer] = {}
        for eid in sorted(signals):
            comp = self._create(Kind.EXPORTER, eid, cfg.exporters[eid], frozenset(signals[eid]))
            self._exporters.append(_Instance(eid, Kind.EXPORTER, comp))
            out[eid] = comp
        return out

    def _pipeline_order(self) -> list[PipelineID]:
        """Pipelines ordered so a connector's target pipelines are built before its sources."""
        cfg = self.config
        deps: dict[PipelineID, set[PipelineID]] = {pid: set() for pid in cfg.pipelines}
        for src, pipe in cfg.pipelines.items():
            for cid in pipe.exporters:
                if cid in cfg.connectors:
                    for dst, other in cfg.pipelines.items():
                        if cid in other.receivers:
                            deps[src].add(dst)
        order: list[PipelineID] = []
        visiting: set[PipelineID] = set()

        def visit(pid: PipelineID) -> None:
            if pid in order:
                return
            if pid in visiting:
                raise ComponentStartError(f"pipelines form a cycle through {pid}")
            visiting.add(pid)
            for dep in sorted(deps[pid]):
                visit(dep)
            visiting.discard(pid)
            order.append(pid)

        for pid in sorted(cfg.pipelines):
            visit(pid)
        return order

    def _build_connector(self, cid: ComponentID, source: Signal,
                         heads: Mapping[PipelineID, Consumer]) -> Consumer:
        """The connector's input for ``source`` data: one instance per target signal,
        each feeding the (already built) pipelines that list the connector as receiver."""
        cfg = self.config
        factory = self._factory(Kind.CONNECTOR, cid)
        targets = [p for p, pipe in sorted(cfg.pipelines.items()) if cid in pipe.receivers]
        inputs: list[Consumer] = []
        for target in sorted({t.signal for t in targets}):
            if not factory.supports_pair(source, target):
                continue
            tgt = [heads[t] for t in targets if t.signal is target]
            nxt: Consumer = tgt[0] if len(tgt) == 1 else FanOut(tgt)
            if factory.pipeline_refs is not None:
                nxt = PipelineRouter({t: heads[t] for t in targets if t.signal is target})
            comp = self._create(Kind.CONNECTOR, cid, cfg.connectors[cid], source, target, nxt)
            self._connectors.append(_Instance(cid, Kind.CONNECTOR, comp))
            inputs.append(_Declared(comp, _mutates([comp, *tgt])))
        if not inputs:
            raise ComponentStartError(f"connectors::{cid}: no supported target for {source}")
        return inputs[0] if len(inputs) == 1 else FanOut(inputs)

    def _build_receivers(self, heads: Mapping[PipelineID, Consumer]) -> None:
        cfg = self.config
        for rid in sorted(cfg.receivers):
            targets: dict[Signal, Consumer] = {}
            for signal in Signal:
                tgt = [heads[p] for p, pipe in sorted(cfg.pipelines.items())
                       if p.signal is signal and rid in pipe.receivers]
                if tgt:
                    targets[signal] = tgt[0] if len(tgt) == 1 else FanOut(tgt)
            if not targets:
                continue
            rcfg = cfg.receivers[rid]
            old = self._adoptable(Kind.RECEIVER, rid, rcfg)
            if old is not None and old.consumers is not None and set(old.consumers) == set(
                    targets):
                self._retargets.extend((old.consumers[s], t) for s, t in targets.items())
                self._receivers.append(_Instance(rid, Kind.RECEIVER, old.component, config=rcfg,
                                                 consumers=old.consumers, adopted=True))
                continue
            consumers = {s: ObservedReceiverConsumer(rid, s, t, self.telemetry)
                         for s, t in targets.items()}
            comp = self._create(Kind.RECEIVER, rid, rcfg, consumers)
            self._receivers.append(_Instance(rid, Kind.RECEIVER, comp, config=rcfg,
                                             consumers=consumers))

    def _adoptable(self, kind: Kind, cid: ComponentID, cfg: BaseModel) -> _Instance | None:
        """The previous graph's running instance of ``cid`` if its config is unchanged."""
        if self.previous is None:
            return None
        for inst in self.previous._started:
            if inst.kind is kind and inst.id == cid and inst.config == cfg:
                return inst
        return None

    def _factory(self, kind: Kind, cid: ComponentID) -> Any:
        factory = self.registry.get(kind, cid.type)
        if factory is None:
            raise ComponentStartError(f"{kind.section}::{cid}: no {kind} type {cid.type!r}")
        return factory

    def _create(self, kind: Kind, cid: ComponentID, cfg: BaseModel, *args: Any) -> Any:
        factory = self._factory(kind, cid)
        settings = Settings(cid, kind, logging.getLogger(f"otelpy.{kind.section}.{cid}"),
                            self.telemetry)
        try:
            return factory.create(settings, cfg, *args)
        except (ValueError, TypeError, OSError) as exc:
            raise ComponentStartError(f"{kind.section}::{cid}: failed to create: {exc}") from exc

    # -- lifecycle ----------------------------------------------------------------------
    def _start_order(self) -> list[_Instance]:
        return [*self._extensions, *self._exporters, *self._connectors, *self._processors,
                *self._receivers]

    async def start(self, host: Host | None = None) -> None:
        """Start everything in order (adopted instances are already running), then route
        adopted receivers to the new pipelines. On failure, stop what this graph started
        and raise ComponentStartError naming the component."""
        for inst in self._start_order():
            if inst.adopted:
                self._started.append(inst)
                continue
            try:
                await inst.component.start(host or self)
            except (OSError, RuntimeError, ValueError, ConsumerError,
                    ComponentStartError) as exc:
                log.error("failed to start %s %s: %s", inst.kind, inst.id, exc)
                await self.shutdown()
                raise ComponentStartError(
                    f"{inst.kind.section}::{inst.id}: failed to start: {exc}") from exc
            self._started.append(inst)
        for consumer, nxt in self._retargets:
            consumer.retarget(nxt)
        self._activated = True
        for pid in self._status:
            self._status[pid] = "ok"

    def adopted(self) -> set[tuple[Kind, ComponentID]]:
        return {(i.kind, i.id) for i in self._start_order() if i.adopted}

    async def stop_receivers(self, keep: set[tuple[Kind, ComponentID]]) -> None:
        """Stop the receivers not in ``keep`` now (a reload frees their ports first)."""
        for inst in [i for i in self._started if i.kind is Kind.RECEIVER]:
            if (inst.kind, inst.id) not in keep:
                self._started.remove(inst)
                await self._stop(inst)

    def release(self, handed_over: set[tuple[Kind, ComponentID]]) -> None:
        """Forget instances a newer graph has taken over, so shutdown leaves them running."""
        self._started = [i for i in self._started if (i.kind, i.id) not in handed_over]

    async def shutdown(self) -> None:
        """Stop in reverse start order; each component gets a bounded time. Idempotent.

        Adopted instances are left running until this graph has taken them over."""
        while self._started:
            inst = self._started.pop()
            if inst.adopted and not self._activated:
                continue
            await self._stop(inst)
        for pid in self._status:
            self._status[pid] = "stopped"

    async def _stop(self, inst: _Instance) -> None:
        shutdown = inst.component.shutdown
        if inst.kind is Kind.EXPORTER and "drain_timeout" in inspect.signature(
                shutdown).parameters:
            shutdown = functools.partial(shutdown, drain_timeout=self.drain_timeout)
        task = asyncio.ensure_future(shutdown())
        try:
            if not await _finished(task, self.shutdown_timeout):
                log.error("%s %s did not stop within %ss", inst.kind, inst.id,
                          self.shutdown_timeout)
                task.cancel()
                if not await _finished(task, CANCEL_GRACE):
                    log.error("%s %s ignored its cancellation; left behind", inst.kind, inst.id)
                    self._left_behind.add(task)  # owned until it ends, if ever
                    task.add_done_callback(self._left_behind.discard)
                    return
            if not task.cancelled():
                task.result()
        except (OSError, RuntimeError, ConsumerError) as exc:
            log.error("error stopping %s %s: %s", inst.kind, inst.id, exc)

    # -- Host ---------------------------------------------------------------------------
    def extension(self, component_id: ComponentID) -> Component | None:
        for inst in self._extensions:
            if inst.id == component_id:
                return inst.component  # type: ignore[no-any-return]
        return None

    def pipeline_status(self) -> Mapping[str, str]:
        return dict(self._status)

    def api_routes(self) -> ApiRoutes:
        return self.api

    def components(self) -> list[tuple[Kind, ComponentID, PipelineID | None]]:
        return [(i.kind, i.id, i.pipeline) for i in self._start_order()]

    def component(self, kind: Kind, component_id: ComponentID) -> Any:
        """The instance of a receiver, exporter or extension (the first one of a processor
        or connector) in this graph, or None: a reload keeps unchanged ones the same."""
        for inst in self._start_order():
            if inst.kind is kind and inst.id == component_id:
                return inst.component
        return None

    # -- what zpages shows (see otelpy.hostview) ------------------------------------------
    def pipeline_views(self) -> tuple[PipelineView, ...]:
        """Every built pipeline, sorted by ID; connectors are marked ``(connector)``."""
        cfg = self.config

        def names(ids: tuple[ComponentID, ...]) -> tuple[str, ...]:
            return tuple(f"{c} (connector)" if c in cfg.connectors else str(c) for c in ids)

        return tuple(
            PipelineView(str(pid), str(pid.signal), self._pipeline_mutates.get(pid, False),
                         names(pipe.receivers), tuple(str(p) for p in pipe.processors),
                         names(pipe.exporters), self._status.get(str(pid), "starting"))
            for pid, pipe in sorted(cfg.pipelines.items()))

    def extension_views(self) -> tuple[ExtensionView, ...]:
        """The extensions of ``service::extensions`` in start order, and whether each runs."""
        started = {id(i) for i in self._started}
        return tuple(ExtensionView(str(i.id), id(i) in started) for i in self._extensions)


__all__ = ["Graph", "ObservedReceiverConsumer"]

"""The k8s_cluster receiver: a watched cache per kind (otelpy/k8swatch: list, then watch
from the list's resourceVersion; reconnects resume; a 410 Gone relists without duplicates
or losses) and, every ``collection_interval``, one snapshot of every cached object as the
Collector's k8s_cluster metrics. A kind is in the snapshot once its first list is done."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Iterator

from opentelemetry.proto.metrics.v1.metrics_pb2 import Metric

from otelpy import __version__
from otelpy.clock import run_every
from otelpy.component import ComponentBase, Host, Settings, Signal
from otelpy.consumer import Consumer
from otelpy.errors import ConsumerError
from otelpy.k8swatch import ApiConnection, JSONObject, Watcher, WatchSpec
from otelpy.pdata.build import RequestBuilder
from otelpy.receivers.k8s_cluster.config import K8sClusterConfig
from otelpy.receivers.k8s_cluster.metadata import SCOPE
from otelpy.receivers.k8s_cluster.objects import KINDS, Group, Kind, node_groups

__all__ = ["K8sClusterReceiver"]


def _order(obj: JSONObject) -> tuple[str, str, str]:
    meta = obj.get("metadata") or {}
    return (str(meta.get("namespace") or ""), str(meta.get("name") or ""),
            str(meta.get("uid") or ""))


async def _ignore(kind: str, obj: JSONObject) -> None:
    """The caches are read at each snapshot; single changes need no handling."""


class K8sClusterReceiver(ComponentBase):
    def __init__(self, settings: Settings, cfg: K8sClusterConfig, consumer: Consumer) -> None:
        self._settings = settings
        self._cfg = cfg
        self._next = consumer
        self._conn: ApiConnection | None = None
        self.watchers: list[tuple[Kind, Watcher]] = []
        self._tasks: list[asyncio.Task[None]] = []
        self.snapshots = 0
        self._refused = 0

    def kinds(self) -> list[Kind]:
        nodes = Kind("nodes", "v1", False, functools.partial(
            node_groups, conditions=self._cfg.node_conditions_to_report,
            allocatable=self._cfg.allocatable_types_to_report))
        return [nodes, *KINDS]

    def _paths(self, kind: Kind) -> list[str]:
        namespaces = self._cfg.watched_namespaces()
        if not namespaces:
            return [kind.path()]
        return [kind.path(ns) for ns in namespaces] if kind.namespaced else []

    async def start(self, host: Host) -> None:
        if self._cfg.metadata_exporters:
            self._settings.logger.warning(
                "receiver %s: metadata_exporters is accepted but otelpy sends no entity "
                "metadata", self._settings.id)
        self._conn = ApiConnection(self._cfg)
        await self._conn.open()
        for kind in self.kinds():
            for path in self._paths(kind):
                spec = WatchSpec(path, emit_initial=False, max_objects=self._cfg.max_objects)
                watcher = Watcher(self._conn, spec, _ignore, self._settings.clock,
                                  self._settings.logger)
                self.watchers.append((kind, watcher))
                self._tasks.append(asyncio.create_task(watcher.run(),
                                                       name=f"k8s_cluster {path}"))
        interval = self._cfg.collection_interval
        self._tasks.append(asyncio.create_task(
            run_every(self._settings.clock, interval, interval, self.snapshot),
            name=f"{self._settings.id} snapshots"))

    async def shutdown(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    def groups(self) -> Iterator[Group]:
        """Every synced kind's cached objects as metric groups, in a stable order."""
        for kind, watcher in self.watchers:
            if watcher.synced.is_set():
                for obj in sorted(watcher.cache, key=_order):
                    yield from kind.groups(obj)

    async def snapshot(self) -> None:
        """Send the metrics of every cached object (nothing when no kind has synced)."""
        now = self._settings.clock.time_ns()
        builder = RequestBuilder(Signal.METRICS)
        for group in self.groups():
            metrics = self._metrics(group, now)
            if metrics:
                resource = {k: v for k, v in group.resource.items()
                            if self._cfg.attribute_enabled(k)}
                builder.scope(resource, SCOPE, __version__).metrics.extend(metrics)
        self._warn_refused()
        if not builder:
            return
        self.snapshots += 1
        try:
            await self._next.consume_metrics(builder.batch())
        except ConsumerError as exc:  # refused: counted by the engine
            self._settings.logger.warning("receiver %s: pipeline refused a snapshot: %s",
                                          self._settings.id, exc)

    def _warn_refused(self) -> None:
        refused = sum(w.cache.refused for _, w in self.watchers)
        if refused > self._refused:
            self._settings.logger.warning(
                "receiver %s: %d objects left out: a kind has more than max_objects (%d)",
                self._settings.id, refused - self._refused, self._cfg.max_objects)
            self._refused = refused

    def _metrics(self, group: Group, now: int) -> list[Metric]:
        out: dict[str, Metric] = {}
        for definition, amount, attrs in group.points:
            if not self._cfg.metric_enabled(definition.name):
                continue
            metric = out.get(definition.name)
            if metric is None:
                metric = out[definition.name] = Metric(
                    name=definition.name, unit=definition.unit,
                    description=definition.description)
                metric.gauge.SetInParent()
            point = metric.gauge.data_points.add(time_unix_nano=now)
            if definition.double:
                point.as_double = float(amount)
            else:
                point.as_int = int(amount)
            for key, text in attrs.items():
                point.attributes.add(key=key).value.string_value = text
        return list(out.values())

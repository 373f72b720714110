"""The k8sattributes processor: adds pod metadata to resources from a watched pod cache.

Each resource is matched to a pod by the first association rule whose identifiers are all
present (resource attributes, or the connection's address); the pod's configured metadata,
labels and annotations are then set on the resource where the resource does not already
carry them. Pods come from a watch of the API (otelpy/k8swatch), narrowed by ``filter``;
replicasets (for deployment names) and namespaces (for namespace labels) are watched only
when asked for.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from typing import Any

from otelpy.component import ComponentBase, Host, Settings, Signal
from otelpy.consumer import Capabilities, Consumer
from otelpy.k8swatch import ApiConnection, Handler, Watcher, WatchSpec
from otelpy.pdata import SPECS, Batch
from otelpy.pdata.values import Attributes
from otelpy.processors.k8sattributes.config import FieldFilter, K8sAttributesConfig
from otelpy.processors.k8sattributes.pods import PodTable, Rule

DEFAULT_RULES: list[Rule] = [("k8s.pod.ip",), ("k8s.pod.uid",), ("connection",)]
_DEPLOYMENT_KEYS = {"k8s.deployment.name", "k8s.deployment.uid"}
_LABEL_OPS = {"equals": "{k}={v}", "not-equals": "{k}!={v}", "exists": "{k}",
              "does-not-exist": "!{k}"}


def _rules(cfg: K8sAttributesConfig) -> list[Rule]:
    if not cfg.pod_association:
        return list(DEFAULT_RULES)
    return [tuple("connection" if s.from_ == "connection" else s.name for s in rule.sources)
            for rule in cfg.pod_association]


def _selector(terms: list[FieldFilter], fields: bool) -> list[str]:
    return [(f"{t.key}!={t.value}" if t.op == "not-equals" else f"{t.key}={t.value}")
            if fields else _LABEL_OPS[t.op].format(k=t.key, v=t.value) for t in terms]


def pod_watch(cfg: K8sAttributesConfig, env: dict[str, str]) -> WatchSpec:
    """The pods watch ``filter`` asks for (``env`` resolves node_from_env_var)."""
    node = env.get(cfg.filter.node_from_env_var, "") if cfg.filter.node_from_env_var else ""
    node = node or cfg.filter.node
    fields = _selector(cfg.filter.fields, True) + ([f"spec.nodeName={node}"] if node else [])
    ns = cfg.filter.namespace
    path = f"/api/v1/namespaces/{ns}/pods" if ns else "/api/v1/pods"
    return WatchSpec(path, label_selector=",".join(_selector(cfg.filter.labels, False)),
                     field_selector=",".join(fields), max_objects=cfg.max_pods)


class K8sAttributesProcessor(Consumer, ComponentBase):
    """One instance per pipeline it appears in; each watches on its own."""

    capabilities = Capabilities(mutates_data=True)

    def __init__(self, settings: Settings, cfg: K8sAttributesConfig, signal: Signal,
                 next_consumer: Consumer) -> None:
        self._settings = settings
        self._cfg = cfg
        self._signal = signal
        self._forward: Callable[[Batch], Awaitable[None]] = getattr(
            next_consumer, f"consume_{signal.value}")
        self.table = PodTable(cfg, _rules(cfg))
        self._pods_spec = pod_watch(cfg, dict(os.environ))
        self._conn: ApiConnection | None = None
        self.watchers: list[Watcher] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._unmatched = settings.telemetry.counter(
            "otelpy_processor_k8sattributes_unmatched_resources",
            "Resources no pod was found for", ["processor"]).labels(processor=str(settings.id))

    async def start(self, host: Host) -> None:
        if self._cfg.passthrough:
            return
        self._conn = ApiConnection(self._cfg)
        await self._conn.open()
        self._watch(self._pods_spec, self.table.on_pod)
        wanted = set(self._cfg.extract.metadata)
        if wanted & _DEPLOYMENT_KEYS:
            self._watch(WatchSpec("/apis/apps/v1/replicasets"), self.table.on_replicaset)
        rules = self._cfg.extract.labels + self._cfg.extract.annotations
        if any(r.from_ == "namespace" for r in rules):
            self._watch(WatchSpec("/api/v1/namespaces"), self.table.on_namespace)
        if self._cfg.wait_for_metadata:
            try:
                await asyncio.wait_for(self.watchers[0].synced.wait(),
                                       self._cfg.wait_for_metadata_timeout)
            except TimeoutError:
                await self.shutdown()
                raise RuntimeError("k8sattributes: pods were not listed within "
                                   "wait_for_metadata_timeout") from None

    def _watch(self, spec: WatchSpec, handler: Handler) -> None:
        assert self._conn is not None
        watcher = Watcher(self._conn, spec, handler, self._settings.clock,
                          self._settings.logger)
        self.watchers.append(watcher)
        self._tasks.append(asyncio.create_task(watcher.run(), name=f"k8swatch {spec.path}"))

    async def shutdown(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    def _associate(self, attrs: Attributes, connection: str) -> dict[str, str] | None:
        for rule in self.table.rules:
            key = []
            for source in rule:
                value = connection if source == "connection" else attrs.get(source)
                if not isinstance(value, str) or not value:
                    break
                key.append(value)
            else:
                pod = self.table.find(rule, tuple(key))
                if pod is not None:
                    container = attrs.get("k8s.container.name")
                    return self.table.attributes(pod, container if isinstance(
                        container, str) else "")
        return None

    def enrich(self, request: Any, connection: str = "") -> None:
        """Set pod attributes on every resource of ``request`` that matches a pod."""
        spec = SPECS[self._signal]
        for envelope in getattr(request, spec.resources):
            attrs = Attributes(envelope.resource.attributes)
            found = self._associate(attrs, connection)
            if found is None:
                self._unmatched.inc()
                continue
            for key, value in found.items():
                if key not in attrs:
                    attrs[key] = value

    async def _consume(self, batch: Batch) -> None:
        if not self._cfg.passthrough:
            self.enrich(batch.mutable_message(), _connection(batch))
        await self._forward(batch)

    async def consume_traces(self, batch: Batch) -> None:
        await self._consume(batch)

    async def consume_metrics(self, batch: Batch) -> None:
        await self._consume(batch)

    async def consume_logs(self, batch: Batch) -> None:
        await self._consume(batch)


def _connection(batch: Batch) -> str:
    """The sending client's address when the receiver recorded it (metadata
    ``x-forwarded-for``'s first hop); otelpy receivers do not record the peer yet."""
    if batch.metadata is None:
        return ""
    forwarded = batch.metadata.first("x-forwarded-for") or ""
    return forwarded.split(",")[0].strip()

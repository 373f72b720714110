"""The k8sobjects receiver: Kubernetes objects as log records, pulled or watched.

Pull: every ``interval`` one list (all pages); each object is a log record whose body is
the object. Watch: the current state is listed once (not emitted, unless
``resource_version`` is set, then the watch starts there); each change after it is a log
record whose body is ``{"type", "object"}``. Reconnects resume from the last
resourceVersion; a 410 Gone relists and emits only what changed (otelpy/k8swatch), so
nothing is emitted twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from otelpy.component import ComponentBase, Host, Settings, Signal
from otelpy.consumer import Consumer
from otelpy.k8swatch import ApiConnection, JSONObject, K8sApiError, Watcher, WatchSpec
from otelpy.k8swatch.client import TRANSIENT_ERRORS
from otelpy.pdata.build import RequestBuilder
from otelpy.pdata.values import set_value
from otelpy.receivers.k8sobjects.config import K8sObjectsConfig, ObjectsConfig


def collection_paths(obj: ObjectsConfig) -> list[str]:
    base = f"/apis/{obj.group}/{obj.version}" if obj.group else f"/api/{obj.version}"
    if not obj.namespaces:
        return [f"{base}/{obj.name}"]
    return [f"{base}/namespaces/{ns}/{obj.name}" for ns in obj.namespaces]


class K8sObjectsReceiver(ComponentBase):
    def __init__(self, settings: Settings, cfg: K8sObjectsConfig,
                 consumers: Mapping[Signal, Consumer]) -> None:
        self._settings = settings
        self._cfg = cfg
        self._next = consumers[Signal.LOGS]
        self._conn: ApiConnection | None = None
        self.watchers: list[Watcher] = []
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self, host: Host) -> None:
        self._conn = ApiConnection(self._cfg)
        await self._conn.open()
        for obj in self._cfg.objects:
            for path in collection_paths(obj):
                run = self._watch(obj, path) if obj.mode == "watch" else self._pull(obj, path)
                self._tasks.append(asyncio.create_task(run, name=f"k8sobjects {path}"))

    async def shutdown(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def _emit(self, obj: ObjectsConfig, bodies: list[tuple[JSONObject, Any]]) -> None:
        builder = RequestBuilder(Signal.LOGS)
        now = self._settings.clock.time_ns()
        for k8s_obj, body in bodies:
            ns = (k8s_obj.get("metadata") or {}).get("namespace")
            scope = builder.scope({"k8s.namespace.name": ns} if ns else {})
            record = scope.log_records.add(observed_time_unix_nano=now)
            set_value(record.body, body)
            record.attributes.add(key="event.domain").value.string_value = "k8s"
            record.attributes.add(key="event.name").value.string_value = obj.name
        if builder:
            await self._next.consume_logs(builder.batch())

    async def _watch(self, obj: ObjectsConfig, path: str) -> None:
        assert self._conn is not None

        async def handler(kind: str, k8s_obj: JSONObject) -> None:
            if kind not in obj.exclude_watch_type:
                await self._emit(obj, [(k8s_obj, {"type": kind, "object": k8s_obj})])

        spec = WatchSpec(path, label_selector=obj.label_selector,
                         field_selector=obj.field_selector,
                         resource_version=obj.resource_version, emit_initial=False,
                         max_objects=self._cfg.max_objects)
        watcher = Watcher(self._conn, spec, handler, self._settings.clock,
                          self._settings.logger)
        self.watchers.append(watcher)
        await watcher.run()

    async def _pull(self, obj: ObjectsConfig, path: str) -> None:
        assert self._conn is not None
        params = {k: v for k, v in (("labelSelector", obj.label_selector),
                                    ("fieldSelector", obj.field_selector)) if v}
        while True:
            objects: list[JSONObject] = []
            try:
                query = dict(params)
                while True:
                    page = await self._conn.get_json(path, query)
                    objects.extend(o for o in page.get("items") or [] if isinstance(o, dict))
                    token = (page.get("metadata") or {}).get("continue")
                    if not token:
                        break
                    query["continue"] = str(token)
                await self._emit(obj, [(o, o) for o in objects])
            except (K8sApiError, *TRANSIENT_ERRORS) as exc:
                self._settings.logger.warning("k8sobjects: list %s failed: %s", path, exc)
            await self._settings.clock.sleep(obj.interval)

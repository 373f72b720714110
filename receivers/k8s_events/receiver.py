"""The k8s_events receiver: watches core/v1 Events and emits each new or updated one.

One watch per namespace (or one cluster-wide) over otelpy/k8swatch: the current events
are listed once and not emitted; each ADDED or MODIFIED event after that becomes one log
record (logdata.py) unless its timestamp (eventTime, else lastTimestamp, else
firstTimestamp) is older than the receiver's creation or missing, as the Collector's
``allowEvent``. DELETED events (an event's TTL ran out) are not emitted. A reconnect
resumes from the last resourceVersion and a 410 Gone relists and hands on only events new
or changed against the watch's cache, so no event version is emitted twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from otelpy import __version__
from otelpy.component import ComponentBase, Host, Settings, Signal
from otelpy.consumer import Consumer
from otelpy.errors import ConsumerError
from otelpy.k8swatch import ApiConnection, JSONObject, Watcher, WatchSpec
from otelpy.pdata.build import RequestBuilder
from otelpy.receivers.k8s_events.config import K8sEventsConfig
from otelpy.receivers.k8s_events.logdata import event_time_ns, fill_record, resource_attributes

SCOPE = "github.com/open-telemetry/opentelemetry-collector-contrib/receiver/k8seventsreceiver"


def event_paths(namespaces: list[str]) -> list[str]:
    """The watched collection paths: all namespaces, or one per listed namespace."""
    if not namespaces:
        return ["/api/v1/events"]
    return [f"/api/v1/namespaces/{ns}/events" for ns in dict.fromkeys(namespaces)]


class K8sEventsReceiver(ComponentBase):
    def __init__(self, settings: Settings, cfg: K8sEventsConfig,
                 consumers: Mapping[Signal, Consumer]) -> None:
        self._settings = settings
        self._cfg = cfg
        self._next = consumers[Signal.LOGS]
        self.start_ns = settings.clock.time_ns()
        """Events stamped before this (the receiver's creation) are not emitted."""
        self.emitted = 0
        self.skipped_old = 0
        self.refused = 0
        self.watchers: list[Watcher] = []
        self._conn: ApiConnection | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self, host: Host) -> None:
        self._conn = ApiConnection(self._cfg)
        await self._conn.open()
        self._settings.logger.info("%s: watching events in %s", self._settings.id,
                                   ", ".join(self._cfg.namespaces) or "all namespaces")
        for path in event_paths(self._cfg.namespaces):
            spec = WatchSpec(path, emit_initial=False, max_objects=self._cfg.max_objects)
            watcher = Watcher(self._conn, spec, self._handle, self._settings.clock,
                              self._settings.logger)
            self.watchers.append(watcher)
            self._tasks.append(asyncio.create_task(watcher.run(), name=f"k8s_events {path}"))

    async def shutdown(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await conn.close()

    async def _handle(self, kind: str, event: JSONObject) -> None:
        if kind == "DELETED":
            return
        time_ns = event_time_ns(event)
        if time_ns is None or time_ns < self.start_ns:
            self.skipped_old += 1
            return
        builder = RequestBuilder(Signal.LOGS)
        scope = builder.scope(resource_attributes(event), SCOPE, __version__)
        fill_record(scope.log_records.add(), event, time_ns)
        try:
            await self._next.consume_logs(builder.batch())
        except ConsumerError as exc:  # refused: counted by the engine
            self.refused += 1
            self._settings.logger.warning("%s: pipeline refused an event: %s",
                                          self._settings.id, exc)
        else:
            self.emitted += 1

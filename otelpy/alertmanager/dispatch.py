"""The dispatcher (``dispatch/dispatch.go``): alerts enter a store, are routed, and wait in
aggregation groups (one per route and group-label values) that flush after ``group_wait``,
then every ``group_interval``; a flush runs the notify pipeline (:mod:`.pipeline`) and, when
it succeeded, forgets resolved alerts not updated meanwhile. Empty groups are removed by a
maintenance pass every 30 s, as in Alertmanager. Time comes from the injected clock."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from otelpy.alertmanager.alerts import Alert, merge_into_store
from otelpy.alertmanager.labels import fingerprint, format_labels, sort_alert_labels
from otelpy.alertmanager.routes import Route
from otelpy.clock import Clock

__all__ = ["AggrGroup", "Dispatcher"]

FlushFn = Callable[["AggrGroup", list[Alert], float], Awaitable[bool]]
MAINTENANCE_INTERVAL = 30.0


class AggrGroup:
    """Alerts of one route with the same group labels; runs its own timer task."""

    def __init__(self, route: Route, labels: dict[str, str], clock: Clock,
                 flush: FlushFn) -> None:
        self.route = route
        self.labels = labels
        self.key = f"{route.key()}:{format_labels(labels)}"
        self.alerts: dict[int, Alert] = {}
        self._clock = clock
        self._flush_fn = flush
        self._next = clock.monotonic() + route.opts.group_wait
        self._wake = asyncio.Event()
        self.has_flushed = False
        self.task: asyncio.Task[None] | None = None

    def insert(self, alert: Alert, now: float) -> None:
        self.alerts[alert.fp] = alert
        if not self.has_flushed and alert.starts_at + self.route.opts.group_wait < now:
            self._next = self._clock.monotonic()
            self._wake.set()

    def empty(self) -> bool:
        return not self.alerts

    async def run(self) -> None:
        clock = self._clock
        while True:
            delay = self._next - clock.monotonic()
            if delay > 0:
                self._wake.clear()
                sleeper = asyncio.ensure_future(clock.sleep(delay))
                waker = asyncio.ensure_future(self._wake.wait())
                try:
                    await asyncio.wait((sleeper, waker), return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for t in (sleeper, waker):
                        t.cancel()
                continue
            self._next = clock.monotonic() + self.route.opts.group_interval
            self.has_flushed = True
            await self.flush()

    async def flush(self) -> None:
        if not self.alerts:
            return
        now = self._clock.time_ns() / 1e9
        snapshot = []
        for a in self.alerts.values():
            if not a.resolved_at(now):
                a = Alert(**{**a.__dict__, "ends_at": 0.0})
            snapshot.append(a)
        order = {id(x.labels): x for x in snapshot}
        ordered = [order[id(lb)] for lb in sort_alert_labels([a.labels for a in snapshot])]
        if await self._flush_fn(self, ordered, now):
            for a in ordered:
                got = self.alerts.get(a.fp)
                if got is not None and a.resolved_at(now) and got.updated_at == a.updated_at:
                    del self.alerts[a.fp]


class Dispatcher:
    """Routes alerts into groups. ``max_alerts`` / ``max_groups`` bound memory: beyond
    them new alerts or groups are refused and counted in ``refused``."""

    def __init__(self, root: Route, clock: Clock, flush: FlushFn, logger: logging.Logger,
                 max_alerts: int = 100_000, max_groups: int = 10_000) -> None:
        self.root = root
        self.clock = clock
        self.store: dict[int, Alert] = {}
        self.groups: dict[tuple[int, int], AggrGroup] = {}
        self._flush = flush
        self._logger = logger
        self.max_alerts = max_alerts
        self.max_groups = max_groups
        self.refused = 0
        self._maintenance: asyncio.Task[None] | None = None

    def now(self) -> float:
        return self.clock.time_ns() / 1e9

    def put(self, alert: Alert) -> bool:
        """Store, route and group one alert; False when a bound refused it."""
        now = self.now()
        old = self.store.get(alert.fp)
        if old is None and len(self.store) >= self.max_alerts:
            self.gc(now)
            if len(self.store) >= self.max_alerts:
                self.refused += 1
                return False
        merged = merge_into_store(old, alert, now)
        self.store[alert.fp] = merged
        for route in self.root.match(merged.labels):
            self._insert(route, merged, now)
        return True

    def _insert(self, route: Route, alert: Alert, now: float) -> None:
        labels = route.group_labels(alert.labels)
        key = (id(route), fingerprint(labels))
        ag = self.groups.get(key)
        if ag is None:
            if len(self.groups) >= self.max_groups:
                self.refused += 1
                self._logger.error("too many aggregation groups (%d), alert %s not grouped",
                                   self.max_groups, alert.labels.get("alertname", ""))
                return
            ag = AggrGroup(route, labels, self.clock, self._flush)
            self.groups[key] = ag
            ag.insert(alert, now)
            ag.task = asyncio.get_running_loop().create_task(ag.run(), name=ag.key)
            return
        ag.insert(alert, now)

    def gc(self, now: float) -> None:
        """Forget resolved alerts no group holds any more."""
        held = {fp for ag in self.groups.values() for fp in ag.alerts}
        for fp in [fp for fp, a in self.store.items() if a.resolved_at(now) and fp not in held]:
            del self.store[fp]

    def start(self) -> None:
        if self._maintenance is None:
            self._maintenance = asyncio.get_running_loop().create_task(
                self._maintain(), name="alertmanager dispatcher maintenance")

    async def _maintain(self) -> None:
        while True:
            await self.clock.sleep(MAINTENANCE_INTERVAL)
            self.maintain()

    def maintain(self) -> None:
        for key, ag in list(self.groups.items()):
            if ag.empty():
                if ag.task is not None:
                    ag.task.cancel()
                del self.groups[key]
        self.gc(self.now())

    async def stop(self) -> None:
        tasks = [t for t in [self._maintenance, *(g.task for g in self.groups.values())] if t]
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t
        self._maintenance = None
        self.groups.clear()

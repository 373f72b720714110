"""Alertmanager inside otelpy: one object holding the dispatcher, the notify pipeline,
silences, the notification log, acknowledgements and escalation; its state (notification
log, silences, acks, escalation levels) dumps to and loads from JSON bytes, and is handed to
``save`` after every change so a restart neither re-pages nor forgets a silence."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Collection, Sequence
from typing import Any

from otelpy.alertmanager.alerts import Alert
from otelpy.alertmanager.config import AlertmanagerConfig
from otelpy.alertmanager.correlation import CorrelationPolicy, Correlator
from otelpy.alertmanager.dispatch import Dispatcher
from otelpy.alertmanager.escalation import EscalationPolicy, Escalator
from otelpy.alertmanager.inhibit import Inhibitor
from otelpy.alertmanager.nflog import NotificationLog
from otelpy.alertmanager.notification import Integration, Notification
from otelpy.alertmanager.pipeline import NotifyPipeline
from otelpy.alertmanager.routes import build_routes
from otelpy.alertmanager.silences import Silences
from otelpy.alertmanager.timeintervals import compile_interval
from otelpy.clock import Clock
from otelpy.exporterhelper.retry import RetryPolicy

__all__ = ["Alertmanager", "StateError"]

STATE_VERSION = 1


class StateError(ValueError):
    """Saved state that cannot be read."""


class Alertmanager:
    def __init__(self, cfg: AlertmanagerConfig, receivers: dict[str, list[Integration]],
                 clock: Clock, logger: logging.Logger, retry: RetryPolicy,
                 escalation: EscalationPolicy | None = None, external_url: str = "",
                 max_alerts: int = 100_000, max_groups: int = 10_000,
                 max_silences: int = 10_000,
                 correlation: CorrelationPolicy | None = None,
                 correlation_interval: float = 10.0) -> None:
        assert cfg.route is not None
        self.cfg = cfg
        self.clock = clock
        self.logger = logger
        self.silences = Silences(max_silences)
        self.nflog = NotificationLog()
        self._save: Callable[[bytes], Awaitable[None]] | None = None
        self._save_lock = asyncio.Lock()
        intervals = {ti.name: compile_interval(ti)
                     for ti in [*cfg.time_intervals, *cfg.mute_time_intervals]}
        self.dispatcher = Dispatcher(build_routes(cfg.route), clock, self._flush, logger,
                                     max_alerts, max_groups)
        self.inhibitor = Inhibitor(cfg.inhibit_rules, lambda: list(self.dispatcher.store.values()))
        self.pipeline = NotifyPipeline(receivers, self.inhibitor, self.silences, intervals,
                                       self.nflog, retry, logger, self.save, external_url)
        self.escalator = Escalator(escalation, self.pipeline, receivers) \
            if escalation is not None else None
        if self.escalator is not None:
            self.pipeline.on_sent = self.escalator.notified
        self.correlator = Correlator(correlation, self.pipeline, receivers) \
            if correlation is not None else None
        self._correlation_interval = correlation_interval
        self._loops: list[asyncio.Task[None]] = []
        self._acks: set[asyncio.Task[None]] = set()  # acknowledgements being sent

    def now(self) -> float:
        return self.clock.time_ns() / 1e9

    async def _flush(self, ag: Any, alerts: list[Alert], now: float) -> bool:
        return await self.pipeline.flush(ag, alerts, now)

    def acknowledge(self, fp: int, acked: Collection[int]) -> int:
        """After alert ``fp`` was acknowledged: for each group holding it whose firing alerts
        are all in ``acked``, tell the integrations that notified the group and can take an
        acknowledgement (PagerDuty), in the background (with retries). Returns how many
        will be told."""
        now = self.now()
        jobs = []
        for ag in list(self.dispatcher.groups.values()):
            firing = [a for a in ag.alerts.values() if not a.resolved_at(now)]
            if fp not in ag.alerts or not firing or any(a.fp not in acked for a in firing):
                continue
            receiver = ag.route.opts.receiver
            n = Notification(receiver, ag.key, ag.labels, firing, now, self.pipeline.external_url)
            jobs += [self.pipeline.acknowledge(integ, n)
                     for integ in self.pipeline.receivers.get(receiver, [])
                     if hasattr(integ.notifier, "acknowledge")
                     and self.nflog.get(ag.key, integ.key, now) is not None]
        if jobs:
            task = asyncio.get_running_loop().create_task(_all(jobs), name="acknowledgements")
            self._acks.add(task)
            task.add_done_callback(self._acks.discard)
        return len(jobs)

    # -- lifecycle ----------------------------------------------------------------------

    def start(self, save: Callable[[bytes], Awaitable[None]] | None) -> None:
        self._save = save
        self.dispatcher.start()
        if self._loops:
            return
        loop = asyncio.get_running_loop()
        if self.escalator is not None:
            self._loops.append(loop.create_task(self._escalate_loop(),
                                                name="alertmanager escalation"))
        if self.correlator is not None:
            self._loops.append(loop.create_task(self._correlate_loop(),
                                                name="alertmanager correlation"))

    async def _escalate_loop(self) -> None:
        assert self.escalator is not None
        step = max(1.0, min(60.0, self.escalator.policy.timeout / 10))
        while True:
            await self.clock.sleep(step)
            if await self.escalator.run_once(self.dispatcher.store, self.now()):
                await self.save()

    async def _correlate_loop(self) -> None:
        assert self.correlator is not None
        while True:
            await self.clock.sleep(self._correlation_interval)
            if await self.correlator.run_once(self.now()):
                await self.save()

    async def stop(self) -> None:
        loops, self._loops = [*self._loops, *self._acks], []
        for task in loops:
            task.cancel()
        for task in loops:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.dispatcher.stop()

    # -- alerts -------------------------------------------------------------------------

    def receive(self, alert: Alert) -> bool:
        if not self.dispatcher.put(alert):
            return False
        if self.correlator is not None:
            self.correlator.observe(self.dispatcher.store[alert.fp], self.now())
        return True

    # -- state --------------------------------------------------------------------------

    def dump(self) -> bytes:
        now = self.now()
        self.nflog.gc(now)
        self.silences.gc(now)
        state = {"v": STATE_VERSION, "nflog": self.nflog.dump(),
                 "silences": [s.dump() for s in self.silences.by_id.values()],
                 "escalation": self.escalator.dump() if self.escalator else {},
                 "incidents": self.correlator.dump() if self.correlator else []}
        return json.dumps(state, separators=(",", ":")).encode()

    def load(self, data: bytes) -> None:
        from otelpy.alertmanager.silences import Silence
        try:
            state = json.loads(data)
            if state.get("v") != STATE_VERSION:
                raise StateError(f"unknown state version {state.get('v')!r}")
            self.nflog.load(state["nflog"])
            for row in state["silences"]:
                sil = Silence.load(row)
                self.silences.by_id[sil.id] = sil
            if self.escalator is not None:
                self.escalator.load(state.get("escalation") or {})
            if self.correlator is not None:
                self.correlator.load(state.get("incidents") or [])
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise StateError(f"saved state not readable: {exc}") from exc

    async def save(self) -> None:
        if self._save is None:
            return
        async with self._save_lock:
            await self._save(self.dump())


async def _all(jobs: Sequence[Awaitable[bool]]) -> None:
    await asyncio.gather(*jobs)

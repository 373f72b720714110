"""The healthcheck receiver: each check runs on its own schedule (``settings.clock``), all
concurrently; every run sends its metrics, every state change a log event, and the latest
states answer the overall status (``/api/health`` on the status extension, ``/health/checks``
on the health_check extension) through the host's health board."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from otelpy import __version__
from otelpy.component import ComponentBase, Host, Settings, Signal
from otelpy.consumer import Consumer
from otelpy.errors import ConsumerError
from otelpy.pdata.build import RequestBuilder
from otelpy.probes.base import Probe, run_probe
from otelpy.probes.board import board_of
from otelpy.probes.build import build_probe
from otelpy.probes.config import HttpProbeSettings
from otelpy.probes.overall import CheckState, Thresholds, report
from otelpy.probes.result import ProbeResult, Status, json_details
from otelpy.receivers.healthcheck.config import CheckCommon, HealthCheckReceiverConfig
from otelpy.receivers.healthcheck.emit import run_metrics, state_change_event
from otelpy.statusapi import api_routes
from otelpy.tlsbuild import warn_if_unverified

__all__ = ["HealthCheckReceiver"]

SCOPE = "otelpy/healthcheckreceiver"
SPREAD = 1.0  # seconds over which the checks' second runs are spread (at most one interval)
LATENESS_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class HealthCheckReceiver(ComponentBase):
    """Runs the checks from ``start`` to ``shutdown``; a check that raises, hangs or
    returns garbage is reported failed, never stops the others."""

    def __init__(self, settings: Settings, cfg: HealthCheckReceiverConfig,
                 consumers: Mapping[Signal, Consumer]) -> None:
        self.settings = settings
        self.cfg = cfg
        self._metrics = consumers.get(Signal.METRICS)
        self._logs = consumers.get(Signal.LOGS)
        self.thresholds = Thresholds(cfg.alerting.critical_failure_threshold,
                                     cfg.alerting.warning_failure_threshold)
        self.states = {name: CheckState(name, "postgresql" if c.type == "database" else c.type,
                                        c.critical) for name, c in cfg.checks.items()}
        self._probes: dict[str, Probe] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._executor: ThreadPoolExecutor | None = None
        self._leave: Callable[[], None] | None = None
        tel = settings.telemetry
        self._runs = tel.counter("otelpy_healthcheck_runs", "Check runs by resulting status",
                                 ("receiver", "check", "status"))
        self._refused = tel.counter("otelpy_healthcheck_refused_batches",
                                    "Batches of check results the pipeline refused",
                                    ("receiver", "signal"))
        self._lateness = tel.histogram(
            "otelpy_healthcheck_start_lateness_seconds",
            "How late a check's run started after its scheduled time",
            ("receiver",), LATENESS_BUCKETS).labels(str(settings.id))

    # -- lifecycle ----------------------------------------------------------------------
    async def start(self, host: Host | None = None) -> None:
        """Build the probes (ValueError naming the check when a custom function cannot be
        found), join the host's health board, and start every check's schedule."""
        if self._tasks:
            return
        self._executor = ThreadPoolExecutor(self.cfg.custom_check_threads,
                                            thread_name_prefix=f"{self.settings.id} check")
        try:
            for name, check in self.cfg.checks.items():
                where = f"receivers::{self.settings.id}::checks::{name}"
                if isinstance(check, HttpProbeSettings):
                    warn_if_unverified(check.tls, self.settings.logger, where)
                self._probes[name] = build_probe(
                    check, clock=self.settings.clock, executor=self._executor, where=where,
                    custom_modules=self.cfg.custom_check_modules)
        except ValueError:
            await self._close_probes()
            raise
        routes = api_routes(host) if host is not None else None
        if routes is not None:
            self._leave = board_of(routes).join(str(self.settings.id), self.report)
        count = len(self.cfg.checks)
        for i, (name, check) in enumerate(self.cfg.checks.items()):
            self._tasks.append(asyncio.create_task(
                self._schedule(name, check, min(check.every, SPREAD) * i / count),
                name=f"{self.settings.id} check {name}"))
        self.settings.logger.info("receiver %s: checking %s", self.settings.id,
                                  self.cfg.describe())

    async def shutdown(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._leave is not None:
            self._leave()
            self._leave = None
        await self._close_probes()

    async def _close_probes(self) -> None:
        probes, self._probes = self._probes, {}
        for probe in probes.values():
            await probe.close()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    def report(self) -> dict[str, Any]:
        """The overall status now, in the spec's shape."""
        return report(list(self.states.values()), self.thresholds,
                      self.settings.clock.time_ns())

    # -- running ------------------------------------------------------------------------
    async def _schedule(self, name: str, check: CheckCommon, phase: float) -> None:
        """Runs at once, then every interval; the second run comes ``phase`` early so
        that many checks started together do not all fire in the same instant (spread
        evenly over SPREAD seconds, or the interval if shorter), while each still runs
        once in every interval after start."""
        clock = self.settings.clock
        interval = check.every
        due = clock.monotonic()
        while True:
            self._lateness.observe(max(0.0, clock.monotonic() - due))
            await self.run_check(name)
            due += interval - phase
            phase = 0.0
            now = clock.monotonic()
            if now >= due:  # the run overran: skip the ticks it missed, as a ticker does
                due += (now - due) // interval * interval + interval
            await clock.sleep(due - now)

    async def run_check(self, name: str) -> ProbeResult:
        """Run check ``name`` once, record and send its result."""
        check = self.cfg.checks[name]
        result, elapsed = await run_probe(self._probes[name], check.cutoff, self.settings.clock)
        state = self.states[name]
        previous = state.status
        now_ns = self.settings.clock.time_ns()
        state.status = result.status
        state.response_time_ms = elapsed * 1000.0
        state.details = json_details(result.details)
        state.message = result.message
        state.last_check_ns = now_ns
        if previous is not state.status:
            state.since_ns = now_ns
        self._runs.labels(str(self.settings.id), name, state.status.value).inc()
        await self._send(state, previous, now_ns)
        return result

    async def _send(self, state: CheckState, previous: Status, now_ns: int) -> None:
        if self._metrics is not None:
            builder = RequestBuilder(Signal.METRICS)
            builder.scope({}, SCOPE, __version__).metrics.extend(run_metrics(state, now_ns))
            await self._deliver(self._metrics, Signal.METRICS, builder)
        if self._logs is not None and previous is not state.status:
            if state.status is not Status.HEALTHY or previous is not Status.PENDING:
                self._log_change(state, previous)
                builder = RequestBuilder(Signal.LOGS)
                builder.scope({}, SCOPE, __version__).log_records.append(state_change_event(
                    state, previous, now_ns, self.cfg.alerting.notification_channels))
                await self._deliver(self._logs, Signal.LOGS, builder)

    def _log_change(self, state: CheckState, previous: Status) -> None:
        self.settings.logger.info("receiver %s: check %s %s -> %s%s", self.settings.id,
                                  state.name, previous.value, state.status.value,
                                  f": {state.message}" if state.message else "")

    async def _deliver(self, consumer: Consumer, signal: Signal,
                       builder: RequestBuilder) -> None:
        try:
            if signal is Signal.METRICS:
                await consumer.consume_metrics(builder.batch())
            else:
                await consumer.consume_logs(builder.batch())
        except ConsumerError as exc:  # refused: the engine counts it
            self._refused.labels(str(self.settings.id), str(signal)).inc()
            self.settings.logger.warning("receiver %s: pipeline refused %s: %s",
                                         self.settings.id, signal, exc)

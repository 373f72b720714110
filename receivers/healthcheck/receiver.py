"""The healthcheck receiver: one scheduler task (``settings.clock``) starts rounds of the
checks due (rounds.py), all concurrently; each round sends its runs' metrics as one batch,
and every state change a log event, and the latest
states answer the overall status (``/api/health`` on the status extension, ``/health/checks``
on the health_check extension) through the host's health board."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord
from opentelemetry.proto.metrics.v1.metrics_pb2 import Metric

from otelpy import __version__
from otelpy.component import ComponentBase, Host, Settings, Signal
from otelpy.consumer import Consumer
from otelpy.errors import ConsumerError
from otelpy.pdata.build import RequestBuilder
from otelpy.probes.base import Probe
from otelpy.probes.board import board_of
from otelpy.probes.build import build_probe
from otelpy.probes.config import HttpProbeSettings
from otelpy.probes.overall import CheckState, Thresholds, report
from otelpy.probes.result import ProbeResult, Status, json_details
from otelpy.receivers.healthcheck.config import HealthCheckReceiverConfig
from otelpy.receivers.healthcheck.emit import (
    PointAttributes,
    add_run_metrics,
    state_change_event,
)
from otelpy.receivers.healthcheck.rounds import Schedule, run_round
from otelpy.statusapi import api_routes
from otelpy.tlsbuild import warn_if_unverified

__all__ = ["HealthCheckReceiver"]

SCOPE = "otelpy/healthcheckreceiver"
LATENESS_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class _Out:
    """One round's output: its metrics (one per name, in one request) and events."""

    def __init__(self) -> None:
        self.builder = RequestBuilder(Signal.METRICS)
        self._scope: Any = None
        self.metrics: dict[str, Metric] = {}
        self.events: list[LogRecord] = []

    def new_metric(self) -> Metric:
        if self._scope is None:
            self._scope = self.builder.scope({}, SCOPE, __version__).metrics
        metric: Metric = self._scope.add()
        return metric


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
        self._scheduler_task: asyncio.Task[None] | None = None
        self._rounds: set[asyncio.Task[dict[str, ProbeResult]]] = set()
        self._busy: set[str] = set()  # checks running now
        self._cutoffs = {name: c.cutoff for name, c in cfg.checks.items()}
        self._attributes = PointAttributes()
        self._executor: ThreadPoolExecutor | None = None
        self._leave: Callable[[], None] | None = None
        tel = settings.telemetry
        self._runs = tel.counter("otelpy_healthcheck_runs", "Check runs by resulting status",
                                 ("receiver", "check", "status"))
        self._run_counters: dict[tuple[str, Status], Any] = {}
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
        if self._scheduler_task is not None:
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
        self._scheduler_task = asyncio.create_task(self._scheduler(),
                                                   name=f"{self.settings.id} scheduler")
        self.settings.logger.info("receiver %s: checking %s", self.settings.id,
                                  self.cfg.describe())

    async def shutdown(self) -> None:
        task, self._scheduler_task = self._scheduler_task, None
        tasks = [task, *self._rounds] if task is not None else list(self._rounds)
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t
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
    async def _scheduler(self) -> None:
        """Sleeps until the earliest due check, then starts a round of every check due;
        a check whose previous run is still going skips its turn, as a ticker does."""
        clock = self.settings.clock
        schedule = Schedule([(n, c.every) for n, c in self.cfg.checks.items()],
                            clock.monotonic())
        while True:
            due = schedule.next_due()
            now = clock.monotonic()
            if due is None:
                return
            if due > now:
                await clock.sleep(due - now)
                continue
            names = []
            for name, when in schedule.pop_due(now):
                if name not in self._busy:
                    self._lateness.observe(now - when)
                    self._busy.add(name)
                    names.append(name)
            if names:
                task = asyncio.create_task(self._round(names),
                                           name=f"{self.settings.id} round")
                self._rounds.add(task)
                task.add_done_callback(self._rounds.discard)

    async def run_check(self, name: str) -> ProbeResult:
        """Run check ``name`` once now, record and send its result."""
        self._busy.add(name)
        out = await self._round([name])
        return out[name]

    async def _round(self, names: list[str]) -> dict[str, ProbeResult]:
        """Run ``names`` as one round; their results go out as one batch of metrics (and
        one of events), once the last of them finished or timed out."""
        out = _Out()
        results: dict[str, ProbeResult] = {}

        def finish(name: str, result: ProbeResult, elapsed: float) -> None:
            self._busy.discard(name)
            results[name] = result
            self._record(name, result, elapsed, out)

        try:
            await run_round(self._probes, names, self._cutoffs, self.settings.clock, finish)
        finally:
            self._busy.difference_update(names)
        await self._send(out)
        return results

    def _record(self, name: str, result: ProbeResult, elapsed: float, out: _Out) -> None:
        """Update check ``name``'s state; its metrics (and event) go into ``out``."""
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
        key = (name, state.status)
        counter = self._run_counters.get(key)
        if counter is None:  # the labelled child, looked up once per check and status
            counter = self._run_counters[key] = self._runs.labels(
                str(self.settings.id), name, state.status.value)
        counter.inc()
        if self._metrics is not None:
            add_run_metrics(out.metrics, out.new_metric, state, now_ns, self._attributes)
        if previous is not state.status and (state.status is not Status.HEALTHY
                                             or previous is not Status.PENDING):
            self._log_change(state, previous)
            if self._logs is not None:
                out.events.append(state_change_event(
                    state, previous, now_ns, self.cfg.alerting.notification_channels))

    async def _send(self, out: _Out) -> None:
        if self._metrics is not None and out.metrics:
            await self._deliver(self._metrics, Signal.METRICS, out.builder)
        if self._logs is not None and out.events:
            builder = RequestBuilder(Signal.LOGS)
            builder.scope({}, SCOPE, __version__).log_records.extend(out.events)
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

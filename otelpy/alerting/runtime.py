"""The running evaluator: one sample window, every rule group on its interval, outputs.

:meth:`AlertingRuntime.ingest` feeds the window from decoded metrics requests; after
:meth:`start` each group is evaluated every ``interval`` on the settings' clock (the first
round one interval after start); each round's alert changes go to the logs output and its
samples (recording rules, ``ALERTS``, ``ALERTS_FOR_STATE``, bands, scores) to the metrics
output. With a :class:`~otelpy.alerting.state.StateLog` the alerts are saved after every
round that changed them (and at least once a minute while any is active) and restored at
start.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from otelpy.alerting.analysis import reach_ms, selected_names
from otelpy.alerting.events import alert_logs, rule_metrics
from otelpy.alerting.groups import AlertChange, RuleGroup
from otelpy.alerting.inline import InlineEvaluator, InlineRule
from otelpy.alerting.state import StateLog
from otelpy.alerting.window import SampleWindow
from otelpy.clock import Clock
from otelpy.component import Signal
from otelpy.consumer import Consumer
from otelpy.errors import ConsumerError
from otelpy.prometheus import StoreSettings
from otelpy.promql.ast import Matcher
from otelpy.promql.engine import Engine
from otelpy.promql.rules.rulefile import Group, Rule
from otelpy.promql.storage import SeriesStore
from otelpy.storage import StorageError
from otelpy.telemetry import Telemetry

HEARTBEAT_MS = 60_000


@dataclass(frozen=True)
class RuntimeOptions:
    """Everything the runtime evaluates, already validated."""

    groups: list[Group]
    inline: dict[str, InlineRule] = field(default_factory=dict)
    default_interval_ms: int = 60_000
    lookback_ms: int = 300_000
    external_labels: dict[str, str] = field(default_factory=dict)
    max_series: int = 100_000
    store_settings: StoreSettings = StoreSettings()
    channels: dict[str, list[str]] = field(default_factory=dict)
    outage_tolerance_ms: int = 3_600_000


class AlertingRuntime:
    """Owns the window, the groups and their tasks; outputs are attached per signal."""

    def __init__(self, options: RuntimeOptions, owner: str, clock: Clock,
                 logger: logging.Logger, telemetry: Telemetry) -> None:
        self.options = options
        self.clock = clock
        self._log = logger
        self.outputs: dict[Signal, Consumer] = {}
        self.store = SeriesStore()
        self.engine = Engine(self.store, options.lookback_ms, options.default_interval_ms)
        names: set[str] | None = set()
        reach = options.lookback_ms
        for g in options.groups:
            for rule in g.rules:
                if rule.expr is None:
                    continue
                found = selected_names(rule.expr)
                names = None if found is None or names is None else names | found
                reach = max(reach, reach_ms(rule.expr, options.lookback_ms))
        self.retention_ms = reach
        self.window = SampleWindow(self.store, options.store_settings, names,
                                   {r.metric for r in options.inline.values()},
                                   options.max_series)
        self.inline = InlineEvaluator(self.store, options.lookback_ms,
                                      options.default_interval_ms, self.window.aliases,
                                      options.max_series)
        self.groups = [RuleGroup(g, Engine(self.store, options.lookback_ms,
                                           g.interval_ms or options.default_interval_ms),
                                 options.external_labels, options.inline, self.inline)
                       for g in options.groups]
        self.state: StateLog | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._last_save = 0
        self._digest = hash(())
        self._last_trim = 0
        self.rounds = 0  # completed, for tests and the status view
        self._started_ms = 0
        self._metrics(owner, telemetry)

    def _metrics(self, owner: str, telemetry: Telemetry) -> None:
        c = telemetry.counter
        self.m_changes = c("otelpy_alerting_alert_changes", "Alert state changes emitted",
                           ["connector", "state"])
        self.m_failures = c("otelpy_alerting_rule_evaluation_failures",
                            "Rule evaluations that failed", ["connector", "group"])
        self.m_dropped = c("otelpy_alerting_output_failures",
                           "Rounds whose output a pipeline refused", ["connector", "signal"])
        self.m_duration = telemetry.gauge("otelpy_alerting_group_last_duration_seconds",
                                          "CPU-bound evaluation time of the last round",
                                          ["connector", "group"])
        self.m_series = telemetry.gauge("otelpy_alerting_series", "Series in the window",
                                        ["connector"]).labels(connector=owner)
        self.m_evicted = c("otelpy_alerting_series_evicted",
                           "Series evicted from the window at max_series",
                           ["connector"]).labels(connector=owner)
        self.m_refused = c("otelpy_alerting_samples_out_of_order",
                           "Samples not after their series' last one (not stored)",
                           ["connector"]).labels(connector=owner)
        self._reported = (0, 0)
        self.owner = owner

    def ingest(self, request: Any) -> int:
        return self.window.ingest(request)

    def restore(self, saved: tuple[int, dict[str, Any]] | None) -> int:
        """Put saved alerts back (unless older than the outage tolerance)."""
        if saved is None:
            return 0
        saved_at, snapshot = saved
        now = self.clock.time_ns() // 1_000_000
        if now - saved_at > self.options.outage_tolerance_ms:
            self._log.info("saved alert state from %.0f s ago is older than "
                           "for_outage_tolerance: not restored", (now - saved_at) / 1000)
            return 0
        return sum(g.restore(snapshot.get(g.key, {})) for g in self.groups)

    def start(self) -> None:
        self._started_ms = self.clock.time_ns() // 1_000_000
        loop = asyncio.get_running_loop()
        for g in self.groups:
            interval = g.group.interval_ms or self.options.default_interval_ms
            self._tasks.append(loop.create_task(self._run(g, interval),
                                                name=f"{self.owner} group {g.group.name}"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        if self.state is not None:
            await self._save(force=True)
            await self.state.close()
            self.state = None

    async def _run(self, g: RuleGroup, interval_ms: int) -> None:
        interval = interval_ms / 1000
        start = self.clock.monotonic()
        k = 1
        while True:
            await self.clock.sleep(start + k * interval - self.clock.monotonic())
            k = max(k + 1, int((self.clock.monotonic() - start) / interval) + 1)
            await self.round(g)

    async def round(self, g: RuleGroup) -> list[AlertChange]:
        """Evaluate ``g`` now, emit its outputs and save state; returns the changes."""
        ts = self.clock.time_ns() // 1_000_000
        began = time.process_time()
        self._trim(ts)
        if g.restored:
            g.holding = {st.rule.name for st in g.states
                         if g.restored.get(st.rule.name) and not self._warm(st.rule, ts)}
        samples, changes = g.round(ts)
        self.m_duration.labels(connector=self.owner, group=g.group.name).set(
            time.process_time() - began)
        failed = sum(1 for st in g.states if st.last_error is not None)
        if failed:
            self.m_failures.labels(connector=self.owner, group=g.group.name).inc(failed)
        for change in changes:
            self.m_changes.labels(connector=self.owner, state=change.state).inc()
        if changes and Signal.LOGS in self.outputs:
            intervals = {x.group.name: x.group.interval_ms or self.options.default_interval_ms
                         for x in self.groups}
            await self._emit(Signal.LOGS, alert_logs(changes, intervals,
                                                     self.options.channels))
        if samples and Signal.METRICS in self.outputs:
            await self._emit(Signal.METRICS, rule_metrics(samples, ts))
        await self._save(force=bool(changes))
        self.rounds += 1
        return changes

    def _warm(self, rule: Rule, ts: int) -> bool:
        """Whether ``rule`` has data again since start: a sample of a metric it reads, and
        as much time as the longest range it reads beyond the lookback delta."""
        lookback = self.options.lookback_ms
        names: set[str] | None
        if rule.expr is None:
            metric = self.options.inline[rule.name].metric
            names, extra = {metric, *self.window.aliases.get(metric, ())}, 0
        else:
            names = selected_names(rule.expr)
            extra = reach_ms(rule.expr, lookback) - lookback
        if ts - self._started_ms < extra:
            return False
        started = self._started_ms
        if names is None:
            return any(t >= started for t, _ in self.store.last_series().values())
        return any(ts_list and ts_list[-1] >= started for name in names
                   for _, ts_list, _ in self.store.select([Matcher("__name__", "=", name)]))

    def _trim(self, now: int) -> None:
        if now - self._last_trim < min(self.retention_ms, 60_000):
            return
        self._last_trim = now
        self.window.trim(now - self.retention_ms)
        self.inline.forget(set(self.store.last_series()))
        self.m_series.set(len(self.window))
        counters = self.window.counters
        evicted, refused = self._reported
        self.m_evicted.inc(counters.evicted - evicted)
        self.m_refused.inc(counters.out_of_order - refused)
        self._reported = (counters.evicted, counters.out_of_order)

    async def _emit(self, signal: Signal, batch: Any) -> None:
        consumer = self.outputs[signal]
        try:
            await getattr(consumer, f"consume_{signal.value}")(batch)
        except ConsumerError as exc:
            self.m_dropped.labels(connector=self.owner, signal=signal.value).inc()
            self._log.warning("%s output refused: %s", signal.value, exc)

    async def _save(self, force: bool) -> None:
        if self.state is None:
            return
        now = self.clock.time_ns() // 1_000_000
        snapshot = {g.key: g.snapshot() for g in self.groups}
        active = any(rules for rules in snapshot.values())
        digest = hash(tuple((k, r, a.labels, a.state, a.active_at, a.keep_firing_since)
                            for k, rules in snapshot.items() for r, alerts in rules.items()
                            for a in alerts))
        if not force and digest == self._digest and not (
                active and now - self._last_save >= HEARTBEAT_MS):
            return
        self._digest = digest
        try:
            await self.state.save(snapshot, now)
            self._last_save = now
        except (StorageError, OSError) as exc:
            self._log.error("alert state not saved: %s", exc)

"""The tail sampler's own metrics, with the Collector's names where one exists
(``otelcol_processor_tail_sampling_*``), and otelpy's counts of every span it drops."""

from __future__ import annotations

from typing import TYPE_CHECKING

from otelpy.component import Settings
from otelpy.processors.tail_sampling.store import Decision

if TYPE_CHECKING:
    from otelpy.processors.tail_sampling.store import Trace

P = "otelcol_processor_tail_sampling_"
_DECISION = {Decision.SAMPLED: ("true", "sampled"), Decision.INVERT_SAMPLED: ("true", "sampled"),
             Decision.NOT_SAMPLED: ("false", "not_sampled"),
             Decision.INVERT_NOT_SAMPLED: ("false", "not_sampled"),
             Decision.DROPPED: ("false", "dropped")}


class SamplerMetrics:
    """Counters of one tail_sampling processor (label ``processor``)."""

    def __init__(self, settings: Settings) -> None:
        t, pid = settings.telemetry, str(settings.id)
        self._pid = pid
        lab = ["processor"]
        self.evaluation_errors = t.counter(
            P + "sampling_policy_evaluation_error", "Policy evaluations that failed",
            lab).labels(pid)
        self._too_early = t.counter(P + "sampling_trace_dropped_too_early", "Traces evicted "
                                    "(num_traces) before their decision", lab).labels(pid)
        self._new = t.counter(P + "new_trace_id_received", "New trace IDs", lab).labels(pid)
        self._on_memory = t.gauge(P + "sampling_traces_on_memory", "Traces in memory",
                                  lab).labels(pid)
        self._global = t.counter(P + "global_count_traces_sampled", "Final decisions",
                                 [*lab, "sampled", "decision"])
        self._policy = t.counter(P + "count_traces_sampled", "Decisions per policy",
                                 [*lab, "policy", "sampled", "decision"])
        self._cache = t.counter(P + "early_releases_from_cache_decision", "Spans decided by "
                                "the decision caches", [*lab, "sampled"])
        self._dropped = t.counter("otelpy_processor_tail_sampling_dropped_spans", "Spans not "
                                  "forwarded, by reason", [*lab, "reason"])
        self._evicted = t.counter("otelpy_processor_tail_sampling_evicted_traces", "Traces "
                                  "removed by the num_traces bound (decided or not)",
                                  lab).labels(pid)
        self._late = t.counter(P + "sampling_late_spans", "Spans arriving after their "
                               "trace's decision", [*lab, "sampled"])

        # per-trace counts gathered over one decision round, added by flush()
        self._policy_tally: dict[tuple[str, Decision], int] = {}
        self._global_tally: dict[Decision, list[int]] = {}

    def dropped(self, reason: str, spans: int) -> None:
        if spans:
            self._dropped.labels(self._pid, reason).inc(spans)

    def policy_decision(self, policy: str, decision: Decision) -> None:
        key = (policy, decision)
        self._policy_tally[key] = self._policy_tally.get(key, 0) + 1

    def trace_decided(self, decision: Decision, spans: int) -> None:
        tally = self._global_tally.get(decision)
        if tally is None:
            tally = self._global_tally[decision] = [0, 0]
        tally[0] += 1
        tally[1] += spans

    def flush(self) -> None:
        """Add the decisions counted since the last flush to the counters."""
        for (policy, decision), n in self._policy_tally.items():
            sampled, name = _DECISION.get(decision, ("false", "not_sampled"))
            self._policy.labels(self._pid, policy, sampled, name).inc(n)
        for decision, (traces, spans) in self._global_tally.items():
            sampled, name = _DECISION[decision]
            self._global.labels(self._pid, sampled, name).inc(traces)
            if decision is not Decision.SAMPLED:
                self.dropped(name, spans)
        self._policy_tally.clear()
        self._global_tally.clear()

    def decided_batch(self, too_early: int, in_memory: int) -> None:
        if too_early:
            self._too_early.inc(too_early)
        self._on_memory.set(in_memory)

    def evicted(self, trace: Trace) -> None:
        self._evicted.inc()
        if trace.decision is Decision.UNSPECIFIED:
            self.dropped("evicted_before_decision", trace.buffered)

    def received(self, new: int) -> None:
        if new:
            self._new.inc(new)

    def late_spans(self, sampled: bool, spans: int) -> None:
        self._late.labels(self._pid, "true" if sampled else "false").inc(spans)
        if not sampled:
            self.dropped("late_span_not_sampled", spans)

    def cache_release(self, sampled: bool, spans: int) -> None:
        self._cache.labels(self._pid, "true" if sampled else "false").inc(spans)
        if not sampled:
            self.dropped("cached_not_sampled", spans)

    def send_failed(self, spans: int) -> None:
        self.dropped("send_failed", spans)

    def dropped_on_shutdown(self, traces: list[Trace]) -> None:
        self.dropped("shutdown", sum(t.buffered for t in traces))

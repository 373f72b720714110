"""The tail_sampling processor: buffers spans by trace ID, decides each trace decision_wait
after its first span with the configured policies (the Collector's order and precedence),
and forwards sampled traces as new batches that keep each span's resource and scope."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from otelpy.component import ComponentBase, Host, Settings, Signal
from otelpy.consumer import Capabilities, Consumer
from otelpy.errors import PermanentError, RetryableError
from otelpy.ottl.report import FailureLog
from otelpy.pdata import Batch
from otelpy.pdata.spanframes import TraceRun, by_trace, count_spans, encode_request
from otelpy.processors.tail_sampling.combine import build, final_decision
from otelpy.processors.tail_sampling.config import TailSamplingConfig
from otelpy.processors.tail_sampling.metrics import SamplerMetrics
from otelpy.processors.tail_sampling.policies import Policy
from otelpy.processors.tail_sampling.store import (
    Decision,
    DecisionCache,
    Group,
    Groups,
    PolicyError,
    Trace,
    TraceTable,
    unpack,
)

TICK_SECONDS = 1.0
MAX_SPANS_PER_BATCH = 8192


class _Output:
    """Span frames gathered into new requests, one ResourceSpans per group."""

    def __init__(self) -> None:
        self.batches: list[Batch] = []
        self._groups: dict[Group, list[bytes]] = {}
        self._count = 0

    def add(self, group: Group, frames: list[bytes], spans: int) -> None:
        held = self._groups.get(group)
        if held is None:
            self._groups[group] = list(frames)
        else:
            held.extend(frames)
        self._count += spans
        if self._count >= MAX_SPANS_PER_BATCH:
            self.close()

    def close(self) -> list[Batch]:
        if self._count:
            data = encode_request((g.envelope, f) for g, f in self._groups.items())
            self.batches.append(Batch(Signal.TRACES, data, None, self._count))
            self._groups.clear()
            self._count = 0
        return self.batches


class TailSamplingProcessor(Consumer, ComponentBase):
    """Holds at most num_traces traces; see README.md for the decision rules."""

    capabilities = Capabilities(mutates_data=False)

    def __init__(self, settings: Settings, cfg: TailSamplingConfig,
                 next_consumer: Consumer) -> None:
        self._cfg = cfg
        self._clock = settings.clock
        self._log = settings.logger
        self._metrics = SamplerMetrics(settings)
        report = FailureLog(settings.logger, self._metrics.evaluation_errors.inc)
        ordered = sorted(cfg.policies, key=lambda p: p.type != "drop")  # drop first (stable)
        self._policies: list[tuple[str, Policy]] = [
            (p.name, build(p, settings.clock, report)) for p in ordered]
        self._table = TraceTable(cfg.num_traces, max(1, int(cfg.decision_wait)))
        self._groups = Groups()
        self._sampled = DecisionCache(cfg.decision_cache.sampled_cache_size)
        self._not_sampled = DecisionCache(cfg.decision_cache.non_sampled_cache_size)
        self._forward: Callable[[Batch], Awaitable[None]] = next_consumer.consume_traces
        self._task: asyncio.Task[None] | None = None
        self._stopped = False

    async def start(self, host: Host) -> None:
        if self._task is None and not self._stopped:
            self._task = asyncio.create_task(self._ticker(), name="tail_sampling ticker")

    async def shutdown(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        pending = self._table.pending()
        if self._cfg.drop_pending_traces_on_shutdown:
            self._metrics.dropped_on_shutdown(pending)
            return
        await self._decide_all(pending)

    async def _ticker(self) -> None:
        while True:
            await self._clock.sleep(TICK_SECONDS)
            await self._decide_all(self._table.due())

    # -- deciding ---------------------------------------------------------------------
    async def _decide_all(self, due: list[Trace]) -> None:
        out = _Output()
        too_early = 0
        for trace in due:
            if not trace.alive:
                too_early += 1
                continue
            decision = self._decide(trace)
            self._apply(trace, decision, out)
        self._metrics.flush()
        self._metrics.decided_batch(too_early, len(self._table.traces))
        await self._send(out.close())

    def _decide(self, trace: Trace) -> Decision:
        seen: set[Decision] = set()
        first_match = self._cfg.sample_on_first_match
        for name, policy in self._policies:
            try:
                decision = policy(trace)
            except PolicyError as exc:
                self._metrics.evaluation_errors.inc()
                self._log.debug("sampling policy %s failed: %s", name, exc)
                continue
            self._metrics.policy_decision(name, decision)
            seen.add(decision)
            if decision is Decision.DROPPED or (first_match and decision is Decision.SAMPLED):
                break
        return final_decision(seen)

    def _apply(self, trace: Trace, decision: Decision, out: _Output) -> None:
        trace.decision = decision
        trace.decided_at = self._clock.monotonic()
        runs, spans = trace.release()
        self._metrics.trace_decided(decision, spans)
        if decision is Decision.SAMPLED:
            for group, blobs in runs:
                frames = [unpack(blob) for blob in blobs]
                out.add(group, frames, spans if len(runs) == 1 else count_spans(frames))
            cached = self._sampled.put(trace.trace_id)
        else:
            cached = self._not_sampled.put(trace.trace_id)
        if cached:
            self._table.remove(trace)

    async def _send(self, batches: list[Batch]) -> None:
        for batch in batches:
            try:
                await self._forward(batch)
            except (RetryableError, PermanentError) as exc:
                self._metrics.send_failed(batch.item_count)
                self._log.warning("tail_sampling: sending %d sampled spans failed: %s",
                                  batch.item_count, exc)

    # -- receiving --------------------------------------------------------------------
    async def consume_traces(self, batch: Batch) -> None:
        late = _Output()
        now = self._clock.monotonic()
        new = 0
        for envelope, runs in by_trace(batch.data):
            group = self._groups.get(envelope)
            for run in runs:
                new += self._take(run, group, now, late)
        self._metrics.received(new)
        await self._send(late.close())

    def _take(self, run: TraceRun, group: Group, now: float, late: _Output) -> int:
        """Buffer or pass on one trace's spans of one scope; 1 when the trace is new."""
        tid, spans = run.trace_id, run.spans
        trace = self._table.traces.get(tid)
        new = 0
        if trace is None:
            if self._from_cache(run, group, late):
                return 0
            trace, gone = self._table.add(tid, now)
            new = 1
            if gone is not None:
                self._metrics.evicted(gone)
        trace.span_count += spans
        if trace.decision is Decision.UNSPECIFIED:
            trace.add(group, run.frames, spans)
        elif trace.decision is Decision.SAMPLED:
            late.add(group, [run.frames], spans)
            self._metrics.late_spans(True, spans)
        else:
            self._metrics.late_spans(False, spans)
        return new

    def _from_cache(self, run: TraceRun, group: Group, late: _Output) -> bool:
        if run.trace_id in self._sampled:
            late.add(group, [run.frames], run.spans)
            self._metrics.cache_release(True, run.spans)
            return True
        if run.trace_id in self._not_sampled:
            self._metrics.cache_release(False, run.spans)
            return True
        return False

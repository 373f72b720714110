"""The probabilistic_sampler processor: keeps or drops each span and log record on its own
(no state), by trace ID (or a log attribute) as the Collector decides; counts every
decision per policy."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from otelpy.component import ComponentBase, Settings, Signal
from otelpy.consumer import Capabilities, Consumer
from otelpy.pdata import Batch, items
from otelpy.processors.probabilistic_sampler.config import ProbabilisticSamplerConfig
from otelpy.processors.probabilistic_sampler.sampler import Sampler

_COUNTERS = {Signal.TRACES: "otelcol_processor_probabilistic_sampler_count_traces_sampled",
             Signal.LOGS: "otelcol_processor_probabilistic_sampler_count_logs_sampled"}


class ProbabilisticSamplerProcessor(Consumer, ComponentBase):
    """Removes the items not sampled; a batch left empty is not forwarded."""

    capabilities = Capabilities(mutates_data=True)

    def __init__(self, settings: Settings, cfg: ProbabilisticSamplerConfig, signal: Signal,
                 next_consumer: Consumer) -> None:
        self._signal = signal
        logger = settings.logger
        what = "traces sampler" if signal is Signal.TRACES else "logs sampler"
        self._sampler = Sampler(cfg, signal is Signal.LOGS,
                                lambda message: logger.debug("%s: %s", what, message))
        self._forward: Callable[[Batch], Awaitable[None]] = getattr(
            next_consumer, f"consume_{signal.value}")
        self._counter = settings.telemetry.counter(
            _COUNTERS[signal], "Items seen by the probabilistic sampler, per policy and "
            "decision", ["processor", "policy", "sampled"])
        self._id = str(settings.id)
        self._counts: dict[tuple[str, bool], int] = {}

    def _keep(self, decide: Callable[[object], tuple[bool, str]]) -> Callable[[object], bool]:
        counts = self._counts

        def keep(item: object) -> bool:
            sampled, policy = decide(item)
            key = (policy, sampled)
            counts[key] = counts.get(key, 0) + 1
            return sampled
        return keep

    def _flush_counts(self) -> None:
        for (policy, sampled), n in self._counts.items():
            self._counter.labels(processor=self._id, policy=policy,
                                 sampled="true" if sampled else "false").inc(n)
        self._counts.clear()

    async def consume_traces(self, batch: Batch) -> None:
        request = batch.mutable_message()
        span = self._sampler.span
        try:
            items.retain_spans(request, self._keep(lambda item: span(item.span)))  # type: ignore[attr-defined]
        finally:
            self._flush_counts()
        if batch.item_count:
            await self._forward(batch)

    async def consume_logs(self, batch: Batch) -> None:
        request = batch.mutable_message()
        record = self._sampler.record
        try:
            items.retain_log_records(request, self._keep(lambda item: record(item.record)))  # type: ignore[attr-defined]
        finally:
            self._flush_counts()
        if batch.item_count:
            await self._forward(batch)

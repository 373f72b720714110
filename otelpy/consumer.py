"""The consumer protocol and fan-out.

``await consumer.consume_traces(batch)`` returning means the data was accepted;
raising :class:`~otelpy.errors.RetryableError` or
:class:`~otelpy.errors.PermanentError` means it was refused. A consumer that
changes data in place says so with ``capabilities.mutates_data``; fan-out hands
such consumers their own copy.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from otelpy.component import PipelineID, Signal
from otelpy.errors import PermanentError, RetryableError
from otelpy.pdata import Batch


@dataclass(frozen=True)
class Capabilities:
    mutates_data: bool = False


class Consumer:
    """Base class: override the ``consume_*`` methods of the signals you take.

    :meth:`consume` dispatches a batch to the method of its signal.
    """

    capabilities = Capabilities()

    async def consume_traces(self, batch: Batch) -> None:
        raise PermanentError(f"{type(self).__name__} does not accept traces")

    async def consume_metrics(self, batch: Batch) -> None:
        raise PermanentError(f"{type(self).__name__} does not accept metrics")

    async def consume_logs(self, batch: Batch) -> None:
        raise PermanentError(f"{type(self).__name__} does not accept logs")

    async def consume(self, batch: Batch) -> None:
        if batch.signal is Signal.TRACES:
            await self.consume_traces(batch)
        elif batch.signal is Signal.METRICS:
            await self.consume_metrics(batch)
        else:
            await self.consume_logs(batch)


class FuncConsumer(Consumer):
    """A consumer made of one coroutine function taking any batch."""

    def __init__(
        self, func: Callable[[Batch], Awaitable[None]], mutates_data: bool = False
    ) -> None:
        self._func = func
        self.capabilities = Capabilities(mutates_data)

    async def consume_traces(self, batch: Batch) -> None:
        await self._func(batch)

    async def consume_metrics(self, batch: Batch) -> None:
        await self._func(batch)

    async def consume_logs(self, batch: Batch) -> None:
        await self._func(batch)


class FanOut(Consumer):
    """Hands each batch to several consumers concurrently.

    Consumers that mutate get a copy each; read-only consumers share the batch.
    If any consumer refuses, the first refusal is raised after all have finished:
    retryable if any refusal was retryable (the sender retries the whole batch),
    permanent otherwise.
    """

    def __init__(self, consumers: Sequence[Consumer]) -> None:
        if not consumers:
            raise ValueError("FanOut needs at least one consumer")
        self.consumers = list(consumers)
        self.capabilities = Capabilities(False)

    async def consume(self, batch: Batch) -> None:
        if len(self.consumers) == 1:
            await self.consumers[0].consume(batch)
            return
        mutating = [c for c in self.consumers if c.capabilities.mutates_data]
        readonly_share = batch if len(mutating) == 0 else batch.copy()
        calls = []
        for c in self.consumers:
            if c.capabilities.mutates_data:
                # the last mutating consumer may take the original
                own = batch if c is mutating[-1] else batch.copy()
                calls.append(c.consume(own))
            else:
                calls.append(c.consume(readonly_share))
        results = await asyncio.gather(*calls, return_exceptions=True)
        errors = [r for r in results if isinstance(r, BaseException)]
        if not errors:
            return
        for err in errors:
            if not isinstance(err, Exception):
                raise err
        retryable = [e for e in errors if isinstance(e, RetryableError)]
        if retryable:
            raise retryable[0]
        raise errors[0]

    async def consume_traces(self, batch: Batch) -> None:
        await self.consume(batch)

    async def consume_metrics(self, batch: Batch) -> None:
        await self.consume(batch)

    async def consume_logs(self, batch: Batch) -> None:
        await self.consume(batch)


class PipelineRouter(FanOut):
    """The pipelines a connector feeds, each reachable on its own (the routing connector's
    next consumer); consuming on the router itself fans out to all of them."""

    def __init__(self, pipelines: Mapping[PipelineID, Consumer]) -> None:
        super().__init__(list(pipelines.values()))
        self.pipelines = dict(pipelines)
        self._selected: dict[tuple[PipelineID, ...], Consumer] = {}

    def select(self, ids: Sequence[PipelineID]) -> Consumer:
        """One consumer feeding exactly ``ids`` (KeyError for a pipeline not fed)."""
        key = tuple(sorted(set(ids)))
        found = self._selected.get(key)
        if found is None:
            chosen = [self.pipelines[i] for i in key]
            found = self._selected[key] = chosen[0] if len(chosen) == 1 else FanOut(chosen)
        return found

"""A recording sink consumer and a fake engine host, for tests and benchmarks.

:class:`SinkConsumer` is a real :class:`~otelpy.consumer.Consumer`: it keeps every
batch it accepts, counts items per signal, can refuse the next N calls with a
chosen error, and can be held shut (a gate) to simulate a slow downstream.
:class:`FakeHost` implements the :class:`~otelpy.component.Host` protocol with
statuses and extensions that a test sets directly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from otelpy.component import Component, ComponentID, Signal
from otelpy.consumer import Capabilities, Consumer
from otelpy.pdata import Batch
from otelpy.statusapi import ApiRoutes

__all__ = ["SinkConsumer", "FakeHost"]


class SinkConsumer(Consumer):
    """Accepts and records batches of every signal.

    * ``batches``: every accepted batch, in arrival order; ``items``: accepted
      items per signal; ``calls``: every call, accepted or refused.
    * :meth:`fail_next` makes the next ``n`` calls raise ``error`` (nothing recorded).
    * :meth:`hold` closes a gate: calls wait (not yet accepted) until :meth:`release`.
    * ``delay`` seconds are awaited on every call, before accepting.
    """

    def __init__(self, mutates_data: bool = False, delay: float = 0.0) -> None:
        self.capabilities = Capabilities(mutates_data)
        self.delay = delay
        self.batches: list[Batch] = []
        self.items: dict[Signal, int] = {s: 0 for s in Signal}
        self.calls = 0
        self.in_flight = 0
        self._failures: list[Exception] = []
        self._gate: asyncio.Event | None = None
        self._changed: asyncio.Event | None = None

    # -- behaviour control ---------------------------------------------------------------
    def fail_next(self, n: int, error: Exception) -> None:
        """Make the next ``n`` calls raise ``error``: a refusal (RetryableError,
        PermanentError) or, to simulate a bug downstream, any other exception."""
        self._failures.extend([error] * n)

    def hold(self) -> None:
        """Make calls wait until :meth:`release` (they are not accepted while waiting)."""
        if self._gate is None:
            self._gate = asyncio.Event()
        self._gate.clear()

    def release(self) -> None:
        """Let waiting and future calls through."""
        if self._gate is not None:
            self._gate.set()

    # -- views ---------------------------------------------------------------------------
    def sizes(self, signal: Signal | None = None) -> list[int]:
        """Item counts of the accepted batches (of one signal, or all), in order."""
        return [b.item_count for b in self.batches if signal is None or b.signal is signal]

    def total(self) -> int:
        """Items accepted across all signals."""
        return sum(self.items.values())

    async def wait_for_items(self, n: int, signal: Signal | None = None,
                             within: float = 2.0) -> None:
        """Wait until at least ``n`` items (of ``signal``, or of all) were accepted.

        Raises TimeoutError with what was seen when ``within`` seconds pass first.
        """
        def seen() -> int:
            return self.total() if signal is None else self.items[signal]

        try:
            async with asyncio.timeout(within):
                while seen() < n:
                    await self._changed_event().wait()
                    self._changed_event().clear()
        except TimeoutError:
            raise TimeoutError(f"sink saw {seen()} items, expected {n}") from None

    def _changed_event(self) -> asyncio.Event:
        if self._changed is None:
            self._changed = asyncio.Event()
        return self._changed

    # -- consumer ------------------------------------------------------------------------
    async def _record(self, batch: Batch) -> None:
        self.calls += 1
        self.in_flight += 1
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            if self._gate is not None:
                await self._gate.wait()
            if self._failures:
                raise self._failures.pop(0)
            self.batches.append(batch)
            self.items[batch.signal] += batch.item_count
            self._changed_event().set()
        finally:
            self.in_flight -= 1

    async def consume_traces(self, batch: Batch) -> None:
        await self._record(batch)

    async def consume_metrics(self, batch: Batch) -> None:
        await self._record(batch)

    async def consume_logs(self, batch: Batch) -> None:
        await self._record(batch)


class FakeHost:
    """A :class:`~otelpy.component.Host` whose answers the test sets directly."""

    def __init__(
        self,
        statuses: Mapping[str, str] | None = None,
        extensions: Mapping[ComponentID, Component] | None = None,
    ) -> None:
        self.statuses: dict[str, str] = dict(statuses or {})
        self.extensions: dict[ComponentID, Component] = dict(extensions or {})
        self.api = ApiRoutes()

    def extension(self, component_id: ComponentID) -> Component | None:
        return self.extensions.get(component_id)

    def pipeline_status(self) -> Mapping[str, str]:
        return dict(self.statuses)

    def api_routes(self) -> ApiRoutes:
        return self.api

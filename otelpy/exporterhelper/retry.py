"""Retrying one send: exponential backoff with jitter, server hints, a time budget.

:meth:`RetryPolicy.run` calls ``attempt(batch)`` until it returns, and raises the
final error otherwise. It retries only :class:`~otelpy.errors.RetryableError` (a
per-attempt timeout arrives here as one); :class:`~otelpy.errors.PermanentError`
and anything else go straight to the caller. A retryable error's ``retry_after``
(HTTP Retry-After, gRPC RetryInfo) is used as the next wait when positive; otherwise
the wait is the backoff interval with jitter. The Collector takes the larger of the
two; otelpy trusts the server's hint. A wait that would end after
``max_elapsed_time`` is not started: the policy gives up at once. Waits and the time
budget use the event loop's clock, or the ``clock`` given (``settings.clock``, so tests
drive retries with a FakeClock).
:meth:`RetryPolicy.stop` (shutdown) wakes every waiting retry, which then gives up.
The final :class:`RetriesExhausted` says ``may_have_arrived`` when any attempt's error
did (an error that is not a RetryableError counts as "may have"): False only when no
attempt can have reached the destination. An :class:`AttemptWatcher` set in
:data:`attempt_watcher` (a context variable: the persistent queue sets one per send) is
told before every attempt and after every retryable failure, so a kill -9 during the
waits between attempts finds the batch's dispatch mark as the last attempt left it.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Generic, Protocol, TypeVar

from otelpy.clock import Clock
from otelpy.errors import RetryableError
from otelpy.exporterhelper.config import RetrySettings

T = TypeVar("T")

__all__ = ["RetryPolicy", "RetriesExhausted", "AttemptWatcher", "attempt_watcher"]


class AttemptWatcher(Protocol):
    """Told about each attempt of one :meth:`RetryPolicy.run`; must not raise."""

    def before(self) -> None:
        """An attempt starts."""

    def failed(self, exc: RetryableError) -> None:
        """The attempt just started failed with ``exc`` (a retry may follow)."""


attempt_watcher: ContextVar[AttemptWatcher | None] = ContextVar(
    "otelpy_attempt_watcher", default=None)


class RetriesExhausted(RetryableError):
    """A batch still failed when the retry budget ran out or the exporter stopped.

    ``may_have_arrived`` is True when any attempt may have reached the destination.
    """


class RetryPolicy:
    """Backoff parameters plus a stop signal shared by every retry of one exporter."""

    def __init__(self, cfg: RetrySettings, rng: Callable[[], float] = random.random,
                 clock: Clock | None = None) -> None:
        self.cfg = cfg
        self._rng = rng
        self._clock = clock
        self._stopped = False
        self._stop_fut: asyncio.Future[None] | None = None

    @property
    def stopped(self) -> bool:
        return self._stopped

    def stop(self) -> None:
        """Wake waiting retries and make every later failure final."""
        self._stopped = True
        if self._stop_fut is not None and not self._stop_fut.done():
            self._stop_fut.set_result(None)

    def backoff(self, interval: float) -> float:
        """One jittered wait around ``interval``."""
        factor = self.cfg.randomization_factor
        if factor == 0:
            return interval
        return interval * (1 - factor + 2 * factor * self._rng())

    async def run(self, attempt: Callable[[T], Awaitable[None]], item: T) -> None:
        """Call ``attempt(item)`` until it succeeds; raise the final error otherwise.

        Raises RetriesExhausted (retryable) when the budget runs out or on stop, the
        original RetryableError when retries are disabled, and any other error as is.
        The RetriesExhausted's ``may_have_arrived`` is True when any attempt's was.
        """
        watcher = attempt_watcher.get()
        if watcher is not None:
            token = attempt_watcher.set(None)  # not for nested policies
            try:
                await self._run(_Watched(attempt, watcher), item)
            finally:
                attempt_watcher.reset(token)
            return
        await self._run(attempt, item)

    async def _run(self, attempt: Callable[[T], Awaitable[None]], item: T) -> None:
        try:
            await attempt(item)
            return
        except RetryableError as exc:
            last = exc
        if not self.cfg.enabled:
            raise last
        await self._retry(attempt, item, last)

    async def _retry(self, attempt: Callable[[T], Awaitable[None]], item: T,
                     last: RetryableError) -> None:
        cfg = self.cfg
        start = self._now()
        interval = cfg.initial_interval
        tries = 1
        arrived = last.may_have_arrived
        while True:
            if self._stopped:
                raise RetriesExhausted(f"exporter stopped after {tries} attempt(s): {last}",
                                       may_have_arrived=arrived)
            hint = last.retry_after
            if hint is not None and hint > 0:
                delay = hint
            else:
                delay = self.backoff(interval)
                interval = min(interval * cfg.multiplier, cfg.max_interval)
            elapsed = self._now() - start
            if cfg.max_elapsed_time and elapsed + delay > cfg.max_elapsed_time:
                raise RetriesExhausted(
                    f"no more retries left after {tries} attempt(s) in {elapsed:.1f}s "
                    f"(max_elapsed_time {cfg.max_elapsed_time:g}s): {last}",
                    may_have_arrived=arrived)
            await self._sleep(delay)
            if self._stopped:
                raise RetriesExhausted(f"exporter stopped after {tries} attempt(s): {last}",
                                       may_have_arrived=arrived)
            tries += 1
            try:
                await attempt(item)
                return
            except RetryableError as exc:
                last = exc
                arrived = arrived or exc.may_have_arrived

    def _now(self) -> float:
        if self._clock is not None:
            return self._clock.monotonic()
        return asyncio.get_running_loop().time()

    async def _sleep(self, delay: float) -> None:
        """Sleep ``delay`` seconds, or less if :meth:`stop` is called meanwhile."""
        if self._stop_fut is None:
            self._stop_fut = asyncio.get_running_loop().create_future()
        if self._clock is None:
            await asyncio.wait((self._stop_fut,), timeout=delay)
            return
        sleeper = asyncio.ensure_future(self._clock.sleep(delay))
        try:
            await asyncio.wait((self._stop_fut, sleeper), return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()


class _Watched(Generic[T]):
    """``attempt`` reporting to a watcher."""

    def __init__(self, attempt: Callable[[T], Awaitable[None]], watcher: AttemptWatcher) -> None:
        self._attempt = attempt
        self._watcher = watcher

    async def __call__(self, item: T) -> None:
        self._watcher.before()
        try:
            await self._attempt(item)
        except RetryableError as exc:
            self._watcher.failed(exc)
            raise

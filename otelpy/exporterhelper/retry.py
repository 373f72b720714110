"""Retrying one send: exponential backoff with jitter, server hints, a time budget.

:meth:`RetryPolicy.run` calls ``attempt(batch)`` until it returns, and raises the
final error otherwise. It retries only :class:`~otelpy.errors.RetryableError` (a
per-attempt timeout arrives here as one); :class:`~otelpy.errors.PermanentError`
and anything else go straight to the caller. A retryable error's ``retry_after``
(HTTP Retry-After, gRPC RetryInfo) is used as the next wait when positive; otherwise
the wait is the backoff interval with jitter. The Collector takes the larger of the
two; otelpy trusts the server's hint. A wait that would end after
``max_elapsed_time`` is not started: the policy gives up at once.
:meth:`RetryPolicy.stop` (shutdown) wakes every waiting retry, which then gives up.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from otelpy.errors import RetryableError
from otelpy.exporterhelper.config import RetrySettings

T = TypeVar("T")

__all__ = ["RetryPolicy", "RetriesExhausted"]


class RetriesExhausted(RetryableError):
    """A batch still failed when the retry budget ran out or the exporter stopped."""


class RetryPolicy:
    """Backoff parameters plus a stop signal shared by every retry of one exporter."""

    def __init__(self, cfg: RetrySettings, rng: Callable[[], float] = random.random) -> None:
        self.cfg = cfg
        self._rng = rng
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
        """
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
        loop = asyncio.get_running_loop()
        start = loop.time()
        interval = cfg.initial_interval
        tries = 1
        while True:
            if self._stopped:
                raise RetriesExhausted(f"exporter stopped after {tries} attempt(s): {last}")
            hint = last.retry_after
            if hint is not None and hint > 0:
                delay = hint
            else:
                delay = self.backoff(interval)
                interval = min(interval * cfg.multiplier, cfg.max_interval)
            elapsed = loop.time() - start
            if cfg.max_elapsed_time and elapsed + delay > cfg.max_elapsed_time:
                raise RetriesExhausted(
                    f"no more retries left after {tries} attempt(s) in {elapsed:.1f}s "
                    f"(max_elapsed_time {cfg.max_elapsed_time:g}s): {last}")
            await self._sleep(delay)
            if self._stopped:
                raise RetriesExhausted(f"exporter stopped after {tries} attempt(s): {last}")
            tries += 1
            try:
                await attempt(item)
                return
            except RetryableError as exc:
                last = exc

    async def _sleep(self, delay: float) -> None:
        """Sleep ``delay`` seconds, or less if :meth:`stop` is called meanwhile."""
        if self._stop_fut is None:
            self._stop_fut = asyncio.get_running_loop().create_future()
        await asyncio.wait((self._stop_fut,), timeout=delay)

"""Reporting statement failures under ``error_mode: ignore``: every failure is counted, and
logged quietly (the first one, then at most one line per interval with how many more)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any


class FailureLog:
    """A :data:`~otelpy.ottl.program.Report` callable for one component."""

    def __init__(self, logger: logging.Logger, count: Callable[[], None] | None = None,
                 interval: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._log, self._count, self._interval, self._clock = logger, count, interval, clock
        self._last = float("-inf")
        self._suppressed = 0

    def __call__(self, text: str, error: Exception) -> None:
        if self._count is not None:
            self._count()
        now = self._clock()
        if now - self._last < self._interval:
            self._suppressed += 1
            return
        extra: dict[str, Any] = {"statement": text}
        more = f" ({self._suppressed} more failures since the last report)" \
            if self._suppressed else ""
        self._log.warning("failed to execute statement %r: %s%s", text, error, more,
                          extra=extra)
        self._last, self._suppressed = now, 0

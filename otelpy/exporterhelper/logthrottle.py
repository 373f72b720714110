"""A log line that repeats at most once per interval, saying how many were suppressed.

For per-batch problems (drops, failed sends, partial successes): the first
occurrence is logged at once; later ones within ``interval`` seconds are only
counted and reported with the next line that gets through.
"""

from __future__ import annotations

import logging
import time

__all__ = ["ThrottledLog"]


class ThrottledLog:
    """Rate-limited logging for one kind of event."""

    def __init__(self, logger: logging.Logger, level: int = logging.WARNING,
                 interval: float = 10.0) -> None:
        self.logger = logger
        self.level = level
        self.interval = interval
        self._next = 0.0
        self._suppressed = 0

    def log(self, msg: str, *args: object) -> bool:
        """Log ``msg % args`` unless one was logged less than ``interval`` ago.

        Returns True if the line was written.
        """
        now = time.monotonic()
        if now < self._next:
            self._suppressed += 1
            return False
        self._next = now + self.interval
        if self._suppressed:
            msg += " (%d similar messages suppressed)"
            args = (*args, self._suppressed)
            self._suppressed = 0
        self.logger.log(self.level, msg, *args)
        return True

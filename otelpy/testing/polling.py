"""Waiting for a condition in tests: poll it, with a generous deadline, never a fixed sleep.

A test that sleeps for a fixed time and then asserts passes on an idle machine and fails
on a loaded one; a test that polls the condition waits exactly as long as it takes. The
deadlines here are ceilings for a failure report, not expectations: they hold at 10x
slower than an idle machine.

:func:`until` (async, on the test's event loop) and :func:`wait_until` (sync, from a
thread or a plain test) raise AssertionError naming what was awaited; :func:`eventually`
returns False instead. :func:`until` returns how long the wait took.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from typing import TypeVar

__all__ = ["eventually", "until", "wait_until"]

T = TypeVar("T")

DEFAULT_WITHIN = 10.0  # seconds: a ceiling, reached only when the condition never holds


async def until(predicate: Callable[[], object], within: float = DEFAULT_WITHIN,
                what: str = "the condition", interval: float = 0.005) -> float:
    """Poll ``predicate()`` on the running loop until it is truthy (an awaitable it returns
    is awaited first); return the seconds it took. Raises AssertionError naming ``what``
    once ``within`` seconds pass first."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    while True:
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return loop.time() - start
        if loop.time() - start > within:
            raise AssertionError(f"timed out after {within:.1f}s waiting for {what}")
        await asyncio.sleep(interval)


def eventually(predicate: Callable[[], object], timeout: float, interval: float = 0.05) -> bool:
    """Poll ``predicate()`` until it is truthy (True) or ``timeout`` passes (False)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True


def wait_until(predicate: Callable[[], T], timeout: float, what: str,
               interval: float = 0.05) -> T:
    """Poll ``predicate()`` until it returns a truthy value (returned) or ``timeout`` passes.

    Raises AssertionError naming ``what`` on timeout.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.1f}s waiting for {what}")
        time.sleep(interval)

"""RetryPolicy's ``may_have_arrived`` aggregate: the final error says True when any attempt
may have reached the destination, False only when none can have."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from otelpy.errors import PermanentError, RetryableError
from otelpy.exporterhelper.config import RetrySettings
from otelpy.exporterhelper.retry import RetriesExhausted, RetryPolicy, attempt_watcher

FAST = {"initial_interval": 0.001, "randomization_factor": 0, "max_interval": 0.001,
        "max_elapsed_time": 0.02}


def failing(arrived: list[bool]) -> tuple[Callable[[int], Awaitable[None]], list[int]]:
    """An attempt raising RetryableError(may_have_arrived=arrived[i]) on try i (the last
    one repeats), and the list of tries made."""
    tries: list[int] = []

    async def attempt(item: int) -> None:
        tries.append(item)
        raise RetryableError(f"try {len(tries)}",
                             may_have_arrived=arrived[min(len(tries), len(arrived)) - 1])

    return attempt, tries


def test_default_is_may_have_arrived() -> None:
    assert RetryableError("x").may_have_arrived is True
    assert RetryableError("x", 2.0).retry_after == 2.0
    assert RetriesExhausted("x").may_have_arrived is True
    assert RetryableError("x", may_have_arrived=False).may_have_arrived is False


@pytest.mark.parametrize(("arrived", "expected"), [
    ([False], False),  # every attempt certainly failed
    ([True], True),
    ([True, False], True),  # the first may have arrived, later ones not
    ([False, False, True, False], True),
])
async def test_exhausted_carries_the_aggregate(arrived: list[bool], expected: bool) -> None:
    attempt, tries = failing(arrived)
    with pytest.raises(RetriesExhausted) as info:
        await RetryPolicy(RetrySettings(**FAST)).run(attempt, 1)
    assert len(tries) >= len(arrived)
    assert info.value.may_have_arrived is expected


async def test_retries_disabled_raise_the_error_as_is() -> None:
    attempt, tries = failing([False])
    with pytest.raises(RetryableError) as info:
        await RetryPolicy(RetrySettings(enabled=False)).run(attempt, 1)
    assert (tries, type(info.value), info.value.may_have_arrived) == ([1], RetryableError, False)


@pytest.mark.parametrize("arrived", [False, True])
async def test_stop_carries_the_aggregate(arrived: bool) -> None:
    attempt, tries = failing([False, arrived])
    policy = RetryPolicy(RetrySettings(initial_interval=0.01, randomization_factor=0,
                                       max_interval=0.01, max_elapsed_time=0))
    task = asyncio.create_task(policy.run(attempt, 1))
    while len(tries) < 3:  # noqa: ASYNC110
        await asyncio.sleep(0.005)
    policy.stop()
    with pytest.raises(RetriesExhausted) as info:
        await task
    assert "stopped" in str(info.value)
    assert info.value.may_have_arrived is arrived


async def test_other_errors_go_through_unchanged() -> None:
    tries: list[int] = []

    async def attempt(item: int) -> None:
        tries.append(item)
        if len(tries) == 1:
            raise RetryableError("refused", may_have_arrived=False)
        raise PermanentError("bad data")

    with pytest.raises(PermanentError):
        await RetryPolicy(RetrySettings(**FAST)).run(attempt, 1)
    assert tries == [1, 1]


class Watcher:
    def __init__(self) -> None:
        self.events: list[str] = []

    def before(self) -> None:
        self.events.append("before")
        assert attempt_watcher.get() is None  # not seen by nested policies

    def failed(self, exc: RetryableError) -> None:
        self.events.append(f"failed {exc.may_have_arrived}")


async def test_watcher_hears_every_attempt() -> None:
    attempt, tries = failing([False, True])
    watcher = Watcher()
    token = attempt_watcher.set(watcher)
    try:
        policy = RetryPolicy(RetrySettings(initial_interval=0.001, randomization_factor=0,
                                           max_interval=0.001, max_elapsed_time=0.004))
        with pytest.raises(RetriesExhausted) as info:
            await policy.run(attempt, 1)
        assert attempt_watcher.get() is watcher
    finally:
        attempt_watcher.reset(token)
    assert info.value.may_have_arrived is True
    assert len(tries) >= 2
    assert watcher.events == ["before", "failed False"] + ["before", "failed True"] * (
        len(tries) - 1)


async def test_watcher_hears_a_success() -> None:
    watcher = Watcher()
    calls: list[int] = []

    async def attempt(item: int) -> None:
        calls.append(item)
        if len(calls) == 1:
            raise RetryableError("refused", may_have_arrived=False)

    token = attempt_watcher.set(watcher)
    try:
        await RetryPolicy(RetrySettings(**FAST)).run(attempt, 7)
    finally:
        attempt_watcher.reset(token)
    assert calls == [7, 7]
    assert watcher.events == ["before", "failed False", "before"]

"""BatchQueue: bounded FIFO with waiting producers, closing and draining."""

from __future__ import annotations

import asyncio

import pytest

from otelpy.exporterhelper import BatchQueue, QueueClosed


async def test_offer_get_fifo_and_capacity() -> None:
    q: BatchQueue[int] = BatchQueue(2)
    assert q.offer(1) and q.offer(2)
    assert not q.offer(3)
    assert len(q) == 2
    assert [await q.get(), await q.get()] == [1, 2]


async def test_put_waits_for_room_in_arrival_order() -> None:
    q: BatchQueue[str] = BatchQueue(1)
    q.offer("a")
    p1 = asyncio.create_task(q.put("b"))
    await asyncio.sleep(0)
    p2 = asyncio.create_task(q.put("c"))
    await asyncio.sleep(0.01)
    assert not p1.done() and not p2.done()
    assert not q.offer("x"), "offer must not jump ahead of waiting producers"
    got = [await q.get() for _ in range(3)]
    await asyncio.gather(p1, p2)
    assert got == ["a", "b", "c"]


async def test_cancelled_producer_leaves_the_line() -> None:
    q: BatchQueue[int] = BatchQueue(1)
    q.offer(0)
    p1 = asyncio.create_task(q.put(1))
    p2 = asyncio.create_task(q.put(2))
    await asyncio.sleep(0.01)
    p1.cancel()
    await asyncio.sleep(0)
    assert await q.get() == 0
    await asyncio.wait_for(p2, 1)
    assert await q.get() == 2


async def test_close_refuses_producers_and_drains_consumers() -> None:
    q: BatchQueue[int] = BatchQueue(1)
    q.offer(7)
    waiting = asyncio.create_task(q.put(8))
    idle: BatchQueue[int] = BatchQueue(1)
    getter = asyncio.create_task(idle.get())
    await asyncio.sleep(0.01)
    q.close()
    idle.close()
    with pytest.raises(QueueClosed):
        await waiting
    with pytest.raises(QueueClosed):
        q.offer(9)
    assert await q.get() == 7  # what is queued still drains
    assert await q.get() is None
    assert await getter is None
    assert q.take_all() == []


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError):
        BatchQueue(0)

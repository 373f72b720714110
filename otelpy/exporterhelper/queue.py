"""A bounded FIFO of batches for one asyncio loop, closeable; bounded in batches, or in
units of each item's ``weight`` (items or bytes: the sending queue's ``sizer``). An item
heavier than the whole capacity is accepted when the queue is empty.

:meth:`BatchQueue.offer` never waits (False when full); :meth:`BatchQueue.put`
waits for room — that wait is backpressure. :meth:`BatchQueue.close` stops
accepting: waiting and later producers get :class:`QueueClosed`, and consumers
drain what is left, then get ``None``.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

__all__ = ["BatchQueue", "QueueClosed"]


class QueueClosed(Exception):
    """The queue no longer accepts items."""


def _wake_one(waiters: deque[asyncio.Future[None]]) -> None:
    while waiters:
        fut = waiters.popleft()
        if not fut.done():
            fut.set_result(None)
            return


def _wake_all(waiters: deque[asyncio.Future[None]]) -> None:
    while waiters:
        fut = waiters.popleft()
        if not fut.done():
            fut.set_result(None)


class BatchQueue(Generic[T]):
    """Bounded FIFO; producers are served in arrival order when it is full."""

    def __init__(self, capacity: int, weight: Callable[[T], int] | None = None) -> None:
        if capacity < 1:
            raise ValueError("queue capacity must be at least 1")
        self.capacity = capacity
        self._weight = weight
        self._used = 0  # sum of weights (= len without a weight function)
        self._items: deque[T] = deque()
        self._getters: deque[asyncio.Future[None]] = deque()
        self._putters: deque[asyncio.Future[None]] = deque()
        self._closed = False

    def __len__(self) -> int:
        return len(self._items)

    @property
    def used(self) -> int:
        """Capacity in use: items queued, or the sum of their weights."""
        return self._used

    def _fits(self, item: T | None) -> bool:
        if not self._items:
            return True
        w = 1 if self._weight is None or item is None else self._weight(item)
        return self._used + w <= self.capacity

    def _append(self, item: T) -> None:
        self._items.append(item)
        self._used += 1 if self._weight is None else self._weight(item)

    @property
    def closed(self) -> bool:
        return self._closed

    def offer(self, item: T) -> bool:
        """Append without waiting; False when full (or producers are already waiting).

        Raises QueueClosed after :meth:`close`.
        """
        if self._closed:
            raise QueueClosed("queue is closed")
        if not self._fits(item) or self._putters:
            return False
        self._append(item)
        if self._getters:
            _wake_one(self._getters)
        return True

    async def put(self, item: T) -> None:
        """Append, waiting for room first; raises QueueClosed if closed before or while waiting."""
        if self._closed:
            raise QueueClosed("queue is closed")
        if not self._fits(item) or self._putters:
            await self._wait_for_room(item)
        self._append(item)
        if self._getters:
            _wake_one(self._getters)
        if self._used < self.capacity and self._putters:
            _wake_one(self._putters)

    async def _wait_for_room(self, item: T) -> None:
        """Wait in line until there is room and it is our turn; QueueClosed if closed."""
        loop = asyncio.get_running_loop()
        first_wait = True
        while True:
            fut = loop.create_future()
            if first_wait:
                self._putters.append(fut)
            else:
                self._putters.appendleft(fut)  # lost the slot to offer(): keep our place
            first_wait = False
            try:
                await fut
            except asyncio.CancelledError:
                if fut in self._putters:
                    self._putters.remove(fut)
                elif self._used < self.capacity:
                    _wake_one(self._putters)  # pass on the wake-up we were given
                raise
            if self._closed:
                raise QueueClosed("queue is closed")
            if self._fits(item):
                return

    async def get(self) -> T | None:
        """The oldest item, waiting for one; None once the queue is closed and empty."""
        while not self._items:
            if self._closed:
                return None
            fut = asyncio.get_running_loop().create_future()
            self._getters.append(fut)
            try:
                await fut
            except asyncio.CancelledError:
                if fut in self._getters:
                    self._getters.remove(fut)
                elif self._items:
                    _wake_one(self._getters)
                raise
        item = self._items.popleft()
        self._used -= 1 if self._weight is None else self._weight(item)
        if self._putters:
            _wake_one(self._putters)
        return item

    def close(self) -> None:
        """Stop accepting; wake every waiting producer (QueueClosed) and idle consumer."""
        self._closed = True
        _wake_all(self._putters)
        _wake_all(self._getters)

    def take_all(self) -> list[T]:
        """Remove and return everything still queued (used when giving up at shutdown)."""
        items = list(self._items)
        self._items.clear()
        self._used = 0
        return items

"""The load: grpc.aio clients sending seq-numbered OTLP requests, recording what was acknowledged.

A seq counts as acknowledged only when its request got grpc-status OK. Any other
outcome (UNAVAILABLE while otelpy is down, a connection reset by a kill -9, a
deadline) puts the same items back in a retry queue; they are sent again, with the
same seqs, before any new ones. So an item is either acknowledged exactly as the
client saw it, or still pending; a request that failed on the client's side but had
reached the sink anyway shows up as "delivered, never acknowledged" (not a loss).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, deque
from dataclasses import dataclass, field

import grpc
import wire
from ledger import Ledger

METHODS = {
    wire.TRACES: "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
    wire.LOGS: "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
}
_CHANNEL_OPTIONS = [
    ("grpc.initial_reconnect_backoff_ms", 50),
    ("grpc.min_reconnect_backoff_ms", 50),
    ("grpc.max_reconnect_backoff_ms", 250),
    ("grpc.enable_retries", 0),  # retries are ours: never resend behind our back
    ("grpc.max_send_message_length", 64 * 1024 * 1024),
]


@dataclass
class Chunk:
    """One request's items: ``count`` consecutive seqs from ``first``, of one signal."""

    signal: str
    first: int
    count: int
    attempts: int = 0


@dataclass
class LoadStats:
    """What the clients saw."""

    requests_ok: int = 0
    requests_failed: int = 0
    retried_items: int = 0
    errors: Counter[str] = field(default_factory=Counter)


class LoadGen:
    """``workers`` concurrent senders over ``channels`` connections to otelpy's gRPC port."""

    def __init__(self, ledger: Ledger, port: int, workers: int, items_per_request: int,
                 call_timeout: float, channels: int = 2) -> None:
        self.ledger = ledger
        self.items_per_request = items_per_request
        self.call_timeout = call_timeout
        self.stats = LoadStats()
        self.pending: deque[Chunk] = deque()
        self._target, self._channel_count = f"127.0.0.1:{port}", channels
        self._channels: list[grpc.aio.Channel] = []  # made on the running loop, in start()
        self._workers = workers
        self._producing = False
        self._deadline = 0.0
        self._tasks: list[asyncio.Task[None]] = []
        self._in_flight: dict[int, Chunk] = {}  # by worker

    async def close(self) -> None:
        await self.stop()
        for channel in self._channels:
            await channel.close()
        self._channels = []

    def start(self) -> None:
        """Start sending new items (and retrying failed ones) until :meth:`finish`."""
        if not self._channels:
            self._channels = [grpc.aio.insecure_channel(self._target, options=_CHANNEL_OPTIONS)
                              for _ in range(self._channel_count)]
        self._producing = True
        self._deadline = float("inf")
        self._tasks = [asyncio.create_task(self._worker(i), name=f"loadgen-{i}")
                       for i in range(self._workers)]

    async def finish(self, bound: float) -> int:
        """Stop producing new items; retry the pending ones for at most ``bound`` seconds.

        Returns how many items were still unacknowledged when it gave up (never counted
        as acknowledged).
        """
        self._producing = False
        self._deadline = time.monotonic() + bound
        await asyncio.wait(self._tasks, timeout=bound + self.call_timeout + 1)
        await self.stop()
        left = sum(c.count for c in self.pending) + sum(c.count for c in self._in_flight.values())
        self.pending.clear()
        self._in_flight.clear()
        return left

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            try:
                await task
            except asyncio.CancelledError:
                pass
        self._tasks = []

    def _next_chunk(self, index: int) -> Chunk | None:
        if self.pending:
            return self.pending.popleft()
        if not self._producing:
            return None
        signal = wire.TRACES if index % 2 == 0 else wire.LOGS
        return Chunk(signal, self.ledger.allocate(self.items_per_request), self.items_per_request)

    async def _worker(self, index: int) -> None:
        channel = self._channels[index % len(self._channels)]
        calls = {s: channel.unary_unary(m, request_serializer=None, response_deserializer=None)
                 for s, m in METHODS.items()}
        while time.monotonic() < self._deadline:
            chunk = self._next_chunk(index)
            if chunk is None:
                return
            body = wire.encode(chunk.signal, range(chunk.first, chunk.first + chunk.count))
            chunk.attempts += 1
            if chunk.attempts > 1:
                self.ledger.resend(chunk.first, chunk.count)
            self._in_flight[index] = chunk
            try:
                await calls[chunk.signal](body, timeout=self.call_timeout)
            except grpc.aio.AioRpcError as exc:
                del self._in_flight[index]
                self._failed(chunk, exc.code().name)
                await asyncio.sleep(0.05)
                continue
            del self._in_flight[index]
            self.stats.requests_ok += 1
            self.ledger.ack(chunk.first, chunk.count)

    def _failed(self, chunk: Chunk, code: str) -> None:
        self.stats.requests_failed += 1
        self.stats.errors[code] += 1
        self.stats.retried_items += chunk.count
        self.pending.append(chunk)

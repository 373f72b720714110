"""The Jaeger agent's UDP endpoints: one datagram is one ``Agent.emitBatch`` message.

Datagrams wait in a bounded queue (``queue_size``) for ``workers`` tasks; a full queue or
a datagram over ``max_packet_size`` drops the datagram, counted (UDP has no way to push
back). A datagram that does not decode is counted as malformed and dropped.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from otelpy.config.server import Endpoint
from otelpy.errors import ComponentStartError
from otelpy.receivers.jaeger.config import UDPSettings

Handler = Callable[[bytes], Awaitable[None]]
Drop = Callable[[str, str], None]  # (reason, detail)


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, server: UDPServer) -> None:
        self._server = server

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self._server.offer(data)

    def error_received(self, exc: Exception) -> None:
        self._server.drop("socket_error", str(exc))


class UDPServer:
    """A UDP socket feeding ``handle`` through a bounded queue."""

    def __init__(self, name: str, cfg: UDPSettings, handle: Handler, drop: Drop) -> None:
        self._name = name
        self._cfg = cfg
        self._handle = handle
        self.drop = drop
        self._queue: asyncio.Queue[bytes] = asyncio.Queue(cfg.queue_size)
        self._transport: asyncio.DatagramTransport | None = None
        self._workers: list[asyncio.Task[None]] = []
        self.port: int | None = None

    def offer(self, data: bytes) -> None:
        if len(data) > self._cfg.max_packet_size:
            self.drop("too_large", f"datagram of {len(data)} bytes")
            return
        try:
            self._queue.put_nowait(data)
        except asyncio.QueueFull:
            self.drop("queue_full", f"queue of {self._cfg.queue_size} datagrams is full")

    async def start(self) -> None:
        endpoint = Endpoint.parse(self._cfg.endpoint)
        loop = asyncio.get_running_loop()
        host = endpoint.bind_host or "0.0.0.0"
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            if self._cfg.socket_buffer_size:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF,
                                self._cfg.socket_buffer_size)
            sock.bind((host, endpoint.port))
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            raise ComponentStartError(f"{self._name}: cannot listen on UDP {endpoint}: "
                                      f"{exc.strerror or exc}") from None
        self.port = sock.getsockname()[1]
        transport, _ = await loop.create_datagram_endpoint(lambda: _Protocol(self), sock=sock)
        self._transport = transport
        self._workers = [asyncio.create_task(self._work(), name=f"{self._name} udp worker")
                         for _ in range(self._cfg.workers)]

    async def _work(self) -> None:
        while True:
            data = await self._queue.get()
            try:
                await self._handle(data)
            finally:
                self._queue.task_done()

    async def shutdown(self, grace: float) -> None:
        """Stop reading; datagrams already queued get ``grace`` seconds; idempotent."""
        transport, self._transport = self._transport, None
        if transport is not None:
            transport.close()
        if self._workers:
            try:
                async with asyncio.timeout(grace):
                    await self._queue.join()
            except TimeoutError:
                self.drop("shutdown", f"{self._queue.qsize()} datagrams left at shutdown")
            for task in self._workers:
                task.cancel()
            await asyncio.gather(*self._workers, return_exceptions=True)
            self._workers = []

"""The fluentforward receiver: a TCP (or Unix socket) server reading msgpack events
(:mod:`.decode`) and a UDP socket on the same port echoing heartbeats.

Each event goes to the pipeline as one batch; its ``chunk`` option is acknowledged
(``{"ack": chunk}``) only after the pipeline accepted the batch, so a client that asked
for acks resends what was refused (the connection is closed on refusal). Input that is not
msgpack, or not a forward event, closes the connection and is counted in
``otelpy_receiver_malformed_requests``; events decoded before it are delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from typing import Any

import msgpack

from otelpy.component import ComponentBase, Host, Settings, Signal
from otelpy.config.server import Endpoint
from otelpy.consumer import Consumer
from otelpy.errors import ComponentStartError, PermanentError, RetryableError
from otelpy.pdata.build import RequestBuilder
from otelpy.receivers.fluentforward.config import FluentForwardReceiverConfig
from otelpy.receivers.fluentforward.decode import MalformedEvent, event_of, unpacker

READ_SIZE = 64 * 1024
SHUTDOWN_GRACE = 1.0
MALFORMED = "otelpy_receiver_malformed_requests"


class _Heartbeats(asyncio.DatagramProtocol):
    """Echoes every datagram back (the spec's heartbeat is one 0x00 byte)."""

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.transport.sendto(data[:1], addr)


class FluentForwardReceiver(ComponentBase):
    """``start`` binds TCP and the heartbeat UDP socket (ComponentStartError naming the
    endpoint); ``shutdown`` is idempotent."""

    def __init__(self, settings: Settings, cfg: FluentForwardReceiverConfig,
                 consumer: Consumer) -> None:
        self.settings = settings
        self.cfg = cfg
        self._consumer = consumer
        self._malformed = settings.telemetry.counter(
            MALFORMED, "Requests refused or partly dropped because their input was invalid",
            ["receiver", "transport", "reason"])
        self._events = settings.telemetry.counter(
            "otelpy_receiver_fluent_events_parsed", "Fluent forward events decoded",
            ["receiver"]).labels(str(settings.id))
        self._server: asyncio.Server | None = None
        self._udp: asyncio.DatagramTransport | None = None
        self._conns: set[asyncio.Task[None]] = set()
        self.port: int | None = None

    def _refuse(self, reason: str, detail: str) -> None:
        self._malformed.labels(str(self.settings.id), "tcp", reason).inc()
        if self.settings.logger.isEnabledFor(logging.DEBUG):
            self.settings.logger.debug("fluent forward connection closed (%s): %s", reason,
                                       detail)

    async def start(self, host: Host | None = None) -> None:
        try:
            if self.cfg.endpoint.startswith("unix://"):
                path = self.cfg.endpoint[len("unix://"):]
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
                self._server = await asyncio.start_unix_server(self._accept, path,
                                                               limit=READ_SIZE)
            else:
                await self._start_tcp()
        except OSError as exc:
            await self.shutdown()
            raise ComponentStartError(f"receiver {self.settings.id}: cannot listen on "
                                      f"{self.cfg.endpoint}: {exc.strerror or exc}") from None
        self.settings.logger.info("receiver %s: Fluent forward listening on %s",
                                  self.settings.id, self.port or self.cfg.endpoint)

    async def _start_tcp(self) -> None:
        endpoint = Endpoint.parse(self.cfg.endpoint)
        host = endpoint.bind_host or "0.0.0.0"
        self._server = await asyncio.start_server(self._accept, host, endpoint.port,
                                                  limit=READ_SIZE)
        self.port = self._server.sockets[0].getsockname()[1]
        loop = asyncio.get_running_loop()
        self._udp, _ = await loop.create_datagram_endpoint(_Heartbeats,
                                                           local_addr=(host, self.port))

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._conns.add(task)
        try:
            await self._serve(reader, writer)
        except ConnectionError as exc:
            self._refuse("connection_error", str(exc))
        finally:
            self._conns.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        events = unpacker()
        while chunk := await reader.read(READ_SIZE):
            try:
                events.feed(chunk)
                for obj in events:
                    if not await self._event(obj, writer):
                        return
            except (ValueError, msgpack.UnpackException) as exc:  # BufferFull is a ValueError
                self._refuse("malformed_msgpack", f"{type(exc).__name__}: {exc}")
                return

    async def _event(self, obj: Any, writer: asyncio.StreamWriter) -> bool:
        """Deliver one event and ack it; False when the connection must close."""
        try:
            event = event_of(obj)
        except MalformedEvent as exc:
            self._refuse("malformed_event", str(exc))
            return False
        self._events.inc()
        builder = RequestBuilder(Signal.LOGS)
        builder.scope({}).log_records.extend(event.records)
        try:
            if event.records:
                await self._consumer.consume_logs(builder.batch())
        except (RetryableError, PermanentError) as exc:
            self._refuse("refused_by_pipeline", str(exc))
            return False  # no ack: a client that asked for one sends it again
        if event.chunk is not None:
            writer.write(msgpack.packb({"ack": event.chunk}))
            await writer.drain()
        return True

    async def shutdown(self) -> None:
        udp, self._udp = self._udp, None
        if udp is not None:
            udp.close()
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        conns = list(self._conns)
        if conns:
            _, pending = await asyncio.wait(conns, timeout=SHUTDOWN_GRACE)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        await server.wait_closed()

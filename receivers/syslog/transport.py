"""The syslog receiver's listeners: TCP (optionally TLS) split into RFC 6587 frames, and UDP
datagrams split into lines, handed to ``emit(frames, net_attributes)``.

A TCP connection is read only as fast as ``emit`` returns, so a slow pipeline slows the
sender down. UDP datagrams wait in a bounded queue (``async::max_queue_length``) for
``async::processors`` tasks; a full queue drops the datagram, counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

from otelpy.config.server import Endpoint
from otelpy.errors import ComponentStartError
from otelpy.receivers.syslog.config import SyslogTCPSettings, SyslogUDPSettings
from otelpy.syslog import FrameTooLarge, OctetCountingSplitter, TrailerSplitter

Emit = Callable[[list[bytes], dict[str, str]], Awaitable[None]]
Drop = Callable[[str, str, str, int], None]  # (transport, reason, detail, messages)
READ_SIZE = 64 * 1024
MAX_NAMES = 1024


class PeerNames:
    """Reverse DNS names of IPs (the IP itself when there is none), cached and bounded."""

    def __init__(self) -> None:
        self._names: dict[str, str] = {}

    async def name(self, ip: str) -> str:
        cached = self._names.get(ip)
        if cached is not None:
            return cached
        try:
            async with asyncio.timeout(2.0):
                host, _ = await asyncio.get_running_loop().getnameinfo((ip, 0),
                                                                       socket.NI_NAMEREQD)
        except (OSError, TimeoutError):
            host = ip
        if len(self._names) >= MAX_NAMES:
            self._names.clear()
        self._names[ip] = host
        return host

    async def attributes(self, transport: str, peer: Any, local: Any) -> dict[str, str]:
        """The Collector's ``net.*`` attributes for one peer and local address."""
        return {"net.transport": transport,
                "net.peer.ip": peer[0], "net.peer.port": str(peer[1]),
                "net.peer.name": await self.name(peer[0]),
                "net.host.ip": local[0], "net.host.port": str(local[1]),
                "net.host.name": await self.name(local[0])}


def _bind_host(address: str) -> tuple[str, int]:
    endpoint = Endpoint.parse(address)
    return endpoint.bind_host or "0.0.0.0", endpoint.port


class TCPListener:
    """Accepts connections and splits each into frames."""

    def __init__(self, name: str, cfg: SyslogTCPSettings, splitter: Callable[[], Any],
                 emit: Emit, drop: Drop, names: PeerNames) -> None:
        self._name, self._cfg, self._splitter = name, cfg, splitter
        self._emit, self._drop, self._names = emit, drop, names
        self._server: asyncio.Server | None = None
        self._conns: set[asyncio.Task[None]] = set()
        self.port: int | None = None

    async def start(self, ssl_context: ssl.SSLContext | None) -> None:
        host, port = _bind_host(self._cfg.listen_address)
        try:
            self._server = await asyncio.start_server(self._accept, host, port, ssl=ssl_context,
                                                      limit=READ_SIZE)
        except OSError as exc:
            raise ComponentStartError(f"{self._name}: cannot listen on TCP "
                                      f"{self._cfg.listen_address}: {exc.strerror or exc}") \
                from None
        self.port = self._server.sockets[0].getsockname()[1]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._conns.add(task)
        try:
            await self._serve(reader, writer)
        except (ConnectionError, ssl.SSLError) as exc:
            self._drop("tcp", "connection_error", str(exc), 0)
        finally:
            self._conns.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError, ssl.SSLError):
                await writer.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        net: dict[str, str] = {}
        if self._cfg.add_attributes:
            net = await self._names.attributes("IP.TCP", writer.get_extra_info("peername"),
                                               writer.get_extra_info("sockname"))
        if self._cfg.one_log_per_packet:
            data = await reader.read(self._cfg.max_log_size)
            while len(data) < self._cfg.max_log_size and (more := await reader.read(READ_SIZE)):
                data += more
            if data:
                await self._emit([data[:self._cfg.max_log_size]], net)
            return
        splitter = self._splitter()
        while chunk := await reader.read(READ_SIZE):
            try:
                frames = splitter.feed(chunk)
            except FrameTooLarge as exc:
                self._drop("tcp", "frame_too_large", str(exc), 1)
                return
            if frames:
                await self._emit(frames, net)
        rest = splitter.flush()
        if rest:
            await self._emit([rest], net)

    async def shutdown(self, grace: float) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        conns = list(self._conns)
        if conns:
            _, pending = await asyncio.wait(conns, timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        await server.wait_closed()


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, listener: UDPListener) -> None:
        self._listener = listener

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self._listener.offer(data, addr)

    def error_received(self, exc: Exception) -> None:
        self._listener.drop("udp", "socket_error", str(exc), 0)


class UDPListener:
    """A UDP socket feeding ``emit`` through a bounded queue."""

    def __init__(self, name: str, cfg: SyslogUDPSettings, emit: Emit, drop: Drop,
                 names: PeerNames) -> None:
        self._name, self._cfg, self._emit, self.drop, self._names = name, cfg, emit, drop, names
        async_cfg = cfg.async_
        self._processors = async_cfg.processors if async_cfg else 1
        self._queue: asyncio.Queue[tuple[bytes, Any]] = asyncio.Queue(
            async_cfg.max_queue_length if async_cfg else 100)
        self._transport: asyncio.DatagramTransport | None = None
        self._workers: list[asyncio.Task[None]] = []
        self._local: Any = None
        self.port: int | None = None

    def offer(self, data: bytes, addr: Any) -> None:
        try:
            self._queue.put_nowait((data, addr))
        except asyncio.QueueFull:
            self.drop("udp", "queue_full", f"queue of {self._queue.maxsize} datagrams is full", 1)

    async def start(self) -> None:
        host, port = _bind_host(self._cfg.listen_address)
        sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET,
                             socket.SOCK_DGRAM)
        try:
            sock.bind((host, port))
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            raise ComponentStartError(f"{self._name}: cannot listen on UDP "
                                      f"{self._cfg.listen_address}: {exc.strerror or exc}") \
                from None
        self._local = sock.getsockname()
        self.port = self._local[1]
        loop = asyncio.get_running_loop()
        self._transport, _ = await loop.create_datagram_endpoint(lambda: _Datagrams(self),
                                                                 sock=sock)
        self._workers = [asyncio.create_task(self._work(), name=f"{self._name} udp")
                         for _ in range(self._processors)]

    async def _work(self) -> None:
        while True:
            data, addr = await self._queue.get()
            try:
                net: dict[str, str] = {}
                if self._cfg.add_attributes:
                    net = await self._names.attributes("IP.UDP", addr, self._local)
                if self._cfg.one_log_per_packet:
                    frames = [data] if data else []
                else:
                    frames = [f.removesuffix(b"\r") for f in data.split(b"\n") if f.strip(b"\r")]
                if frames:
                    await self._emit(frames, net)
            finally:
                self._queue.task_done()

    async def shutdown(self, grace: float) -> None:
        """Stop reading; queued datagrams get ``grace`` seconds; idempotent."""
        transport, self._transport = self._transport, None
        if transport is not None:
            transport.close()
        if not self._workers:
            return
        try:
            async with asyncio.timeout(grace):
                await self._queue.join()
        except TimeoutError:
            self.drop("udp", "shutdown", "datagrams left at shutdown", self._queue.qsize())
        for task in self._workers:
            task.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers = []


def splitter_factory(octet_counting: bool, trailer: str | None,
                     max_size: int) -> Callable[[], OctetCountingSplitter | TrailerSplitter]:
    """A new splitter per connection for the configured framing."""
    if octet_counting:
        return lambda: OctetCountingSplitter(max_size)
    byte = b"\x00" if trailer == "NUL" else b"\n"
    return lambda: TrailerSplitter(byte, max_size)

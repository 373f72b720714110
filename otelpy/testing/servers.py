"""Real OTLP servers that record what they receive: :class:`GrpcSink` and :class:`HttpSink`.

Both listen on 127.0.0.1 (port 0 = a free port), parse every request with
:meth:`otelpy.pdata.Batch.from_bytes` (a malformed one is refused as the protocol
says: INVALID_ARGUMENT / HTTP 400), count items per signal, and keep each accepted
request as a :class:`Received` unless created with ``keep=False`` (benchmarks).
Failure injection: :meth:`fail_next` answers the next ``n`` requests with an error
(gRPC status + RetryInfo / HTTP status + Retry-After, with a google.rpc.Status
body), :meth:`partial_next` with a partial success, and ``delay`` holds every
answer back. ``python -m otelpy.testing.servers --grpc PORT --http PORT`` runs them
as a process and prints item counts as JSON when stopped (and every
``--report-interval`` seconds).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import signal as signals
import sys
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import grpc
import zstandard
from aiohttp import web
from google.protobuf.message import Message

from otelpy.component import Signal
from otelpy.errors import PermanentError
from otelpy.pdata import Batch, otlpjson
from otelpy.pdata.rpcstatus import (
    STATUS_DETAILS_KEY,
    encode_partial_success,
    encode_status,
    export_response,
    http_status,
)

__all__ = ["GrpcSink", "HttpSink", "Received", "Fault", "GRPC_METHODS", "HTTP_PATHS"]

GRPC_METHODS = {
    Signal.TRACES: "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
    Signal.METRICS: "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
    Signal.LOGS: "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
}
HTTP_PATHS = {Signal.TRACES: "/v1/traces", Signal.METRICS: "/v1/metrics",
              Signal.LOGS: "/v1/logs"}


@dataclass(frozen=True)
class Received:
    """One accepted request: protobuf bytes (decompressed; JSON converted), its item count."""

    signal: Signal
    data: bytes
    items: int
    headers: dict[str, str]
    path: str
    body: bytes = b""  # the body as it arrived on the wire (HTTP only)

    def batch(self) -> Batch:
        return Batch.from_bytes(self.signal, self.data)


@dataclass(frozen=True)
class Fault:
    """An answer to inject: an error (status/code, retry hint) or a partial success."""

    code: int  # HTTP status, or a grpc.StatusCode value's integer
    message: str = ""
    retry_after: float | None = None
    rejected: int = 0  # > 0 or message with code 200/0: a partial success


@dataclass
class _Recorder:
    """State shared by both sinks: what was received and what to answer next."""

    keep: bool = True
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)
    items: dict[Signal, int] = field(default_factory=lambda: {s: 0 for s in Signal})
    requests: int = 0
    refused: int = 0
    _faults: deque[Fault] = field(default_factory=deque)
    _changed: asyncio.Event | None = None

    def total(self, signal: Signal | None = None) -> int:
        """Items accepted, of one signal or of all."""
        return sum(self.items.values()) if signal is None else self.items[signal]

    async def wait_for_items(self, n: int, signal: Signal | None = None,
                             timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until ``n`` items were accepted; TimeoutError saying what was seen otherwise."""
        if self._changed is None:
            self._changed = asyncio.Event()
        try:
            async with asyncio.timeout(timeout):
                while self.total(signal) < n:
                    await self._changed.wait()
                    self._changed.clear()
        except TimeoutError:
            raise TimeoutError(f"sink saw {self.total(signal)} items, expected {n}") from None

    def _next_fault(self) -> Fault | None:
        return self._faults.popleft() if self._faults else None

    def _accept(self, signal: Signal, data: bytes, headers: dict[str, str], path: str,
                body: bytes = b"") -> None:
        """Count (and keep) a request; raises PermanentError when it is malformed."""
        batch = Batch.from_bytes(signal, data)
        self.items[signal] += batch.item_count
        if self.keep:
            self.received.append(Received(signal, data, batch.item_count, headers, path, body))
        if self._changed is not None:
            self._changed.set()

    def stats(self) -> dict[str, int]:
        return {**{str(s): n for s, n in self.items.items()}, "requests": self.requests,
                "refused": self.refused}


class GrpcSink(_Recorder):
    """A grpc.aio server accepting the three OTLP Export methods as raw bytes."""

    def __init__(self, keep: bool = True, delay: float = 0.0) -> None:
        super().__init__(keep=keep, delay=delay)
        self._server: Any = None
        self.port = 0

    @property
    def endpoint(self) -> str:
        """``127.0.0.1:PORT`` (plaintext: use ``tls.insecure`` or an http:// prefix)."""
        return f"127.0.0.1:{self.port}"

    def fail_next(self, n: int = 1, code: grpc.StatusCode = grpc.StatusCode.UNAVAILABLE,
                  message: str = "injected failure", retry_after: float | None = None) -> None:
        """Answer the next ``n`` calls with ``code`` (+ RetryInfo when ``retry_after``)."""
        self._faults.extend([Fault(code.value[0], message, retry_after)] * n)

    def partial_next(self, n: int = 1, rejected: int = 1, message: str = "rejected") -> None:
        """Accept the next ``n`` calls but report ``rejected`` items as a partial success."""
        self._faults.extend([Fault(0, message, None, rejected)] * n)

    async def start(self, port: int = 0) -> str:
        """Listen on 127.0.0.1:``port``; returns the endpoint."""
        server = grpc.aio.server()
        server.add_generic_rpc_handlers((_GrpcHandler(self),))
        self.port = server.add_insecure_port(f"127.0.0.1:{port}")
        await server.start()
        self._server = server
        return self.endpoint

    async def stop(self, grace: float = 0.5) -> None:
        if self._server is not None:
            server, self._server = self._server, None
            await server.stop(grace)

    async def _handle(self, signal: Signal, request: bytes, context: Any) -> bytes:
        self.requests += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        fault = self._next_fault()
        if fault is not None and fault.code != 0:
            self.refused += 1
            code = _GRPC_CODES[fault.code]
            trailer: tuple[tuple[str, bytes], ...] = ()
            if fault.retry_after is not None:
                details = encode_status(fault.code, fault.message, fault.retry_after)
                trailer = ((STATUS_DETAILS_KEY, details),)
            await context.abort(code, fault.message, trailing_metadata=trailer)
        headers = {k: v for k, v in context.invocation_metadata() if isinstance(v, str)}
        try:
            self._accept(signal, request, headers, GRPC_METHODS[signal])
        except PermanentError as exc:
            self.refused += 1
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        if fault is not None:
            return encode_partial_success(signal, fault.rejected, fault.message)
        return b""


_GRPC_CODES = {c.value[0]: c for c in grpc.StatusCode}


class _GrpcHandler(grpc.GenericRpcHandler):
    def __init__(self, sink: GrpcSink) -> None:
        self._handlers: dict[str, Any] = {}
        for signal, method in GRPC_METHODS.items():
            async def unary(request: bytes, context: Any, _s: Signal = signal) -> bytes:
                return await sink._handle(_s, request, context)
            self._handlers[method] = grpc.unary_unary_rpc_method_handler(unary)

    def service(self, handler_call_details: Any) -> Any:
        return self._handlers.get(handler_call_details.method)


_DECOMPRESS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.decompress,
    "x-gzip": gzip.decompress,
    "deflate": zlib.decompress,
    "zstd": lambda b: zstandard.ZstdDecompressor().decompressobj().decompress(b),
    "identity": lambda b: b,
    "": lambda b: b,
}


class HttpSink(_Recorder):
    """An aiohttp server accepting OTLP/HTTP (protobuf or JSON; gzip, deflate, zstd)."""

    def __init__(self, keep: bool = True, delay: float = 0.0) -> None:
        super().__init__(keep=keep, delay=delay)
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def endpoint(self) -> str:
        """``http://127.0.0.1:PORT``, the base URL (signals under /v1/...)."""
        return f"http://127.0.0.1:{self.port}"

    def fail_next(self, n: int = 1, status: int = 503, message: str = "injected failure",
                  retry_after: float | None = None) -> None:
        """Answer the next ``n`` requests with ``status`` (+ Retry-After when given)."""
        self._faults.extend([Fault(status, message, retry_after)] * n)

    def partial_next(self, n: int = 1, rejected: int = 1, message: str = "rejected") -> None:
        """Accept the next ``n`` requests but report ``rejected`` items as a partial success."""
        self._faults.extend([Fault(200, message, None, rejected)] * n)

    async def start(self, port: int = 0) -> str:
        """Listen on 127.0.0.1:``port``; returns the base URL."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        for signal, path in HTTP_PATHS.items():
            app.router.add_post(path, self._handler(signal))
        app.router.add_get("/stats", self._stats)
        runner = web.AppRunner(app, access_log=None, auto_decompress=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", port)
        await site.start()
        self._runner = runner
        self.port = runner.addresses[0][1]
        return self.endpoint

    async def stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def _stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.stats())

    def _handler(self, signal: Signal) -> Any:
        async def handle(request: web.Request) -> web.Response:
            return await self._handle(signal, request)
        return handle

    async def _handle(self, signal: Signal, request: web.Request) -> web.Response:
        self.requests += 1
        body = await request.read()
        if self.delay:
            await asyncio.sleep(self.delay)
        is_json = request.content_type == "application/json"
        fault = self._next_fault()
        if fault is not None and fault.code != 200:
            self.refused += 1
            headers = {}
            if fault.retry_after is not None:
                headers["Retry-After"] = f"{fault.retry_after:g}"
            return _error(fault.code, fault.message, is_json, headers)
        try:
            data = self._decode(signal, request, body, is_json)
            self._accept(signal, data, dict(request.headers), request.path, body)
        except PermanentError as exc:
            self.refused += 1
            return _error(400, str(exc), is_json)
        return _ok(signal, fault, is_json)

    @staticmethod
    def _decode(signal: Signal, request: web.Request, body: bytes, is_json: bool) -> bytes:
        encoding = request.headers.get("Content-Encoding", "").lower()
        decompress = _DECOMPRESS.get(encoding)
        if decompress is None:
            raise PermanentError(f"unsupported Content-Encoding {encoding!r}")
        try:
            data = decompress(body)
        except (OSError, EOFError, zlib.error, zstandard.ZstdError) as exc:
            raise PermanentError(f"bad {encoding} body: {exc}") from None
        if is_json:
            return bytes(otlpjson.decode(signal, data).SerializeToString())
        return data


def _answer(message: Message, is_json: bool, status: int = 200,
            headers: dict[str, str] | None = None) -> web.Response:
    """``message`` as an OTLP/HTTP response body in the request's encoding."""
    if is_json:
        return web.Response(body=otlpjson.encode_bytes(message), status=status,
                            headers=headers, content_type="application/json")
    return web.Response(body=message.SerializeToString(), status=status, headers=headers,
                        content_type="application/x-protobuf")


def _error(status: int, message: str, is_json: bool,
           headers: dict[str, str] | None = None) -> web.Response:
    """An OTLP/HTTP error answer: a google.rpc.Status body in the request's encoding."""
    return _answer(http_status(status, message), is_json, status, headers)


def _ok(signal: Signal, fault: Fault | None, is_json: bool) -> web.Response:
    """A success answer: an empty Export*ServiceResponse, or a partial success."""
    if fault is None:
        return _answer(export_response(signal), is_json)
    return _answer(export_response(signal, fault.rejected, fault.message), is_json)


async def _serve(args: argparse.Namespace) -> None:
    sinks: list[_Recorder] = []
    if args.grpc is not None:
        grpc_sink = GrpcSink(keep=False)
        await grpc_sink.start(args.grpc)
        sinks.append(grpc_sink)
    if args.http is not None:
        http_sink = HttpSink(keep=False)
        await http_sink.start(args.http)
        sinks.append(http_sink)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signals.SIGTERM, signals.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(json.dumps({"ready": [getattr(s, "endpoint", "") for s in sinks]}), flush=True)

    def report() -> None:
        totals = {str(s): sum(x.items[s] for x in sinks) for s in Signal}
        totals["requests"] = sum(x.requests for x in sinks)
        print(json.dumps(totals), flush=True)

    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), args.report_interval or None)
        except TimeoutError:
            report()
    report()
    for s in sinks:
        await s.stop()  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="OTLP sinks that count what they receive")
    parser.add_argument("--grpc", type=int, default=None, help="gRPC port (0 = any)")
    parser.add_argument("--http", type=int, default=None, help="HTTP port (0 = any)")
    parser.add_argument("--report-interval", type=float, default=0.0)
    args = parser.parse_args(argv)
    if args.grpc is None and args.http is None:
        parser.error("give --grpc and/or --http")
    asyncio.run(_serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())

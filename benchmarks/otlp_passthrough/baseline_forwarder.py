"""The reference ceiling: a raw OTLP/gRPC -> OTLP/HTTP trace forwarder in plain Python.

    python baseline_forwarder.py --grpc-port 19317 --endpoint http://127.0.0.1:19500/v1/traces

What a Python collector cannot beat on this path: grpc.aio hands each request's raw bytes
to the handler (no deserializer), requests are concatenated (protobuf repeated fields
append) until ``--max-bytes`` or ``--timeout``, then POSTed with aiohttp, gzip-compressed
like otelpy's otlphttp exporter (ISA-L's gzip when the ``isal`` package is installed).
No validation, no counting, no metrics, no retries: a failed export is logged and
dropped. Not a component; a yardstick.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import zlib
from typing import Any

import aiohttp
import grpc
import uvloop

log = logging.getLogger("baseline_forwarder")

try:  # the same gzip as otelpy's otlphttp exporter: ISA-L when installed, else zlib
    from isal import isal_zlib as gzip_impl
except ImportError:
    gzip_impl = zlib  # type: ignore[no-redef]

GZIP_IMPL = "isal" if gzip_impl is not zlib else "zlib"


class Forwarder:
    """Concatenates raw requests and POSTs them, at most ``max_inflight`` at a time."""

    def __init__(self, endpoint: str, max_bytes: int, timeout: float, gzip_level: int,
                 max_inflight: int) -> None:
        self.endpoint, self.max_bytes, self.timeout = endpoint, max_bytes, timeout
        self.gzip_level = gzip_level
        self.parts: list[bytes] = []
        self.size = 0
        self.slots = asyncio.Semaphore(max_inflight)
        self.tasks: set[asyncio.Task[None]] = set()
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=max_inflight))

    async def add(self, data: bytes) -> None:
        self.parts.append(data)
        self.size += len(data)
        if self.size >= self.max_bytes:
            await self.flush()

    async def flush(self) -> None:
        # Backpressure: wait for a free export slot *before* taking the buffer, so a
        # handler cancelled while waiting (client gone) leaves its data for the next flush.
        await self.slots.acquire()
        if not self.parts:
            self.slots.release()
            return
        body = b"".join(self.parts)
        self.parts, self.size = [], 0
        task = asyncio.create_task(self._post(body))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _post(self, body: bytes) -> None:
        headers = {"Content-Type": "application/x-protobuf"}
        if self.gzip_level:
            body = gzip_impl.compress(body, self.gzip_level, 31)
            headers["Content-Encoding"] = "gzip"
        try:
            async with self.session.post(self.endpoint, data=body, headers=headers) as resp:
                await resp.read()
                if resp.status != 200:
                    log.error("export answered %s", resp.status)
        except aiohttp.ClientError as exc:
            log.error("export failed: %s", exc)
        finally:
            self.slots.release()

    async def tick(self) -> None:
        while True:
            await asyncio.sleep(self.timeout)
            await self.flush()


class RawExport(grpc.GenericRpcHandler):
    """Accepts any unary method; hands the raw request bytes to the forwarder."""

    def __init__(self, forwarder: Forwarder) -> None:
        self.forwarder = forwarder

    def service(self, handler_call_details: Any) -> Any:
        async def unary(request: bytes, context: Any) -> bytes:
            await self.forwarder.add(request)
            return b""  # an empty ExportTraceServiceResponse

        return grpc.unary_unary_rpc_method_handler(unary)


async def serve(args: argparse.Namespace) -> None:
    fwd = Forwarder(args.endpoint, args.max_bytes, args.timeout, args.gzip_level, 4)
    server = grpc.aio.server(options=[("grpc.max_receive_message_length", 64 << 20)])
    server.add_generic_rpc_handlers((RawExport(fwd),))
    server.add_insecure_port(f"127.0.0.1:{args.grpc_port}")
    await server.start()
    ticker = asyncio.create_task(fwd.tick())
    try:
        await server.wait_for_termination()
    finally:
        ticker.cancel()
        await server.stop(1)
        await fwd.flush()
        await asyncio.gather(ticker, *fwd.tasks, return_exceptions=True)
        await fwd.session.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grpc-port", type=int, required=True)
    parser.add_argument("--endpoint", required=True, help="full URL, e.g. http://h:p/v1/traces")
    parser.add_argument("--max-bytes", type=int, default=2_000_000,
                        help="flush at this many request bytes (~8192 spans of the benchmark)")
    parser.add_argument("--timeout", type=float, default=0.2, help="flush at least this often (s)")
    parser.add_argument("--gzip-level", type=int, default=6, help="0 = no compression")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    log.info("gzip: %s level %d", GZIP_IMPL, args.gzip_level)
    try:
        uvloop.run(serve(args))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()

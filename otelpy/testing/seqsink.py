"""A deliberately slow OTLP/HTTP trace sink that records sequence-numbered spans.

For overload and loss tests: every span's ``span_id`` carries its sequence number
(:func:`span_id_for`, big-endian, starting at 1). The sink answers each request after
``delay`` seconds (so the rate it sustains is known), and marks every sequence number it
received in a bitmap. A separate process, controlled over HTTP::

    python -m otelpy.testing.seqsink --port PORT --delay 0.5

* ``POST /v1/traces``: OTLP/HTTP protobuf (gzip, zstd or identity); 200 after ``delay``
* ``GET /stats``: ``{"spans", "requests", "duplicates", "unnumbered", "delay"}`` as JSON
* ``PUT /delay?seconds=S``: change the delay (0 = answer at once, to drain a backlog)
* ``GET /seen``: the bitmap (bit ``n`` set = sequence number ``n`` received), bytes

It prints ``{"ready": PORT}`` as a JSON line once listening.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import signal as signals
import sys

import zstandard
from aiohttp import web
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

__all__ = ["SeqSink", "span_id_for", "seq_of", "missing", "MAX_SEQ"]

MAX_SEQ = 1 << 32  # span IDs above are not sequence numbers (counted as "unnumbered")


def span_id_for(seq: int) -> bytes:
    """The span ID that carries sequence number ``seq`` (>= 1)."""
    return seq.to_bytes(8, "big")


def seq_of(span_id: bytes) -> int:
    return int.from_bytes(span_id, "big")


def missing(wanted: bytes | bytearray, seen: bytes | bytearray) -> list[int]:
    """Sequence numbers set in bitmap ``wanted`` but not in bitmap ``seen``."""
    out: list[int] = []
    for i, byte in enumerate(wanted):
        have = seen[i] if i < len(seen) else 0
        lost = byte & ~have
        if lost:
            out.extend(i * 8 + bit for bit in range(8) if lost >> bit & 1)
    return out


def _decompress(encoding: str, body: bytes) -> bytes:
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "zstd":
        return zstandard.ZstdDecompressor().decompressobj().decompress(body)
    return body


class SeqSink:
    """The sink's state and its aiohttp application."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.seen = bytearray()
        self.spans = self.requests = self.duplicates = self.unnumbered = 0

    def record(self, data: bytes) -> None:
        """Mark every span's sequence number; DecodeError if ``data`` is not a request."""
        request = ExportTraceServiceRequest.FromString(data)
        seen = self.seen
        for rs in request.resource_spans:
            for ss in rs.scope_spans:
                for span in ss.spans:
                    seq = seq_of(span.span_id)
                    self.spans += 1
                    if seq > MAX_SEQ:
                        self.unnumbered += 1
                        continue
                    index, bit = seq >> 3, 1 << (seq & 7)
                    if index >= len(seen):
                        seen.extend(bytes(index + 1 - len(seen) + 4096))
                    if seen[index] & bit:
                        self.duplicates += 1
                    seen[index] |= bit

    async def _traces(self, request: web.Request) -> web.Response:
        self.requests += 1
        body = await request.read()
        if self.delay:
            await asyncio.sleep(self.delay)
        try:
            self.record(_decompress(request.headers.get("Content-Encoding", ""), body))
        except (DecodeError, OSError, EOFError, zstandard.ZstdError) as exc:
            return web.Response(status=400, text=str(exc))
        return web.Response(body=b"", content_type="application/x-protobuf")

    async def _stats(self, request: web.Request) -> web.Response:
        return web.json_response({"spans": self.spans, "requests": self.requests,
                                  "duplicates": self.duplicates, "unnumbered": self.unnumbered,
                                  "delay": self.delay})

    async def _set_delay(self, request: web.Request) -> web.Response:
        self.delay = float(request.query["seconds"])
        return web.json_response({"delay": self.delay})

    async def _seen(self, request: web.Request) -> web.Response:
        return web.Response(body=bytes(self.seen), content_type="application/octet-stream")

    def app(self) -> web.Application:
        app = web.Application(client_max_size=256 * 1024 * 1024)
        app.router.add_post("/v1/traces", self._traces)
        app.router.add_get("/stats", self._stats)
        app.router.add_put("/delay", self._set_delay)
        app.router.add_get("/seen", self._seen)
        return app


async def _serve(port: int, delay: float) -> None:
    runner = web.AppRunner(SeqSink(delay).app(), access_log=None, auto_decompress=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    print(json.dumps({"ready": runner.addresses[0][1]}), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signals.SIGTERM, signals.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A slow OTLP/HTTP sink recording span seqs")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds per request")
    args = parser.parse_args(argv)
    asyncio.run(_serve(args.port, args.delay))
    return 0


if __name__ == "__main__":
    sys.exit(main())

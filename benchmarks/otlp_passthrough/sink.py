"""A fast OTLP/HTTP sink for benchmarks: counts spans and log records, answers 200, nothing else.

    python sink.py --port 19500

- ``POST /v1/traces`` (``application/x-protobuf``, optionally ``Content-Encoding: gzip``):
  counts the spans without decoding them (skeleton parse: spans stay opaque bytes) and
  answers 200 with an empty ``ExportTraceServiceResponse``. A body that is not a
  well-formed request answers 400 and is counted in ``bad_requests``.
- ``POST /v1/logs``: the same for an ``ExportLogsServiceRequest``, counting log records
  into ``log_records`` (filelog_vs_otelcol).
- ``GET /count``: JSON ``{"spans", "log_records", "requests", "wire_bytes", "raw_bytes",
  "bad_requests"}``;
  ``wire_bytes`` is what came over the socket, ``raw_bytes`` the decompressed protobuf.

Runs on uvloop in its own process so its CPU is not charged to the collector under test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import zlib
from collections.abc import Awaitable, Callable
from typing import Any

import uvloop
from aiohttp import web
from google.protobuf.message import DecodeError

from otelpy.pdata import skeleton

_GZIP_MAGIC = b"\x1f\x8b"
_MAX_BODY = 256 * 1024 * 1024
Handler = Callable[[web.Request], Awaitable[web.Response]]


class SpanCounter:
    """Totals of what the sink accepted."""

    def __init__(self) -> None:
        self.spans = 0
        self.log_records = 0
        self.requests = 0
        self.wire_bytes = 0
        self.raw_bytes = 0
        self.bad_requests = 0

    def as_dict(self) -> dict[str, int]:
        return dict(vars(self))


def count_spans(data: bytes) -> int:
    """Spans in a serialized ExportTraceServiceRequest. Raises DecodeError if malformed."""
    req: Any = skeleton.FramedTraces.FromString(data)
    return sum(len(scope.spans) for res in req.resource_spans for scope in res.scope_spans)


def count_log_records(data: bytes) -> int:
    """Log records in a serialized ExportLogsServiceRequest. Raises DecodeError if malformed."""
    req: Any = skeleton.FramedLogs.FromString(data)
    return sum(len(scope.log_records) for res in req.resource_logs for scope in res.scope_logs)


def _decompress(body: bytes, encoding: str) -> bytes:
    """The protobuf bytes of a body; aiohttp may already have inflated a gzip body."""
    if encoding == "gzip" and body[:2] == _GZIP_MAGIC:
        return zlib.decompress(body, wbits=31)
    return body


def make_app(counter: SpanCounter) -> web.Application:
    """The sink's aiohttp application, counting into ``counter``."""

    def handler(counts: Callable[[bytes], int], attr: str) -> Handler:
        async def handle(request: web.Request) -> web.Response:
            body = await request.read()
            encoding = request.headers.get("Content-Encoding", "").lower()
            wire = request.content_length if request.content_length is not None else len(body)
            try:
                data = _decompress(body, encoding)
                items = counts(data)
            except (DecodeError, zlib.error):
                counter.bad_requests += 1
                return web.Response(status=400, text="malformed OTLP export request")
            setattr(counter, attr, getattr(counter, attr) + items)
            counter.requests += 1
            counter.wire_bytes += wire
            counter.raw_bytes += len(data)
            return web.Response(body=b"", content_type="application/x-protobuf")

        return handle

    async def count(_: web.Request) -> web.Response:
        return web.Response(text=json.dumps(counter.as_dict()), content_type="application/json")

    app = web.Application(client_max_size=_MAX_BODY)
    app.router.add_post("/v1/traces", handler(count_spans, "spans"))
    app.router.add_post("/v1/logs", handler(count_log_records, "log_records"))
    app.router.add_get("/count", count)
    return app


async def serve(host: str, port: int) -> None:
    """Serve until cancelled (SIGTERM/SIGINT end the process)."""
    runner = web.AppRunner(make_app(SpanCounter()), access_log=None, handle_signals=True)
    await runner.setup()
    await web.TCPSite(runner, host, port, backlog=1024).start()
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    try:
        uvloop.run(serve(args.host, args.port))
    except (KeyboardInterrupt, web.GracefulExit):
        pass


if __name__ == "__main__":
    main()

"""The chaos sink: an OTLP/HTTP backend that records every seq it receives before answering.

    python sink.py --port 19500 --out seqs-3.bin

- ``POST /v1/traces`` and ``POST /v1/logs`` (``application/x-protobuf``, optionally
  ``Content-Encoding: gzip``): decodes the request with the opentelemetry-proto classes,
  appends the ``seq`` attribute of every item to ``--out`` (little-endian uint64 each,
  one ``write(2)`` per request on an ``O_APPEND`` descriptor) and only then answers 200
  with an empty Export*ServiceResponse. The write reaches the kernel before the answer,
  so the record survives a kill -9 of the sink; a request killed before the write was
  never answered, and the exporter sends it again. A body that does not decode answers
  400 (the exporter drops it: the harness then sees those items as lost).
- ``GET /stats``: JSON ``{"requests", "items", "foreign_items", "bad_requests"}``.

The harness gives every incarnation of the sink its own ``--out`` file, so a record cut
short by a kill (never seen in practice: regular-file writes are not interrupted) can
only be the last bytes of a file, which the reader ignores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import zlib
from array import array
from collections.abc import Awaitable, Callable
from pathlib import Path

import uvloop
from aiohttp import web
from google.protobuf.message import DecodeError

sys.path.insert(0, str(Path(__file__).resolve().parent))
import wire  # noqa: E402

_GZIP_MAGIC = b"\x1f\x8b"
_MAX_BODY = 256 * 1024 * 1024


class Recorder:
    """Appends seqs to the output file; counts what it saw."""

    def __init__(self, path: Path) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self.stats = {"requests": 0, "items": 0, "foreign_items": 0, "bad_requests": 0}

    def record(self, seqs: list[int], foreign: int) -> None:
        """One write(2) of all ``seqs``; raises OSError when the disk refuses it."""
        data = array("Q", seqs)
        if sys.byteorder != "little":
            data.byteswap()
        raw = data.tobytes()
        written = 0
        while written < len(raw):
            written += os.write(self.fd, raw[written:])
        self.stats["requests"] += 1
        self.stats["items"] += len(seqs)
        self.stats["foreign_items"] += foreign


def _inflate(body: bytes, encoding: str) -> bytes:
    """The protobuf bytes of a body; aiohttp may already have inflated a gzip body."""
    if encoding == "gzip" and body[:2] == _GZIP_MAGIC:
        return zlib.decompress(body, wbits=31)
    return body


def make_app(recorder: Recorder) -> web.Application:
    """The sink's aiohttp application, recording into ``recorder``."""

    def handler(signal: str) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def export(request: web.Request) -> web.Response:
            body = await request.read()
            encoding = request.headers.get("Content-Encoding", "").lower()
            try:
                seqs, foreign = wire.decode_seqs(signal, _inflate(body, encoding))
            except (DecodeError, zlib.error):
                recorder.stats["bad_requests"] += 1
                return web.Response(status=400, text=f"malformed {signal} request")
            recorder.record(seqs, foreign)  # before answering: the record must come first
            return web.Response(body=b"", content_type="application/x-protobuf")
        return export

    async def stats(_: web.Request) -> web.Response:
        return web.Response(text=json.dumps(recorder.stats), content_type="application/json")

    app = web.Application(client_max_size=_MAX_BODY)
    app.router.add_post("/v1/traces", handler(wire.TRACES))
    app.router.add_post("/v1/logs", handler(wire.LOGS))
    app.router.add_get("/stats", stats)
    return app


async def serve(host: str, port: int, out: Path) -> None:
    """Serve until the process is signalled."""
    runner = web.AppRunner(make_app(Recorder(out)), access_log=None, handle_signals=True)
    await runner.setup()
    await web.TCPSite(runner, host, port, backlog=1024, reuse_address=True).start()
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True, help="file the seqs are appended to")
    args = parser.parse_args()
    try:
        uvloop.run(serve(args.host, args.port, args.out))
    except (KeyboardInterrupt, web.GracefulExit):
        pass


if __name__ == "__main__":
    main()

"""Load for the tail_sampling benchmark: OTLP/gRPC requests of 512 spans whose traces
(5 to 20 spans each) continue across consecutive requests, every trace ID new.

h2load replays one fixed body, so every request would carry the same trace IDs; here one
template request is serialized once and its trace and span ID bytes are rewritten per
request (a slice assignment each), so a request costs this process about 0.1 ms, not a
serialization. Runs as its own process: its CPU is not charged to the collector.

    python loadgen.py --port P --requests N --concurrency C   -> JSON on stdout
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

import grpc

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from otelpy.testing.samples import traces_request  # noqa: E402

SPANS = 512
METHOD = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
_MIX = 0x9E3779B97F4A7C15  # spreads consecutive trace numbers over the ID space


def trace_sizes() -> list[int]:
    """A repeating cycle of trace sizes 5..20 (mean 12.5), in a scrambled order."""
    return [5 + (k * 7) % 16 for k in range(16)]


class Template:
    """The template request's bytes and where each span's trace and span IDs sit."""

    def __init__(self) -> None:
        request = traces_request(SPANS)
        spans = request.resource_spans[0].scope_spans[0].spans
        for j, span in enumerate(spans):  # markers to find the ID bytes after serializing
            span.trace_id = b"\xfe\xed" + j.to_bytes(4, "big") + b"T" * 10
            span.span_id = b"\xfe\xed" + j.to_bytes(4, "big") + b"SS"
            span.parent_span_id = b""
        self.data = bytearray(request.SerializeToString())
        self.trace_at = [self.data.find(b"\xfe\xed" + j.to_bytes(4, "big") + b"T" * 10)
                         for j in range(SPANS)]
        self.span_at = [self.data.find(b"\xfe\xed" + j.to_bytes(4, "big") + b"SS")
                        for j in range(SPANS)]
        assert min(self.trace_at) > 0 and min(self.span_at) > 0


class Stream:
    """Successive requests: span g of the whole run belongs to trace number t(g)."""

    def __init__(self) -> None:
        self.template = Template()
        self.sizes = trace_sizes()
        self.trace, self.left, self.span = 0, self.sizes[0], 0

    def next_request(self) -> bytes:
        data = bytearray(self.template.data)
        for j in range(SPANS):
            if self.left == 0:
                self.trace += 1
                self.left = self.sizes[self.trace % len(self.sizes)]
            self.left -= 1
            self.span += 1
            tid = ((self.trace + 1) * _MIX) % (1 << 128)
            at = self.template.trace_at[j]
            data[at:at + 16] = tid.to_bytes(16, "big")
            at = self.template.span_at[j]
            data[at:at + 8] = (self.span * _MIX % (1 << 64) or 1).to_bytes(8, "big")
        return bytes(data)


async def send(port: int, requests: int, concurrency: int) -> dict[str, float]:
    stream = Stream()
    bodies = asyncio.Queue[bytes](maxsize=concurrency * 2)
    ok = failed = 0

    async def produce() -> None:
        for _ in range(requests):
            await bodies.put(stream.next_request())
        for _ in range(concurrency):
            await bodies.put(b"")

    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        export = channel.unary_unary(METHOD, request_serializer=None,
                                     response_deserializer=None)

        async def worker() -> None:
            nonlocal ok, failed
            while body := await bodies.get():
                try:
                    await export(body, timeout=60)
                    ok += 1
                except grpc.aio.AioRpcError:
                    failed += 1

        t0 = time.monotonic()
        await asyncio.gather(produce(), *(worker() for _ in range(concurrency)))
        elapsed = time.monotonic() - t0
    return {"ok": ok, "failed": failed, "spans": ok * SPANS, "seconds": elapsed,
            "traces": stream.trace + 1}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--requests", type=int, required=True)
    p.add_argument("--concurrency", type=int, default=16)
    args = p.parse_args()
    print(json.dumps(asyncio.run(send(args.port, args.requests, args.concurrency))))


if __name__ == "__main__":
    main()

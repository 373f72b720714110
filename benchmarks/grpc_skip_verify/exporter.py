"""One measured run of the otlp exporter (its own process, uvloop): ``--requests``
ExportTraceServiceRequests of 512 spans, ``--concurrency`` sends in flight, to
127.0.0.1:``--port`` with the ``tls`` mapping given as JSON.

    python exporter.py --port P --tls '{"insecure_skip_verify": true}' [--requests N]

A warm-up of ``--warmup`` requests first (connection, handshake, first allocations); then
the window: wall time and this process's CPU time (all threads: grpc core's included) over
the measured requests. Prints one JSON line: requests, spans, wall_s, cpu_s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import time
from typing import Any

import uvloop

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.exporters.otlp import OTLPConfig, factory
from otelpy.pdata import Batch
from otelpy.telemetry import Telemetry
from otelpy.testing.samples import traces_request
from otelpy.testing.sink import FakeHost

SPANS = 512


async def send_all(exp: Any, batch: Batch, n: int, concurrency: int) -> None:
    left = n

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            await exp.consume(batch)

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def run(args: argparse.Namespace) -> dict[str, Any]:
    cfg = OTLPConfig.model_validate({
        "endpoint": f"localhost:{args.port}", "tls": json.loads(args.tls),
        "compression": args.compression, "sending_queue": {"enabled": False},
        "retry_on_failure": {"enabled": False}, "timeout": "30s"})
    settings = Settings(ComponentID("otlp", "bench"), Kind.EXPORTER,
                        logging.getLogger("bench"), Telemetry())
    exp = factory.create(settings, cfg, frozenset({Signal.TRACES}))
    await exp.start(FakeHost())
    batch = Batch.from_bytes(Signal.TRACES, traces_request(SPANS).SerializeToString())
    try:
        await send_all(exp, batch, args.warmup, args.concurrency)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        await send_all(exp, batch, args.requests, args.concurrency)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    finally:
        await exp.shutdown()
    return {"requests": args.requests, "spans": args.requests * SPANS, "wall_s": wall,
            "cpu_s": cpu, "request_bytes": len(batch.data)}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--tls", required=True, help="the tls mapping, as JSON")
    p.add_argument("--requests", type=int, default=2000)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--concurrency", type=int, default=10)
    p.add_argument("--compression", default="none", choices=("gzip", "none"))
    logging.basicConfig(level=logging.ERROR)
    print(json.dumps(uvloop.run(run(p.parse_args()))), flush=True)


if __name__ == "__main__":
    main()

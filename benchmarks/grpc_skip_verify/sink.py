"""A TLS OTLP/gRPC sink for the skip-verify benchmark: accepts the three Export methods as
raw bytes (no parsing), counts requests and bytes, answers an empty response.

    python sink.py --cert server.crt --key server.key [--plaintext]

Prints ``READY <port>`` once listening on 127.0.0.1, then runs until SIGTERM/SIGINT and
prints ``{"requests": N, "bytes": B}``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
from typing import Any

import grpc

METHODS = (
    "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
    "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
    "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
)


class Counter(grpc.GenericRpcHandler):
    def __init__(self) -> None:
        self.requests = 0
        self.bytes = 0

        async def export(request: bytes, context: Any) -> bytes:
            self.requests += 1
            self.bytes += len(request)
            return b""

        self._handler = grpc.unary_unary_rpc_method_handler(export)

    def service(self, handler_call_details: Any) -> Any:
        return self._handler if handler_call_details.method in METHODS else None


async def serve(args: argparse.Namespace, pair: tuple[bytes, bytes] | None) -> None:
    counter = Counter()
    server = grpc.aio.server(options=[("grpc.max_receive_message_length", 64 << 20)])
    server.add_generic_rpc_handlers((counter,))
    if pair is None:
        port = server.add_insecure_port("127.0.0.1:0")
    else:
        port = server.add_secure_port("127.0.0.1:0", grpc.ssl_server_credentials([pair]))
    await server.start()
    print(f"READY {port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.stop(0.5)
    print(json.dumps({"requests": counter.requests, "bytes": counter.bytes}), flush=True)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--cert", default="")
    p.add_argument("--key", default="")
    p.add_argument("--plaintext", action="store_true")
    args = p.parse_args()
    pair = None
    if not args.plaintext:
        with open(args.key, "rb") as k, open(args.cert, "rb") as c:
            pair = (k.read(), c.read())
    asyncio.run(serve(args, pair))


if __name__ == "__main__":
    main()

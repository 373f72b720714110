"""Raw clients for exact bytes on the wire: curl for OTLP/HTTP, grpcio without stubs for gRPC."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import grpc

EXPORT_METHODS = {
    "traces": "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
    "metrics": "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
    "logs": "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
}


@dataclass(frozen=True)
class HttpReply:
    status: int
    content_type: str
    body: bytes


def curl_post(url: str, body: bytes, headers: Mapping[str, str], timeout: float = 20.0,
              ) -> HttpReply:
    """POST ``body`` exactly as given (``--data-binary``) with exactly ``headers``."""
    with tempfile.TemporaryDirectory() as tmp:
        req, resp = Path(tmp) / "req.bin", Path(tmp) / "resp.bin"
        req.write_bytes(body)
        cmd = ["curl", "-sS", "--max-time", str(timeout), "-o", str(resp),
               "-w", "%{http_code} %{content_type}", "-X", "POST", "--data-binary", f"@{req}",
               "-H", "Expect:"]  # no 100-continue dance for large bodies
        for name, value in headers.items():
            cmd += ["-H", f"{name}: {value}"]
        res = subprocess.run([*cmd, url], capture_output=True, text=True, timeout=timeout + 5)
        assert res.returncode == 0, f"curl failed ({res.returncode}): {res.stderr}"
        code, _, ctype = res.stdout.partition(" ")
        return HttpReply(int(code), ctype.strip(), resp.read_bytes() if resp.exists() else b"")


def grpc_export(port: int, signal: str, raw: bytes, timeout: float = 20.0,
                ) -> tuple[grpc.StatusCode, bytes, str]:
    """One unary Export call with ``raw`` as the request bytes; (status code, response, details)."""
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        call = channel.unary_unary(EXPORT_METHODS[signal], request_serializer=None,
                                   response_deserializer=None)
        try:
            response = call(raw, timeout=timeout)
        except grpc.RpcError as exc:
            return exc.code(), b"", exc.details() or ""
        return grpc.StatusCode.OK, response, ""

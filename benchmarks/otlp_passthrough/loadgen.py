"""The load: one OTLP/gRPC Export frame, replayed by h2load over h2c."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from otelpy.testing.samples import traces_request

EXPORT_PATH = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"


def write_frame(path: Path, spans: int) -> int:
    """Write one length-prefixed gRPC message holding ``spans`` spans; return its message size."""
    msg = traces_request(spans).SerializeToString()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x00" + len(msg).to_bytes(4, "big") + msg)
    return len(msg)


@dataclass
class H2loadResult:
    """What h2load reported (it sees HTTP :status only, never grpc-status)."""

    total: int
    started: int
    succeeded: int
    failed: int
    errored: int
    timeout: int
    seconds: float
    req_per_s: float
    output: str


_REQUESTS = re.compile(
    r"requests: (\d+) total, (\d+) started, \d+ done, (\d+) succeeded, (\d+) failed, "
    r"(\d+) errored, (\d+) timeout")
_FINISHED = re.compile(r"finished in ([\d.]+)(us|ms|s), ([\d.]+) req/s")
_UNIT = {"us": 1e-6, "ms": 1e-3, "s": 1.0}


def parse(output: str) -> H2loadResult:
    """Parse h2load's summary. Raises ValueError when it has none."""
    req, fin = _REQUESTS.search(output), _FINISHED.search(output)
    if not req or not fin:
        raise ValueError(f"unexpected h2load output:\n{output[-2000:]}")
    seconds = float(fin.group(1)) * _UNIT[fin.group(2)]
    total, started, ok, failed, errored, timeout = (int(g) for g in req.groups())
    return H2loadResult(total, started, ok, failed, errored, timeout, seconds,
                        float(fin.group(3)), output)


def run_h2load(binary: str, port: int, frame: Path, requests: int | None, duration: float | None,
               connections: int, streams: int, timeout: float) -> H2loadResult:
    """Run h2load against the collector's gRPC port, ``requests`` requests or ``duration`` s.

    Raises subprocess.TimeoutExpired after ``timeout`` s, ValueError on unreadable output.
    """
    cmd = [binary, "-c", str(connections), "-m", str(streams), "-t", "1", "-d", str(frame),
           "-H", "content-type: application/grpc", "-H", "te: trailers"]
    if duration is not None:
        cmd += ["-D", f"{duration:g}"]
    else:
        cmd += ["-n", str(requests)]
    cmd.append(f"http://127.0.0.1:{port}{EXPORT_PATH}")
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    return parse(res.stdout + res.stderr)

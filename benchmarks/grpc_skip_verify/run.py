"""The cost of ``tls.insecure_skip_verify`` on the otlp (gRPC) exporter: grpc's own TLS
(verifying, ``ca_file``) against the TLS bridge (otelpy.grpcbridge) it goes through when
verification is skipped, with plaintext h2c as a reference.

    python benchmarks/grpc_skip_verify/run.py [--requests 2000] [--repeat 3]
        [--concurrency 10] [--compression none|gzip] [--json out.json]

Each run is a fresh exporter process (``exporter.py``, uvloop) sending ``--requests``
ExportTraceServiceRequests of 512 spans (``otelpy.testing.samples.traces_request(512)``,
~125 KB) with ``--concurrency`` sends in flight, after a 100-request warm-up, to a grpc.aio
sink in another process (``sink.py``: TLS with a certificate from a throwaway CA, counts
requests, no parsing; its CPU is not charged). Reported per mode (median of ``--repeat``
runs, modes interleaved): spans/s (wall), the exporter process's CPU seconds (all
threads, grpc core's included) and spans per CPU-second, and the ratio to ``verify``.
Exit status 1 if the sinks did not receive every request.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
_VENV_PY = ROOT / ".venv" / "bin" / "python"

if _VENV_PY.exists() and Path(sys.prefix).resolve() != _VENV_PY.parents[1].resolve():
    os.execv(str(_VENV_PY), [str(_VENV_PY), *sys.argv])  # the project's venv, always

from otelpy.testing.certs import CertificateAuthority  # noqa: E402

WORK = ROOT / "benchmarks" / ".work" / "grpc_skip_verify"
MODES = ("plaintext", "verify", "skip-verify")
ENV = {**os.environ, "GRPC_VERBOSITY": "ERROR"}


class Sink:
    """sink.py in its own process (started in its own process group, always stopped)."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "sink.py"), *args], stdout=subprocess.PIPE,
            text=True, env=ENV, start_new_session=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().split()
        if line[:1] != ["READY"]:
            self.proc.kill()
            raise RuntimeError(f"sink did not start: {line}")
        self.port = int(line[1])

    def stop(self) -> dict[str, int]:
        self.proc.terminate()
        try:
            out, _ = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
        return json.loads(out.strip().splitlines()[-1]) if out.strip() else {}


def run_exporter(port: int, tls: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    cmd = [sys.executable, str(HERE / "exporter.py"), "--port", str(port),
           "--tls", json.dumps(tls), "--requests", str(args.requests),
           "--concurrency", str(args.concurrency), "--compression", args.compression]
    done = subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=600,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError(f"exporter failed ({done.returncode}): {done.stderr[-2000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def table(results: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    rows = []
    for mode in MODES:
        runs = results[mode]
        spans = runs[0]["spans"]
        wall = statistics.median(r["wall_s"] for r in runs)
        cpu = statistics.median(r["cpu_s"] for r in runs)
        rows.append({"mode": mode, "spans": spans, "spans_per_s": spans / wall,
                     "cpu_s": cpu, "spans_per_cpu_s": spans / cpu,
                     "runs": len(runs)})
    base = next(r for r in rows if r["mode"] == "verify")
    for row in rows:
        row["vs_verify_wall"] = row["spans_per_s"] / base["spans_per_s"]
        row["vs_verify_cpu"] = row["spans_per_cpu_s"] / base["spans_per_cpu_s"]
    return rows


def print_table(rows: list[dict[str, Any]], args: argparse.Namespace) -> None:
    print(f"\n{args.requests} requests x 512 spans, {args.concurrency} in flight, "
          f"compression {args.compression}, median of {args.repeat}\n")
    print("| mode | spans/s (wall) | exporter CPU s | spans/CPU-s | vs verify (wall) "
          "| vs verify (CPU) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(f"| {r['mode']} | {r['spans_per_s']:,.0f} | {r['cpu_s']:.2f} | "
              f"{r['spans_per_cpu_s']:,.0f} | {r['vs_verify_wall']:.2f} | "
              f"{r['vs_verify_cpu']:.2f} |")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--requests", "-n", type=int, default=2000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--concurrency", type=int, default=10)
    p.add_argument("--compression", default="none", choices=("none", "gzip"))
    p.add_argument("--json", default="")
    args = p.parse_args()

    WORK.mkdir(parents=True, exist_ok=True)
    ca = CertificateAuthority("benchmark CA")
    (WORK / "ca.crt").write_bytes(ca.cert_pem)
    cert, key = ca.issue("localhost", server=True).write(WORK, "server")
    tls_sink = Sink("--cert", str(cert), "--key", str(key))
    plain_sink = Sink("--plaintext")
    modes: dict[str, tuple[Sink, dict[str, Any]]] = {
        "plaintext": (plain_sink, {"insecure": True}),
        "verify": (tls_sink, {"ca_file": str(WORK / "ca.crt")}),
        "skip-verify": (tls_sink, {"insecure_skip_verify": True}),
    }
    results: dict[str, list[dict[str, Any]]] = {m: [] for m in MODES}
    try:
        for i in range(args.repeat):
            for mode in MODES:
                sink, tls = modes[mode]
                r = run_exporter(sink.port, tls, args)
                results[mode].append(r)
                print(f"run {i + 1} {mode:12s} {r['spans'] / r['wall_s']:>10,.0f} spans/s "
                      f"cpu {r['cpu_s']:.2f}s", flush=True)
    finally:
        counts = {"tls": tls_sink.stop(), "plaintext": plain_sink.stop()}
    rows = table(results)
    print_table(rows, args)
    expected = {"tls": 2, "plaintext": 1}
    lost = False
    for name, got in counts.items():
        want = expected[name] * args.repeat * (args.requests + 100)
        if got.get("requests") != want:
            print(f"{name} sink received {got.get('requests')} requests, expected {want}")
            lost = True
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "args": vars(args)}, indent=2))
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())

"""The collectors under test: how each is started, when it is ready, what it counts itself.

Each one receives OTLP/gRPC on 127.0.0.1, batches (8192 spans or 200 ms) and exports
OTLP/HTTP protobuf to the sink, compressed alike (gzip by default, rotel's default).
"""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from prereqs import REPO, WORK, check_otelpy
from procs import Managed, free_port, http_get, port_open, wait_until

HERE = Path(__file__).resolve().parent
READY_TIMEOUT = 60.0


@dataclass
class Launched:
    """A started collector: its process, its gRPC port, and its own counters if it has any."""

    proc: Managed
    grpc_port: int
    counters: Callable[[], dict[str, float]] = field(default=lambda: {})
    metrics_url: str = ""  # its own Prometheus metrics, when it serves them


class Collector:
    """Base: ``key`` selects it on the command line, ``label`` names its table row."""

    key = ""
    label = ""

    def unavailable(self) -> str | None:
        """None when it can run here, else why not (reported as 'pending')."""
        return None

    def version(self) -> str:
        return ""

    def launch(self, sink_port: int, compression: str) -> Launched:
        """Start it and wait until its gRPC port accepts connections.

        Raises RuntimeError or TimeoutError (the process is stopped first).
        """
        raise NotImplementedError


def _started(proc: Managed, port: int, extra_ready: Callable[[], bool] | None = None) -> None:
    try:
        wait_until(lambda: port_open(port), READY_TIMEOUT, f"{proc.name} gRPC port {port}", proc)
        if extra_ready is not None:
            wait_until(extra_ready, READY_TIMEOUT, f"{proc.name} telemetry endpoint", proc)
    except (RuntimeError, TimeoutError):
        proc.stop()
        raise


class Rotel(Collector):
    key, label = "rotel", "rotel (Rust)"

    def __init__(self, binary: Path, version: str) -> None:
        self.binary, self._version = binary, version

    def version(self) -> str:
        return self._version

    def launch(self, sink_port: int, compression: str) -> Launched:
        grpc_port, http_port = free_port(), free_port()
        cmd = [
            str(self.binary), "start",
            "--otlp-grpc-endpoint", f"127.0.0.1:{grpc_port}",
            "--otlp-http-endpoint", f"127.0.0.1:{http_port}",
            "--exporter", "otlp",
            "--otlp-exporter-protocol", "http",
            "--otlp-exporter-endpoint", f"http://127.0.0.1:{sink_port}",
            "--otlp-exporter-compression", compression,
            "--otlp-exporter-traces-compression", compression,
            "--batch-max-size", "8192", "--batch-timeout", "200ms",
            "--pid-file", str(WORK / "rotel-agent.pid"),
            "--log-file", str(WORK / "logs" / "rotel-agent.file.log"),
        ]
        proc = Managed("rotel", cmd, WORK / "logs" / "rotel.log")
        _started(proc, grpc_port)
        return Launched(proc, grpc_port)


class Forwarder(Collector):
    key, label = "forwarder", "python raw forwarder (reference)"

    def __init__(self, gzip_level: int) -> None:
        self.gzip_level = gzip_level

    def version(self) -> str:
        try:
            import isal  # noqa: F401  # what baseline_forwarder.py will pick
            impl = "isal"
        except ImportError:
            impl = "zlib"
        return f"(gzip {impl} level {self.gzip_level})"

    def launch(self, sink_port: int, compression: str) -> Launched:
        grpc_port = free_port()
        cmd = [sys.executable, str(HERE / "baseline_forwarder.py"), "--grpc-port", str(grpc_port),
               "--endpoint", f"http://127.0.0.1:{sink_port}/v1/traces",
               "--gzip-level", str(self.gzip_level) if compression == "gzip" else "0"]
        proc = Managed("forwarder", cmd, WORK / "logs" / "forwarder.log")
        _started(proc, grpc_port)
        return Launched(proc, grpc_port)


_PLACEHOLDER = re.compile(r"\$\{env:(BENCH_[A-Z_]+)\}")
OTELPY_COUNTERS = (
    "otelcol_receiver_accepted_spans_total",
    "otelcol_receiver_refused_spans_total",
    "otelcol_exporter_sent_spans_total",
    "otelcol_exporter_send_failed_spans_total",
)


def prometheus_totals(text: str, names: tuple[str, ...]) -> dict[str, float]:
    """Each metric of ``names`` summed over its label sets (absent metrics are left out)."""
    totals: dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name = re.split(r"[{ ]", line, maxsplit=1)[0]
        if name in names:
            totals[name] = totals.get(name, 0.0) + float(line.rsplit(" ", 1)[1])
    return totals


class Otelpy(Collector):
    """otelpy with ``config``; a variant row (e.g. the persistent queue) has its own
    ``key`` and ``label``, ``extra`` placeholder values, and a ``storage`` directory that
    is emptied before each launch and passed as ``BENCH_STORAGE_DIR``."""

    key, label = "otelpy", "otelpy"

    def __init__(self, binary: Path, version: str, config: Path = HERE / "otelpy.yaml",
                 key: str = "otelpy", label: str = "otelpy",
                 extra: dict[str, str] | None = None, storage: Path | None = None) -> None:
        self.binary, self._version, self.config = binary, version, config
        self.key, self.label = key, label
        self.extra = dict(extra or {})
        self.storage = storage

    def version(self) -> str:
        return self._version

    def unavailable(self) -> str | None:
        return check_otelpy(self.binary)

    def render(self, values: dict[str, str]) -> Path:
        """The config with its ${env:BENCH_*} placeholders filled, under .work/."""
        text = _PLACEHOLDER.sub(lambda m: values[m.group(1)], self.config.read_text())
        out = WORK / f"{self.key}.yaml"
        out.write_text(text)
        return out

    def launch(self, sink_port: int, compression: str) -> Launched:
        grpc_port, tel_port = free_port(), free_port()
        values = {
            "BENCH_GRPC_PORT": str(grpc_port), "BENCH_SINK_PORT": str(sink_port),
            "BENCH_TELEMETRY_PORT": str(tel_port), "BENCH_COMPRESSION": compression,
            **self.extra,
        }
        if self.storage is not None:  # every run starts with an empty queue on disk
            shutil.rmtree(self.storage, ignore_errors=True)
            values["BENCH_STORAGE_DIR"] = str(self.storage)
        config = self.render(values)
        metrics_url = f"http://127.0.0.1:{tel_port}/metrics"
        proc = Managed(self.key, [str(self.binary), "--config", str(config)],
                       WORK / "logs" / f"{self.key}.log", cwd=REPO)
        _started(proc, grpc_port, lambda: http_get(metrics_url) is not None)

        def counters() -> dict[str, float]:
            body = http_get(metrics_url, timeout=5.0)
            return prometheus_totals(body.decode(), OTELPY_COUNTERS) if body else {}

        return Launched(proc, grpc_port, counters, metrics_url)

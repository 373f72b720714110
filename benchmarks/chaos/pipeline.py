"""The otelpy config the chaos harness runs: otlp (gRPC) -> [batch] -> otlphttp -> the sink.

``persistent``: the exporter's sending queue lives in a ``file_storage`` extension (kept
across kill -9 and restarts: same directory every time), and the batch processor waits
for the export (``wait_for_export: true``), so a gRPC OK means "durably enqueued".
``memory``: the same pipeline with the in-memory queue and the Collector's batch
semantics (acknowledged when buffered): a kill -9 loses what was buffered or queued,
which the harness must detect.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

QUEUES = ("persistent", "memory")
FSYNC = ("batch", "interval", "never")


@dataclass
class PipelineOptions:
    """What varies between runs."""

    queue: str = "persistent"
    fsync: str = "batch"
    batch: bool = True
    send_batch_size: int = 400
    batch_timeout: str = "50ms"
    num_consumers: int = 4
    queue_size: int = 100_000


def otelpy_config(opts: PipelineOptions, grpc_port: int, sink_port: int, telemetry_port: int,
                  storage_dir: Path) -> dict[str, Any]:
    """The config document (a dict ready for YAML)."""
    queue: dict[str, Any] = {"enabled": True, "num_consumers": opts.num_consumers,
                             "queue_size": opts.queue_size}
    extensions: dict[str, Any] = {}
    if opts.queue == "persistent":
        queue["storage"] = "file_storage/chaos"
        extensions["file_storage/chaos"] = {
            "directory": str(storage_dir), "create_directory": True, "fsync_policy": opts.fsync}
    processors: dict[str, Any] = {}
    chain: list[str] = []
    if opts.batch:
        batch: dict[str, Any] = {"send_batch_size": opts.send_batch_size,
                                 "timeout": opts.batch_timeout}
        if opts.queue == "persistent":
            batch["wait_for_export"] = True
        processors["batch"] = batch
        chain = ["batch"]
    pipeline = {"receivers": ["otlp"], "processors": chain, "exporters": ["otlphttp"]}
    service: dict[str, Any] = {
        "telemetry": {"metrics": {"address": f"127.0.0.1:{telemetry_port}"}},
        "pipelines": {"traces": pipeline, "logs": dict(pipeline)},
    }
    if extensions:
        service["extensions"] = list(extensions)
    doc: dict[str, Any] = {
        "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": f"127.0.0.1:{grpc_port}"}}}},
        "exporters": {"otlphttp": {
            "endpoint": f"http://127.0.0.1:{sink_port}",
            "compression": "gzip",
            "timeout": "2s",
            "sending_queue": queue,
            # the sink is down for seconds at a time: retry quickly, and never give up
            "retry_on_failure": {"enabled": True, "initial_interval": "50ms",
                                 "max_interval": "500ms", "max_elapsed_time": 0},
        }},
        "service": service,
    }
    if processors:
        doc["processors"] = processors
    if extensions:
        doc["extensions"] = extensions
    return doc


def write_config(path: Path, doc: dict[str, Any]) -> Path:
    header = ("# Written by benchmarks/chaos/run.py (pipeline.py): otlp -> [batch] -> otlphttp"
              " -> chaos sink\n")
    path.write_text(header + yaml.safe_dump(doc, sort_keys=False))
    return path

"""Python SDK logs -> otelpy (logpattern, patterns kept in file_storage) -> file exporter.

The OpenTelemetry Python SDK sends log records over OTLP/gRPC to a real otelpy process; the
file exporter's output must carry ``log.pattern.id`` and ``log.pattern.template`` on every
record with a string body, equal IDs exactly for messages of one template, and after a
restart on the same storage directory the same IDs for the same templates.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.resources import Resource

from otelpy.testing.process import OtelpyProcess, free_ports

from . import configs
from .conftest import StartOtelpy
from .otlpfile import Item, attrs, items_in, read_requests, wait_for_items

pytestmark = pytest.mark.integration

FIRST = [
    "user 17 logged in from 10.0.0.1",
    "user 4242 logged in from 192.168.1.20",
    "disk /dev/sda1 is 91% full",
    "user 9 logged in from 10.0.0.7",
    "disk /dev/nvme0n1p2 is 97% full",
]
SECOND = ["user 31337 logged in from 172.16.0.3", "cache miss for key 0xdeadbeef"]


def send(endpoint: str, run: str, bodies: list[Any]) -> None:
    exporter = OTLPLogExporter(endpoint=endpoint, insecure=True)
    provider = LoggerProvider(resource=Resource.create({"test.run": run, "service.name": run}))
    provider.add_log_record_processor(BatchLogRecordProcessor(exporter,
                                                              schedule_delay_millis=100))
    logger = provider.get_logger("otelpy-it-logpattern")
    for body in bodies:
        logger.emit(body=body)
    assert provider.force_flush(30_000), "LoggerProvider.force_flush failed"
    provider.shutdown()


def start(start_otelpy: StartOtelpy, tmp_path: Path, name: str,
          out: Path) -> tuple[str, OtelpyProcess]:
    """otlp -> logpattern -> file (logs) and -> logpattern connector -> file (metrics, at
    ``out`` with the suffix ``.metrics.jsonl``)."""
    grpc_port, metrics_port = free_ports(2)
    storage = tmp_path / "storage"
    storage.mkdir(exist_ok=True)
    cfg: dict[str, Any] = {
        "receivers": {"otlp": configs.otlp_receiver(grpc_port, None)},
        "processors": {"logpattern": {"storage": "file_storage/patterns",
                                      "snapshot_interval": "1h"}},
        "connectors": {"logpattern": {"interval": "200ms"}},
        "exporters": {"file": configs.file_exporter(out),
                      "file/metrics": configs.file_exporter(out.with_suffix(".metrics.jsonl"))},
        "extensions": {"file_storage/patterns": {"directory": str(storage)}},
        "service": {
            "extensions": ["file_storage/patterns"],
            "telemetry": configs.telemetry(metrics_port),
            "pipelines": {
                "logs": {"receivers": ["otlp"], "processors": ["logpattern"],
                         "exporters": ["file", "logpattern"]},
                "metrics": {"receivers": ["logpattern"], "exporters": ["file/metrics"]},
            },
        },
    }
    return f"127.0.0.1:{grpc_port}", start_otelpy(cfg, name=name)


def tagged(items: list[Item]) -> dict[str, tuple[str, str]]:
    """body -> (pattern id, template) of every received record with a string body."""
    out = {}
    for item in items:
        record = item.item
        if record.body.WhichOneof("value") == "string_value":
            a = attrs(record.attributes)
            out[record.body.string_value] = (a["log.pattern.id"], a["log.pattern.template"])
    return out


def test_patterns_tagged_and_kept_across_restart(start_otelpy: StartOtelpy,
                                                 tmp_path: Path) -> None:
    out1, out2 = tmp_path / "out1.jsonl", tmp_path / "out2.jsonl"
    endpoint, proc = start(start_otelpy, tmp_path, "first", out1)
    run = uuid.uuid4().hex
    send(endpoint, run, [*FIRST, {"structured": "map body"}])
    got = tagged(wait_for_items(out1, "logs", {"test.run": run}, len(FIRST) + 1, timeout=30))
    assert set(got) == set(FIRST)
    login, disk = got[FIRST[0]], got[FIRST[2]]
    assert login[1] == "user <*> logged in from <*>"
    assert disk[1] == "disk <*> is <*> full"
    assert got[FIRST[1]] == got[FIRST[3]] == login and got[FIRST[4]] == disk
    assert login[0] != disk[0] and len(login[0]) == 16
    map_record = next(i.item for i in items_with_map(out1, run))
    assert "log.pattern.id" not in attrs(map_record.attributes)
    assert proc.metric("otelpy_processor_logpattern_new_patterns_total") == 2
    assert proc.metric("otelpy_processor_logpattern_records_skipped_total") == 1
    counts = wait_for_counts(out1.with_suffix(".metrics.jsonl"), run, {login[0]: 3, disk[0]: 2})
    assert counts[login[0]] == (3, login[1])
    proc.stop()  # SIGTERM: the patterns are saved at shutdown

    endpoint, proc = start(start_otelpy, tmp_path, "second", out2)
    run = uuid.uuid4().hex
    send(endpoint, run, SECOND)
    got2 = tagged(wait_for_items(out2, "logs", {"test.run": run}, len(SECOND), timeout=30))
    assert got2[SECOND[0]] == login  # same ID and template after the restart
    assert got2[SECOND[1]][1] == "cache miss for key <*>"
    assert proc.metric("otelpy_processor_logpattern_new_patterns_total") == 1
    proc.stop()


def items_with_map(path: Path, run: str) -> list[Item]:
    items = wait_for_items(path, "logs", {"test.run": run}, len(FIRST) + 1, timeout=30)
    return [i for i in items if i.item.body.WhichOneof("value") == "kvlist_value"]


def wait_for_counts(path: Path, run: str, want: dict[str, int]) -> dict[str, tuple[int, str]]:
    """Poll the connector's metrics until the latest points of ``run`` reach ``want``:
    pattern ID -> (count, template)."""
    deadline = time.monotonic() + 30
    latest: dict[str, tuple[int, str]] = {}
    while time.monotonic() < deadline:
        for item in items_in(read_requests(path), "metrics", {"service.name": run}) \
                if path.exists() else []:
            assert item.item.name == "log.pattern.records"
            for point in item.item.sum.data_points:
                a = attrs(point.attributes)
                latest[a["log.pattern.id"]] = (point.as_int, a["log.pattern.template"])
        if {k: v[0] for k, v in latest.items()} == want:
            return latest
        time.sleep(0.1)
    raise AssertionError(f"pattern counts {latest} never reached {want}")

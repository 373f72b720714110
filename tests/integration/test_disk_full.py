"""Disk full under a persistent sending queue, on a real small filesystem (tmpfs with a
size limit; the test needs root to mount it and fails, never skips, without).

A real otelpy (otlp/HTTP -> otlphttp with ``sending_queue.storage``, backend down) takes
numbered spans until the disk is full; then new requests are refused as retryable (503)
and counted in ``otelcol_exporter_enqueue_failed_spans_total``; once space returns,
requests are acknowledged again; when the backend comes up it gets exactly the
acknowledged spans: none lost, none of the refused ones, no duplicates.
"""

from __future__ import annotations

import os
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from otelpy.testing.process import free_ports, wait_until

from . import configs
from .conftest import StartOtelpy
from .test_persistent_queue import SinkThread

pytestmark = pytest.mark.integration

SIZE = 4 * 1024 * 1024  # the filesystem
FREE = 512 * 1024  # left free for the queue by the filler file
PER_REQUEST = 20
PAD = "x" * 1000  # ~1 KB per span: ~20 KB per request


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of SIZE bytes mounted for the test, unmounted after it whatever happens."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={SIZE},mode=0700", "tmpfs",
                          str(mnt)], capture_output=True, text=True, timeout=30, check=False)
    if res.returncode != 0:
        pytest.fail(f"cannot mount a tmpfs (this test needs root): {res.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "--lazy", str(mnt)], capture_output=True, timeout=30,
                       check=False)


def _request(first: int) -> bytes:
    req = ExportTraceServiceRequest()
    scope = req.resource_spans.add().scope_spans.add()
    for seq in range(first, first + PER_REQUEST):
        span = scope.spans.add()
        span.name = f"seq-{seq}"
        span.trace_id = seq.to_bytes(16, "big")
        span.span_id = (seq + 1).to_bytes(8, "big")
        kv = span.attributes.add()
        kv.key, kv.value.string_value = "pad", PAD
    return req.SerializeToString()


def _post(port: int, first: int) -> int:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/traces", data=_request(first),
                                 headers={"Content-Type": "application/x-protobuf"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as err:
        return int(err.code)


def _config(storage: Path, http: int, sink: int, metrics: int) -> dict[str, object]:
    return {
        "receivers": {"otlp": configs.otlp_receiver(None, http)},
        "exporters": {"otlphttp": {
            "endpoint": f"http://127.0.0.1:{sink}",
            "sending_queue": {"storage": "file_storage/queue"},
            "retry_on_failure": {"initial_interval": "50ms", "max_interval": "200ms",
                                 "max_elapsed_time": 0}}},
        "extensions": {"file_storage/queue": {"directory": str(storage),
                                              "create_directory": True}},
        "service": {"extensions": ["file_storage/queue"],
                    "telemetry": configs.telemetry(metrics),
                    "pipelines": {"traces": {"receivers": ["otlp"],
                                             "exporters": ["otlphttp"]}}},
    }


def _fill(disk: Path) -> Path:
    filler = disk / "filler"
    with open(filler, "wb") as fh:
        fh.write(b"\0" * (SIZE - FREE))
    return filler


def test_disk_full_refuses_new_data_keeps_what_was_acknowledged_and_recovers(
        start_otelpy: StartOtelpy, small_disk: Path) -> None:
    filler = _fill(small_disk)
    http, sink_port, metrics = free_ports(3)
    proc = start_otelpy(_config(small_disk / "queue", http, sink_port, metrics))
    acked: list[int] = []
    refused: list[int] = []
    seq = 0
    while not refused:  # until the disk is full
        assert seq < 10 * FREE // len(PAD), "the disk never filled up"
        status = _post(http, seq)
        assert status in (200, 503), status
        (acked if status == 200 else refused).extend(range(seq, seq + PER_REQUEST))
        seq += PER_REQUEST
    assert len(acked) >= FREE // 2 // (len(PAD) + 100)  # most of the free space was used
    for _ in range(3):  # still full: every new request refused, retryably
        assert _post(http, seq) == 503
        refused.extend(range(seq, seq + PER_REQUEST))
        seq += PER_REQUEST
    assert proc.metric("otelcol_exporter_enqueue_failed_spans_total") == len(refused)
    assert proc.alive
    filler.unlink()  # space returns
    again = seq
    for _ in range(5):
        assert _post(http, seq) == 200
        acked.extend(range(seq, seq + PER_REQUEST))
        seq += PER_REQUEST
    with SinkThread(sink_port) as sink:  # the backend comes up
        wait_until(lambda: set(acked) <= set(sink.seqs()), 60,
                   "every acknowledged span at the backend")
        wait_until(lambda: proc.metric("otelcol_exporter_sent_spans_total") == len(acked), 30,
                   "the sent counter")
        seqs = sink.seqs()
    assert set(seqs) == set(acked), sorted(set(seqs) ^ set(acked))[:20]
    assert max(seqs.values()) == 1  # no duplicates
    assert again > min(refused)
    proc.stop()
    assert "Traceback" not in proc.stderr()
    refusals = [line for line in proc.stderr().splitlines() if "queue refused" in line]
    assert len(refusals) == 1, refusals  # logged, at most once every 10 s
    assert f"persistent queue refused {PER_REQUEST} spans (retryable): " in refusals[0]
    assert "No space left on device" in refusals[0]
    assert os.listdir(small_disk / "queue")  # the queue lived on the small disk

"""kill -9 with a persistent sending queue: a real otelpy (otlp/HTTP receiver -> otlphttp
exporter with ``sending_queue.storage``) and a real OTLP/HTTP sink.

Spans carry sequence numbers (``seq-<n>``). Every span of a request that otelpy
acknowledged (HTTP 200) must reach the sink after otelpy is killed with SIGKILL and
started again; a span arrives twice only if it was in flight (counted in
``otelpy_exporter_queue_redelivered_spans_total``). A segment damaged between two runs
is reported by ``otelpy storage check``, skipped and counted, and startup still works.
"""

from __future__ import annotations

import asyncio
import collections
import random
import subprocess
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from otelpy.testing.process import OtelpyProcess, free_ports, otelpy_executable, wait_until
from otelpy.testing.servers import HttpSink

from . import configs
from .conftest import StartOtelpy

pytestmark = pytest.mark.integration

PER_REQUEST = 10
REDELIVERED = "otelpy_exporter_queue_redelivered_spans_total"
CORRUPT = "otelpy_storage_corrupt_records_total"


def request(first: int, n: int = PER_REQUEST) -> bytes:
    req = ExportTraceServiceRequest()
    scope = req.resource_spans.add().scope_spans.add()
    for seq in range(first, first + n):
        span = scope.spans.add()
        span.name = f"seq-{seq}"
        span.trace_id = seq.to_bytes(16, "big")
        span.span_id = (seq + 1).to_bytes(8, "big")
        span.start_time_unix_nano = 1_700_000_000_000_000_000 + seq
        span.end_time_unix_nano = span.start_time_unix_nano + 1000
    return req.SerializeToString()


def post(port: int, body: bytes) -> bool:
    """One OTLP/HTTP export; True when otelpy acknowledged it (200)."""
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/traces", data=body,
                                 headers={"Content-Type": "application/x-protobuf"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


class Sender(threading.Thread):
    """Posts numbered requests one after another until stopped or refused; records the
    sequence numbers of every acknowledged span."""

    def __init__(self, port: int, start: int = 0, limit: int = 10_000) -> None:
        super().__init__(daemon=True)
        self.port, self.next, self.limit = port, start, limit
        self.acked: list[int] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set() and self.next < self.limit:
            if not post(self.port, request(self.next)):
                return
            self.acked.extend(range(self.next, self.next + PER_REQUEST))
            self.next += PER_REQUEST


class SinkThread:
    """An HttpSink on a fixed port, served by its own event loop in a thread."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sink = HttpSink()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> SinkThread:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.sink.start(self.port), self.loop).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.sink.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()

    def seqs(self) -> collections.Counter[int]:
        counts: collections.Counter[int] = collections.Counter()
        for received in list(self.sink.received):
            for rs in received.batch().message.resource_spans:
                for ss in rs.scope_spans:
                    counts.update(int(s.name.removeprefix("seq-")) for s in ss.spans)
        return counts


def config(storage: Path, http: int, sink: int, metrics: int,
           batch: bool = False) -> dict[str, Any]:
    cfg: dict[str, Any] = {
        "receivers": {"otlp": configs.otlp_receiver(None, http)},
        "exporters": {"otlphttp": {
            "endpoint": f"http://127.0.0.1:{sink}",
            "sending_queue": {"storage": "file_storage/queue", "num_consumers": 2},
            "retry_on_failure": {"initial_interval": "50ms", "max_interval": "200ms",
                                 "randomization_factor": 0, "max_elapsed_time": 0}}},
        "extensions": {"file_storage/queue": {"directory": str(storage),
                                              "create_directory": True}},
        "service": {"extensions": ["file_storage/queue"],
                    "telemetry": configs.telemetry(metrics),
                    "pipelines": {"traces": {"receivers": ["otlp"],
                                             "exporters": ["otlphttp"]}}},
    }
    if batch:  # the durable chain through a batch processor
        cfg["processors"] = {"batch": {"wait_for_export": True, "send_batch_size": 50,
                                       "timeout": "20ms"}}
        cfg["service"]["pipelines"]["traces"]["processors"] = ["batch"]
    return cfg


def kill_while_sending(proc: OtelpyProcess, port: int, min_spans: int) -> list[int]:
    """Send until at least ``min_spans`` are acknowledged, kill -9 at a random moment after
    that (while requests are still being sent), return the acknowledged sequence numbers."""
    sender = Sender(port)
    sender.start()
    wait_until(lambda: len(sender.acked) >= min_spans, 30, f"{min_spans} acknowledged spans")
    threading.Event().wait(random.uniform(0.0, 0.3))
    proc.kill()
    sender.join(15)
    assert not sender.is_alive()
    return sender.acked


def wait_delivered(sink: SinkThread, expected: set[int]) -> collections.Counter[int]:
    def done() -> bool:
        return expected <= set(sink.seqs())

    try:
        wait_until(done, 30, "every acknowledged span at the sink")
    except AssertionError:
        missing = sorted(expected - set(sink.seqs()))
        raise AssertionError(f"{len(missing)} acknowledged spans lost: {missing[:20]}") from None
    return sink.seqs()


@pytest.mark.parametrize("batch", [False, True], ids=["direct", "batch-wait-for-export"])
def test_kill_9_with_the_backend_down_loses_nothing(start_otelpy: StartOtelpy, tmp_path: Path,
                                                     batch: bool) -> None:
    http, sink_port, metrics = free_ports(3)
    cfg = config(tmp_path / "storage", http, sink_port, metrics, batch=batch)
    first = start_otelpy(cfg, name="first")
    acked = kill_while_sending(first, http, 300)
    with SinkThread(sink_port) as sink:
        second = start_otelpy(cfg, name="second")
        seqs = wait_delivered(sink, set(acked))
        duplicates = sum(n - 1 for n in seqs.values())
        assert duplicates == 0  # nothing reached the sink before the crash
        assert second.metric("otelcol_exporter_sent_spans_total") >= len(acked)
        assert second.metric(CORRUPT) == 0
        second.stop()
        second.assert_no_errors()


def test_kill_9_mid_delivery_duplicates_only_in_flight(start_otelpy: StartOtelpy,
                                                       tmp_path: Path) -> None:
    http, sink_port, metrics = free_ports(3)
    cfg = config(tmp_path / "storage", http, sink_port, metrics)
    with SinkThread(sink_port) as sink:
        first = start_otelpy(cfg, name="first")
        acked = kill_while_sending(first, http, 1000)
        before = sum(sink.seqs().values())
        second = start_otelpy(cfg, name="second")
        seqs = wait_delivered(sink, set(acked))
        duplicates = sum(n - 1 for n in seqs.values())
        redelivered = second.metric(REDELIVERED)
        assert duplicates <= redelivered, (duplicates, redelivered)
        assert redelivered <= 2 * PER_REQUEST  # at most the two senders' batches in flight
        assert before > 0
        second.stop()


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(otelpy_executable()), "storage", *args], capture_output=True,
                          text=True, timeout=60, check=False)


def test_damaged_segment_is_reported_skipped_and_counted(start_otelpy: StartOtelpy,
                                                         tmp_path: Path) -> None:
    from otelpy.storage.records import scan_segment

    http, sink_port, metrics = free_ports(3)
    storage = tmp_path / "storage"
    cfg = config(storage, http, sink_port, metrics)
    first = start_otelpy(cfg, name="first")
    acked = [seq for i in range(0, 100, PER_REQUEST) if post(http, request(i))
             for seq in range(i, i + PER_REQUEST)]
    assert len(acked) == 100
    first.kill()
    queue = storage / "otlphttp" / "traces"
    segment = sorted(queue.glob("*.seg"))[0]
    victim = scan_segment(segment, int(segment.stem)).records[3]
    lost = {int(s.name.removeprefix("seq-")) for rs in ExportTraceServiceRequest.FromString(
        segment.read_bytes()[victim.offset:victim.offset + victim.length]).resource_spans
        for ss in rs.scope_spans for s in ss.spans}
    with open(segment, "r+b") as f:
        f.seek(victim.offset + victim.length // 2)
        byte = f.read(1)
        f.seek(victim.offset + victim.length // 2)
        f.write(bytes([byte[0] ^ 0xFF]))
    check = run_cli("check", str(storage))
    assert check.returncode == 1, check.stdout + check.stderr
    assert "bad checksum in record" in check.stdout
    assert "otlphttp/traces" in check.stdout
    with SinkThread(sink_port) as sink:
        second = start_otelpy(cfg, name="second")
        seqs = wait_delivered(sink, set(acked) - lost)
        assert set(seqs) == set(acked) - lost and len(lost) == PER_REQUEST
        assert second.metric(CORRUPT, {"queue": "otlphttp/traces"}) == 1
        assert any("damaged record(s) skipped" in ln for ln in second.error_lines())
        second.stop()
    after = run_cli("check", str(storage))
    assert after.returncode == 0, after.stdout + after.stderr
    repair = run_cli("repair", str(storage))
    assert repair.returncode == 0, repair.stdout + repair.stderr


def test_sigterm_keeps_what_is_queued_on_disk(start_otelpy: StartOtelpy,
                                              tmp_path: Path) -> None:
    http, sink_port, metrics = free_ports(3)
    cfg = config(tmp_path / "storage", http, sink_port, metrics)
    first = start_otelpy(cfg, name="first")
    acked = [seq for i in range(0, 200, PER_REQUEST) if post(http, request(i))
             for seq in range(i, i + PER_REQUEST)]
    assert len(acked) == 200
    first.stop()  # SIGTERM with the backend down: exit 0, nothing dropped
    assert "200 spans kept in the persistent queue" in first.stderr()
    assert "dropped" not in first.stderr()
    with SinkThread(sink_port) as sink:
        second = start_otelpy(cfg, name="second")
        seqs = wait_delivered(sink, set(acked))
        assert sum(seqs.values()) == len(acked)  # the backend never saw them: no duplicate
        second.stop()


def test_reload_hands_the_queue_to_the_new_exporter(start_otelpy: StartOtelpy,
                                                    tmp_path: Path) -> None:
    import signal as signals

    http, sink_port, metrics = free_ports(3)
    cfg = config(tmp_path / "storage", http, sink_port, metrics)
    proc = start_otelpy(cfg, name="reloaded")
    acked = [seq for i in range(0, 100, PER_REQUEST) if post(http, request(i))
             for seq in range(i, i + PER_REQUEST)]
    cfg["exporters"]["otlphttp"]["sending_queue"]["num_consumers"] = 3  # a new instance
    proc.write_config(cfg)
    proc.send_signal(signals.SIGHUP)
    wait_until(lambda: "config reloaded" in proc.stderr(), 20, "the reload")
    acked += [seq for i in range(100, 150, PER_REQUEST) if post(http, request(i))
              for seq in range(i, i + PER_REQUEST)]
    assert len(acked) == 150
    with SinkThread(sink_port) as sink:
        seqs = wait_delivered(sink, set(acked))
        assert sum(seqs.values()) == 150
    proc.stop()
    proc.assert_no_errors()

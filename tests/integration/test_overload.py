"""Overload: 10x the sustainable rate for a while, memory_limiter at 200 MiB.

otelpy (otlp gRPC -> memory_limiter -> batch -> otlphttp) exports to a separate sink
process that answers each request after ``SINK_DELAY`` seconds, with one exporter
worker and batches of ``BATCH`` spans: the pipeline sustains ``SUSTAINABLE`` spans/s.
Python grpc.aio clients offer 10x that, every span's ID carrying a sequence number.
The RSS of the otelpy process is sampled every 100 ms.

Asserted: RSS never exceeds 200 MiB + 20%; clients got retryable refusals (UNAVAILABLE),
counted in ``otelcol_receiver_refused_spans_total`` exactly as many as the clients saw;
no call timed out; every span acknowledged with OK reaches the sink once the sink speeds
up (none lost), and only those, each once (no duplicates); otelpy is alive at the end
and stops cleanly. ``OTELPY_OVERLOAD_SECONDS`` sets how long the load lasts (default 60).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Any

import grpc
import psutil
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from otelpy.testing.process import free_ports, wait_until
from otelpy.testing.seqsink import missing, span_id_for

from . import configs
from .conftest import StartOtelpy

pytestmark = pytest.mark.integration

SECONDS = float(os.environ.get("OTELPY_OVERLOAD_SECONDS", "60"))
MIB = 1024 * 1024
LIMIT_MIB = 200
RSS_CEILING = LIMIT_MIB * MIB * 1.2
SINK_DELAY = 0.5  # seconds per export request
BATCH = 500  # spans per export request; one exporter worker
SUSTAINABLE = BATCH / SINK_DELAY  # spans/s
OFFERED = 10 * SUSTAINABLE
SPANS_PER_CALL = 1000
SPAN_PAYLOAD = 1000  # bytes of attribute per span: about 1.1 KB per span on the wire
CLIENTS = 6
CALL_TIMEOUT = 60.0  # seconds: a call that timed out would make the refusal count unexact
EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
REFUSED = "otelcol_receiver_refused_spans_total"
ACCEPTED = "otelcol_receiver_accepted_spans_total"


def _config(grpc_port: int, sink_port: int, metrics_port: int) -> dict[str, Any]:
    return {
        "receivers": {"otlp": configs.otlp_receiver(grpc_port, None)},
        "processors": {
            "memory_limiter": {"check_interval": "100ms", "limit_mib": LIMIT_MIB},
            "batch": {"send_batch_size": BATCH, "send_batch_max_size": BATCH,
                      "timeout": "200ms"},
        },
        "exporters": {"otlphttp": {
            "endpoint": f"http://127.0.0.1:{sink_port}", "timeout": "10s",
            "sending_queue": {"num_consumers": 1},
            "retry_on_failure": {"initial_interval": "100ms", "max_interval": "1s",
                                 "max_elapsed_time": 0},
        }},
        "service": {
            "telemetry": configs.telemetry(metrics_port),
            "pipelines": configs.pipelines(["otlp"], ["otlphttp"],
                                           ["memory_limiter", "batch"], signals=("traces",)),
        },
    }


class Sink:
    """The seqsink process."""

    def __init__(self, delay: float) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "otelpy.testing.seqsink", "--delay", str(delay)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.port = int(json.loads(self.proc.stdout.readline())["ready"])

    def _get(self, path: str, method: str = "GET") -> bytes:
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method)
        with urllib.request.urlopen(req, timeout=10) as resp:
            return bytes(resp.read())

    def stats(self) -> dict[str, Any]:
        doc: dict[str, Any] = json.loads(self._get("/stats"))
        return doc

    def set_delay(self, seconds: float) -> None:
        self._get(f"/delay?seconds={seconds}", "PUT")

    def seen(self) -> bytes:
        return self._get("/seen")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


class RssSampler(threading.Thread):
    """RSS of one process every 100 ms."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.proc = psutil.Process(pid)
        self.samples: list[tuple[float, int]] = []
        self.stopped = threading.Event()

    def run(self) -> None:
        start = time.monotonic()
        while not self.stopped.wait(0.1):
            try:
                self.samples.append((time.monotonic() - start, self.proc.memory_info().rss))
            except psutil.NoSuchProcess:
                return

    @property
    def peak(self) -> int:
        return max(rss for _, rss in self.samples)


@dataclass
class Load:
    """What the clients saw."""

    acked: bytearray = field(default_factory=bytearray)
    calls_ok: int = 0
    spans_ok: int = 0
    spans_refused: int = 0  # UNAVAILABLE answers (retried later, like an SDK)
    spans_timed_out: int = 0  # DEADLINE_EXCEEDED: not acknowledged, not retried
    other: dict[str, int] = field(default_factory=dict)
    offered: int = 0

    def ack(self, first: int, count: int) -> None:
        last = first + count - 1
        if last >> 3 >= len(self.acked):
            self.acked.extend(bytes((last >> 3) + 1 - len(self.acked) + 4096))
        for seq in range(first, first + count):
            self.acked[seq >> 3] |= 1 << (seq & 7)


def _template() -> ExportTraceServiceRequest:
    spans = []
    for i in range(SPANS_PER_CALL):
        payload = (f"{i:06d}" * (SPAN_PAYLOAD // 6 + 1))[:SPAN_PAYLOAD]
        spans.append(Span(trace_id=b"\x5a" * 16, name=f"op-{i % 7}", kind=2,
                          start_time_unix_nano=1, end_time_unix_nano=2,
                          attributes=[KeyValue(key="payload",
                                               value=AnyValue(string_value=payload))]))
    return ExportTraceServiceRequest(resource_spans=[ResourceSpans(
        scope_spans=[ScopeSpans(spans=spans)])])


async def _drive(port: int, seconds: float, load: Load) -> None:
    """CLIENTS channels offering OFFERED spans/s for ``seconds``; refused calls retried."""
    template = _template()
    spans = template.resource_spans[0].scope_spans[0].spans
    interval = SPANS_PER_CALL / OFFERED
    start = time.monotonic()
    next_seq = [1]
    retry: list[int] = []  # first seqs of refused calls, to send again

    def body(first: int) -> bytes:
        for i, span in enumerate(spans):
            span.span_id = span_id_for(first + i)
        return template.SerializeToString()

    async def client() -> None:
        async with grpc.aio.insecure_channel(
                f"127.0.0.1:{port}", options=[("grpc.use_local_subchannel_pool", 1)]) as ch:
            export = ch.unary_unary(EXPORT)
            while True:
                slot = start + load.offered / SPANS_PER_CALL * interval
                if slot - start >= seconds:
                    return
                load.offered += SPANS_PER_CALL
                await asyncio.sleep(max(0.0, slot - time.monotonic()))
                if retry:
                    first = retry.pop(0)
                else:
                    first, next_seq[0] = next_seq[0], next_seq[0] + SPANS_PER_CALL
                try:
                    await export(body(first), timeout=CALL_TIMEOUT)
                except grpc.aio.AioRpcError as err:
                    if err.code() == grpc.StatusCode.UNAVAILABLE:
                        load.spans_refused += SPANS_PER_CALL
                        retry.append(first)
                    elif err.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
                        load.spans_timed_out += SPANS_PER_CALL
                    else:
                        name = err.code().name
                        load.other[name] = load.other.get(name, 0) + 1
                    continue
                load.calls_ok += 1
                load.spans_ok += SPANS_PER_CALL
                load.ack(first, SPANS_PER_CALL)

    await asyncio.gather(*(client() for _ in range(CLIENTS)))


@pytest.mark.timeout(SECONDS + 240)
def test_overload_keeps_rss_bounded_and_loses_nothing(start_otelpy: StartOtelpy) -> None:
    grpc_port, metrics_port = free_ports(2)
    sink = Sink(SINK_DELAY)
    try:
        proc = start_otelpy(_config(grpc_port, sink.port, metrics_port), name="overload")
        sampler = RssSampler(proc.pid)
        sampler.start()
        load = Load()
        began = time.monotonic()
        asyncio.run(_drive(grpc_port, SECONDS, load))
        loaded_for = time.monotonic() - began
        peak_during_load = sampler.peak
        assert proc.alive, "otelpy died under overload"

        # the backlog drains once the sink is fast again; every acknowledged span arrives
        sink.set_delay(0)
        wait_until(lambda: sink.stats()["spans"] >= load.spans_ok, 120,
                   "the sink to receive every acknowledged span")
        # and whatever else the receiver accepted (nothing, when no call timed out)
        wait_until(lambda: sink.stats()["spans"] >= proc.metric(ACCEPTED, {"receiver": "otlp"}),
                   60, "the sink to receive every accepted span")
        sampler.stopped.set()
        sampler.join()
        lost = missing(load.acked, sink.seen())
        stats = sink.stats()
        refused_counted = proc.metric(REFUSED, {"receiver": "otlp"})
        accepted_counted = proc.metric(ACCEPTED, {"receiver": "otlp"})
        over = [(round(t, 1), rss // MIB) for t, rss in sampler.samples if rss > RSS_CEILING]
        summary = {
            "seconds": round(loaded_for, 1), "sustainable_spans_per_s": SUSTAINABLE,
            "offered_spans_per_s": round(load.offered / loaded_for),
            "acked_spans": load.spans_ok, "acked_spans_per_s": round(load.spans_ok / loaded_for),
            "refused_spans_seen_by_clients": load.spans_refused,
            "refused_spans_counted": refused_counted, "accepted_spans_counted": accepted_counted,
            "timed_out_spans": load.spans_timed_out, "other_errors": load.other,
            "peak_rss_mib": round(sampler.peak / MIB, 1),
            "peak_rss_during_load_mib": round(peak_during_load / MIB, 1),
            "sink_spans": stats["spans"], "sink_duplicates": stats["duplicates"],
            "lost": len(lost),
        }
        print(f"\noverload: {json.dumps(summary)}")
        assert not over, f"RSS above {RSS_CEILING / MIB:.0f} MiB at (s, MiB): {over[:20]}"
        assert load.other == {} and load.spans_timed_out == 0, summary
        # refusals counted exactly as the clients saw them
        assert load.spans_refused > 0 and refused_counted == load.spans_refused, summary
        assert accepted_counted == load.spans_ok, summary
        assert not lost, f"{len(lost)} acknowledged spans never arrived, e.g. {lost[:10]}"
        # the sink got each acknowledged span once, and nothing else
        assert stats["duplicates"] == 0 and stats["spans"] == load.spans_ok, summary
        assert proc.alive
        proc.stop()
    finally:
        sink.stop()

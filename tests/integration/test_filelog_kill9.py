"""kill -9 in the middle of a file: a real otelpy (filelog with ``storage`` -> otlphttp with
no sending queue, so a batch is accepted only once the sink has it) reading a 300,000-line
file, killed with SIGKILL while it reads, then started again.

Afterwards the sink holds every line at least once, and the only lines it holds twice are
one contiguous run no longer than one batch: the batch that reached the sink before the
kill but whose offsets were not yet saved (the documented resend window).
"""

from __future__ import annotations

import asyncio
import collections
import threading
from pathlib import Path
from typing import Any

import pytest

from otelpy.pdata import items
from otelpy.pdata.values import to_value
from otelpy.testing.process import free_ports, wait_until
from otelpy.testing.servers import HttpSink

from .conftest import StartOtelpy

pytestmark = pytest.mark.integration

LINES = 300_000


class SlowSink:
    """An HttpSink taking ``delay`` s per request, on its own loop in a thread."""

    def __init__(self, port: int, delay: float) -> None:
        self.port = port
        self.sink = HttpSink(delay=delay)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> SlowSink:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.sink.start(self.port), self.loop).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.sink.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()

    def batches(self) -> list[list[int]]:
        return [[int(str(to_value(i.record.body)).split()[1]) for i in
                 items.log_records(r.batch().message)] for r in list(self.sink.received)]


def config(log: Path, storage: Path, sink: int, metrics: int) -> dict[str, Any]:
    return {
        "receivers": {"filelog": {"include": [str(log)], "start_at": "beginning",
                                  "storage": "file_storage", "poll_interval": "20ms"}},
        "exporters": {"otlphttp": {"endpoint": f"http://127.0.0.1:{sink}",
                                   "sending_queue": {"enabled": False}}},
        "extensions": {"file_storage": {"directory": str(storage), "create_directory": True,
                                        "fsync_policy": "never"}},
        "service": {"extensions": ["file_storage"],
                    "telemetry": {"metrics": {"address": f"127.0.0.1:{metrics}"}},
                    "pipelines": {"logs": {"receivers": ["filelog"],
                                           "exporters": ["otlphttp"]}}}}


def test_kill_9_mid_file_resends_at_most_the_batch_in_flight(start_otelpy: StartOtelpy,
                                                             tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    with log.open("w") as f:
        for i in range(LINES):
            f.write(f"line {i} GET /index.html 200\n")
    sink_port, metrics = free_ports(2)
    cfg = config(log, tmp_path / "storage", sink_port, metrics)
    with SlowSink(sink_port, delay=0.3) as sink:
        first = start_otelpy(cfg, name="first")
        wait_until(lambda: len(sink.sink.received) >= 3, 60, "three batches delivered")
        first.kill()
        before = sink.batches()
        assert sum(len(b) for b in before) < LINES, "read everything before the kill"
        start_otelpy(cfg, name="second")
        wait_until(lambda: len({n for b in sink.batches() for n in b}) == LINES, 120,
                   "every line delivered")
        batches = sink.batches()
    counts = collections.Counter(n for b in batches for n in b)
    assert set(counts) == set(range(LINES))
    twice = sorted(n for n, c in counts.items() if c > 1)
    assert all(c <= 2 for c in counts.values())
    largest = max(len(b) for b in batches)
    assert len(twice) <= largest, (len(twice), largest)
    if twice:  # one contiguous run, and it is the last batch delivered before the kill
        assert twice == list(range(twice[0], twice[0] + len(twice)))
        assert set(twice) <= set(before[-1])

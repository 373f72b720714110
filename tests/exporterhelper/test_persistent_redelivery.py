"""The redelivered counter after kill -9: exactly the items of the batches that were handed
to a sender and not acknowledged, never the others; acknowledged batches never come back."""

from __future__ import annotations

import asyncio
import logging
import signal
import subprocess
import sys
from pathlib import Path

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.exporterhelper import ExporterHelper, QueueSettings, RetrySettings
from otelpy.extensions.file_storage import FileStorageConfig, FileStorageExtension
from otelpy.pdata import Batch
from otelpy.telemetry import Telemetry
from otelpy.testing.samples import traces_request
from otelpy.testing.sink import FakeHost

ID = ComponentID("otlphttp", "disk")
STORAGE = ComponentID("file_storage")
REDELIVERED = "otelpy_exporter_queue_redelivered_spans_total"

# Enqueues 10 batches of 10+i spans; 3 workers take batches 0, 1, 2; the backend answers
# batch 1 at once and holds the others forever, so its worker takes batch 3 and the rest
# wait: 4 batches handed to a sender, 1 acknowledged. Then the process is killed.
CHILD = """
import asyncio, logging, sys, time
from pathlib import Path
from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.exporterhelper import ExporterHelper, QueueSettings, RetrySettings
from otelpy.extensions.file_storage import FileStorageConfig, FileStorageExtension
from otelpy.pdata import Batch
from otelpy.telemetry import Telemetry
from otelpy.testing.samples import traces_request
from otelpy.testing.sink import FakeHost

async def main():
    tel, log = Telemetry(), logging.getLogger("child")
    sid, eid = ComponentID("file_storage"), ComponentID("otlphttp", "disk")
    ext = FileStorageExtension(Settings(sid, Kind.EXTENSION, log, tel),
                               FileStorageConfig(directory=sys.argv[1]))
    host = FakeHost(extensions={sid: ext})
    await ext.start(host)
    sent = []
    async def send(batch):
        sent.append(batch.item_count)
        if batch.item_count != 11:
            await asyncio.Event().wait()  # never answered
    ex = ExporterHelper(Settings(eid, Kind.EXPORTER, log, tel), [Signal.TRACES],
                        QueueSettings(storage="file_storage", num_consumers=3),
                        RetrySettings(), 5.0, send)
    await ex.start(host)
    for i in range(10):
        data = traces_request(10 + i, seed=i).SerializeToString()
        await ex.consume_traces(Batch.from_bytes(Signal.TRACES, data))
    while len(sent) < 4 or ex.queue_size > 9:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)
    print("ready", sorted(sent), flush=True)
    time.sleep(60)  # nothing more happens before the kill

asyncio.run(main())
"""


def run_and_kill(directory: Path) -> tuple[bytes, bytes]:
    """Run CHILD until it is ready, then SIGKILL it; its ready line and stderr."""
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(directory)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    proc.send_signal(signal.SIGKILL)
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    return line, err


async def test_counter_is_exactly_the_unacknowledged_batches_in_flight(tmp_path: Path) -> None:
    line, err = await asyncio.to_thread(run_and_kill, tmp_path)
    assert line == b"ready [10, 11, 12, 13]\n", err.decode()[-3000:]

    telemetry = Telemetry()
    log = logging.getLogger("test")
    ext = FileStorageExtension(Settings(STORAGE, Kind.EXTENSION, log, telemetry),
                               FileStorageConfig(directory=str(tmp_path)))
    host = FakeHost(extensions={STORAGE: ext})
    await ext.start(host)
    delivered: list[int] = []

    async def send(batch: Batch) -> None:
        delivered.append(batch.item_count)

    ex = ExporterHelper(Settings(ID, Kind.EXPORTER, log, telemetry), [Signal.TRACES],
                        QueueSettings(storage="file_storage", num_consumers=1),
                        RetrySettings(), 5.0, send)
    await ex.start(host)
    async with asyncio.timeout(5):
        while len(delivered) < 9:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    await ex.shutdown()
    await ext.shutdown()
    # the acknowledged batch (11 spans) is not sent again; the three held ones are
    # counted, the six never handed to a sender are not
    assert delivered == [10] + list(range(12, 20))
    assert telemetry.value(REDELIVERED, {"exporter": "otlphttp/disk"}) == 10 + 12 + 13


def test_batch_sizes_are_distinct() -> None:
    sizes = [Batch.from_bytes(Signal.TRACES, traces_request(10 + i, seed=i).SerializeToString())
             .item_count for i in range(10)]
    assert sizes == list(range(10, 20))

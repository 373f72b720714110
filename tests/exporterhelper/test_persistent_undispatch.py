"""After kill -9, a batch counts as possibly redelivered only when an attempt to send it
may have reached the backend: one retried only against a closed port is not counted, one
whose attempt timed out is. A real otlphttp exporter with a persistent queue."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import subprocess
import sys
from pathlib import Path

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.exporterhelper import ExporterHelper, QueueSettings, RetrySettings
from otelpy.extensions.file_storage import FileStorageConfig, FileStorageExtension
from otelpy.pdata import Batch
from otelpy.telemetry import Telemetry
from otelpy.testing.sink import FakeHost

STORAGE = ComponentID("file_storage")
REDELIVERED = "otelpy_exporter_queue_redelivered_spans_total"

# Sends one batch of 17 spans to argv[2] for a second (fast retries, requeued after
# 0.3 s), then is killed with the send still being retried.
CHILD = """
import asyncio, logging, sys, time
from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.exporters.otlphttp import OTLPHTTPConfig, factory
from otelpy.extensions.file_storage import FileStorageConfig, FileStorageExtension
from otelpy.pdata import Batch
from otelpy.telemetry import Telemetry
from otelpy.testing.samples import traces_request
from otelpy.testing.sink import FakeHost

async def main():
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    tel, log = Telemetry(), logging.getLogger("child")
    sid = ComponentID("file_storage")
    ext = FileStorageExtension(Settings(sid, Kind.EXTENSION, log, tel),
                               FileStorageConfig(directory=sys.argv[1]))
    host = FakeHost(extensions={sid: ext})
    await ext.start(host)
    cfg = OTLPHTTPConfig.model_validate({
        "endpoint": sys.argv[2], "timeout": "200ms",
        "sending_queue": {"storage": "file_storage", "num_consumers": 1},
        "retry_on_failure": {"initial_interval": "50ms", "max_interval": "50ms",
                             "randomization_factor": 0, "max_elapsed_time": "300ms"}})
    ex = factory.create(Settings(ComponentID("otlphttp", "disk"), Kind.EXPORTER, log, tel),
                        cfg, frozenset({Signal.TRACES}))
    await ex.start(host)
    data = traces_request(17).SerializeToString()
    await ex.consume_traces(Batch.from_bytes(Signal.TRACES, data))
    await asyncio.sleep(1.0)
    print("ready", flush=True)
    time.sleep(60)  # nothing more happens before the kill

asyncio.run(main())
"""


def run_and_kill(directory: Path, endpoint: str) -> str:
    """Run CHILD for a second, SIGKILL it; its stderr."""
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(directory), endpoint],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    proc.send_signal(signal.SIGKILL)
    _, err = proc.communicate(timeout=10)
    assert line == b"ready\n", err.decode()[-3000:]
    assert proc.returncode == -signal.SIGKILL
    return err.decode()


async def restart(directory: Path) -> tuple[list[int], float]:
    """Open the queue again with a backend that takes everything; what it got, and the
    redelivered counter."""
    telemetry, log = Telemetry(), logging.getLogger("test")
    ext = FileStorageExtension(Settings(STORAGE, Kind.EXTENSION, log, telemetry),
                               FileStorageConfig(directory=str(directory)))
    host = FakeHost(extensions={STORAGE: ext})
    await ext.start(host)
    delivered: list[int] = []

    async def send(batch: Batch) -> None:
        delivered.append(batch.item_count)

    ex = ExporterHelper(Settings(ComponentID("otlphttp", "disk"), Kind.EXPORTER, log,
                                 telemetry), [Signal.TRACES],
                        QueueSettings(storage="file_storage"), RetrySettings(), 5.0, send)
    await ex.start(host)
    async with asyncio.timeout(5):
        while not delivered:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    await ex.shutdown()
    await ext.shutdown()
    return delivered, telemetry.value(REDELIVERED, {"exporter": "otlphttp/disk"})


async def test_retried_only_against_a_closed_port_is_not_counted(tmp_path: Path) -> None:
    # a port bound but not listening refuses every connection, and no other process can
    # take it while the test runs (a merely free port could be taken by another test)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        endpoint = f"http://127.0.0.1:{closed.getsockname()[1]}"
        err = await asyncio.to_thread(run_and_kill, tmp_path, endpoint)
    assert "ClientConnectorError" in err  # requeued at least once: several attempts
    assert await restart(tmp_path) == ([17], 0)


async def hanging_backend(close_after_first: bool) -> tuple[asyncio.Server, list[int]]:
    """A server that reads and never answers; optionally stops listening after the first
    connection (later attempts are refused)."""
    conns: list[int] = []
    held: list[asyncio.StreamWriter] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conns.append(len(await reader.read(65536)))
        held.append(writer)
        if close_after_first:
            server.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, conns


async def test_an_attempt_that_timed_out_is_counted(tmp_path: Path) -> None:
    server, conns = await hanging_backend(close_after_first=False)
    port = server.sockets[0].getsockname()[1]
    await asyncio.to_thread(run_and_kill, tmp_path, f"http://127.0.0.1:{port}")
    server.close()
    assert len(conns) >= 2 and all(n > 0 for n in conns)  # the request was written
    assert await restart(tmp_path) == ([17], 17)


async def test_a_timeout_then_refusals_is_still_counted(tmp_path: Path) -> None:
    server, conns = await hanging_backend(close_after_first=True)
    port = server.sockets[0].getsockname()[1]
    err = await asyncio.to_thread(run_and_kill, tmp_path, f"http://127.0.0.1:{port}")
    assert len(conns) == 1 and conns[0] > 0
    assert "ClientConnectorError" in err  # the later attempts were refused
    assert await restart(tmp_path) == ([17], 17)

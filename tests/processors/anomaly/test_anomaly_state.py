"""A restart keeps the learned state: the processor saves its series to a real file_storage
extension and a new processor on the same directory continues exactly where the first stopped."""

from __future__ import annotations

import logging
import math
from pathlib import Path

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.extensions.file_storage import FileStorageConfig, FileStorageExtension
from otelpy.pdata import Batch
from otelpy.registry import load_registry
from otelpy.telemetry import Telemetry
from otelpy.testing.sink import FakeHost, SinkConsumer

T0 = 1_700_000_000 * 10**9
STEP = 60 * 10**9
STORAGE = ComponentID("file_storage")


def request(i: int) -> bytes:
    req = ExportMetricsServiceRequest()
    scope = req.resource_metrics.add().scope_metrics.add()
    value = 20.0 + 3.0 * math.sin(i * 0.1) + 0.5 * math.sin(i * 12.9898)
    if i == 900:
        value += 25.0
    point = scope.metrics.add(name="queue.depth").gauge.data_points.add(
        time_unix_nano=T0 + i * STEP, as_double=value)
    point.attributes.add(key="queue").value.string_value = "orders"
    return req.SerializeToString()


async def start(directory: Path) -> tuple[FileStorageExtension, object, SinkConsumer]:
    telemetry = Telemetry()
    log = logging.getLogger("test.anomaly.state")
    ext = FileStorageExtension(Settings(STORAGE, Kind.EXTENSION, log, telemetry),
                               FileStorageConfig(directory=str(directory), create_directory=True))
    host = FakeHost(extensions={STORAGE: ext})
    await ext.start(host)
    factory = load_registry(include_plugins=False).get(Kind.PROCESSOR, "anomaly")
    assert factory is not None
    cfg = factory.config_type.model_validate({"storage": "file_storage"})
    sink = SinkConsumer()
    proc = factory.create(Settings(ComponentID("anomaly"), Kind.PROCESSOR, log, telemetry),
                          cfg, Signal.METRICS, sink)
    await proc.start(host)
    return ext, proc, sink


async def feed(proc: object, sink: SinkConsumer, points: range) -> list[float]:
    scores = []
    for i in points:
        await proc.consume_metrics(Batch.from_bytes(Signal.METRICS, request(i)))  # type: ignore[attr-defined]
        metrics = sink.batches[-1].message.resource_metrics[0].scope_metrics[0].metrics
        scores.append(metrics[1].gauge.data_points[0].as_double)
    return scores


async def test_restart_continues_from_saved_state(tmp_path: Path) -> None:
    ext, proc, sink = await start(tmp_path)
    await feed(proc, sink, range(600))
    saved = proc.table.dump()  # type: ignore[attr-defined]
    await proc.shutdown()  # type: ignore[attr-defined]
    await ext.shutdown()

    ext, restarted, sink = await start(tmp_path)
    assert len(restarted.table) == 1  # type: ignore[attr-defined, arg-type]
    assert restarted.table.dump() == saved  # type: ignore[attr-defined]
    after_restart = await feed(restarted, sink, range(600, 1000))
    await restarted.shutdown()  # type: ignore[attr-defined]
    await ext.shutdown()

    # The same stream without a restart gives the very same scores; a fresh processor
    # (nothing learned) gives different ones and cannot score the spike at 900 as the first.
    ext, uninterrupted, sink = await start(tmp_path / "other")
    whole = await feed(uninterrupted, sink, range(1000))
    assert after_restart == whole[600:]
    assert max(range(400), key=after_restart.__getitem__) in (300, 301, 302)
    assert max(after_restart) > 0.8
    await uninterrupted.shutdown()  # type: ignore[attr-defined]
    await ext.shutdown()


async def test_unreadable_state_is_skipped_not_fatal(tmp_path: Path) -> None:
    ext, proc, sink = await start(tmp_path)
    await feed(proc, sink, range(50))
    proc.table.dump = lambda: b"not zlib"  # type: ignore[attr-defined]
    await proc.shutdown()  # type: ignore[attr-defined]
    await ext.shutdown()
    ext, restarted, sink = await start(tmp_path)
    assert len(restarted.table) == 0  # type: ignore[attr-defined, arg-type]
    await restarted.shutdown()  # type: ignore[attr-defined]
    await ext.shutdown()

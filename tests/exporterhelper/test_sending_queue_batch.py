"""sending_queue::batch, sizer and wait_for_result: the otlp_http exporter against a real
HTTP sink, and the Collector's rules on these keys through the whole config validation."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.config import load, validate
from otelpy.errors import ConfigError
from otelpy.exporterhelper import BatchQueue
from otelpy.exporters.otlphttp import OTLPHTTPConfig, factory
from otelpy.pdata import Batch
from otelpy.registry import default_registry
from otelpy.telemetry import Telemetry
from otelpy.testing.samples import traces_request
from otelpy.testing.servers import HttpSink
from otelpy.testing.sink import FakeHost


@pytest.fixture
async def sink():
    s = HttpSink()
    await s.start()
    yield s
    await s.stop()


def spans(n: int, seed: int = 0) -> Batch:
    return Batch.from_bytes(Signal.TRACES, traces_request(n, seed=seed).SerializeToString())


async def exporter(endpoint: str, queue: dict[str, Any]) -> Any:
    cfg = OTLPHTTPConfig.model_validate({"endpoint": endpoint, "sending_queue": queue})
    assert cfg.validate_config() == []
    settings = Settings(ComponentID("otlp_http", "batched"), Kind.EXPORTER,
                        logging.getLogger("t.batch"), Telemetry())
    ex = factory.create(settings, cfg, frozenset(Signal))
    await ex.start(FakeHost())
    return ex


def sizes(sink: HttpSink) -> list[int]:
    return [r.items for r in sink.received]


async def test_batches_merge_at_min_size_and_the_rest_flushes_on_shutdown(
        sink: HttpSink) -> None:
    ex = await exporter(sink.endpoint, {"batch": {"min_size": 100, "flush_timeout": "1h"}})
    for i in range(10):
        await ex.consume_traces(spans(25, seed=i))
    await sink.wait_for_items(200, timeout=10)
    assert sizes(sink) == [100, 100]  # the last 50 are held: under min_size, no timeout yet
    await ex.shutdown()
    assert sizes(sink) == [100, 100, 50]


async def test_flush_timeout_sends_what_is_held(sink: HttpSink) -> None:
    ex = await exporter(sink.endpoint, {"batch": {"min_size": 1000, "flush_timeout": "50ms"}})
    for i in range(3):
        await ex.consume_traces(spans(10, seed=i))
    assert sizes(sink) == []
    await sink.wait_for_items(30, timeout=10)
    assert sizes(sink) == [30]
    await ex.shutdown()
    assert sizes(sink) == [30]


async def test_max_size_splits_between_items(sink: HttpSink) -> None:
    ex = await exporter(sink.endpoint, {"batch": {"min_size": 10, "max_size": 40}})
    await ex.consume_traces(spans(100))
    await sink.wait_for_items(100, timeout=10)
    await ex.shutdown()
    assert sizes(sink) == [40, 40, 20]
    def span_ids(batch: Batch) -> list[bytes]:
        return [s.span_id for rs in batch.message.resource_spans
                for ss in rs.scope_spans for s in ss.spans]

    sent = [i for r in sink.received for i in span_ids(r.batch())]
    assert sent == span_ids(spans(100))  # every span, once, in order


async def test_bytes_sizer_flushes_by_serialized_size(sink: HttpSink) -> None:
    one = spans(10)
    ex = await exporter(sink.endpoint, {"sizer": "bytes", "queue_size": 10_000_000,
                                        "batch": {"min_size": one.byte_size * 3,
                                                  "flush_timeout": "1h"}})
    for _ in range(7):
        await ex.consume_traces(spans(10))
    await sink.wait_for_items(60, timeout=10)
    await ex.shutdown()
    assert sizes(sink) == [30, 30, 10]


async def test_wait_for_result_raises_the_send_error_to_the_caller(sink: HttpSink) -> None:
    ex = await exporter(sink.endpoint, {"wait_for_result": True})
    sink.fail_next(1, status=400)
    with pytest.raises(Exception, match="400"):
        await ex.consume_traces(spans(5))
    await ex.consume_traces(spans(5))
    assert sizes(sink) == [5]  # sent before consume returned
    await ex.shutdown()


async def test_items_sizer_bounds_the_queue_in_items() -> None:
    queue: BatchQueue[Batch] = BatchQueue(100, lambda b: b.item_count)
    assert queue.offer(spans(60))
    assert not queue.offer(spans(60))  # 120 items > 100
    assert queue.offer(spans(40))
    assert queue.used == 100
    put = asyncio.ensure_future(queue.put(spans(10)))
    await asyncio.sleep(0)
    assert not put.done()  # waits for room: backpressure
    assert (await queue.get()) is not None
    await asyncio.wait_for(put, 10)
    assert queue.used == 50


def problems(tmp_path: Path, queue: str) -> list[str]:
    text = ("extensions:\n  file_storage:\n    directory: /tmp\nreceivers:\n  otlp:\n"
            "    protocols:\n      grpc:\nexporters:\n  otlp_http:\n"
            "    endpoint: http://localhost:4318\n    sending_queue:\n" + queue +
            "service:\n  extensions: [file_storage]\n  pipelines:\n    traces:\n"
            "      receivers: [otlp]\n      exporters: [otlp_http]\n")
    try:
        (tmp_path / "p.yaml").write_text(text)
        validate(load([str(tmp_path / "p.yaml")], env={}), default_registry())
    except ConfigError as exc:
        return exc.problems
    return []


@pytest.mark.parametrize(("queue", "expected"), [
    ("      batch:\n        flush_timeout: 1s\n        min_size: 500\n        max_size: 1000\n"
     "        sizer: items\n      sizer: items\n      queue_size: 5000\n"
     "      num_consumers: 4\n      block_on_overflow: true\n      wait_for_result: false\n",
     []),
    ("      batch: {}\n", []),
    ("      blocking: false\n", []),
    ("      batch:\n        partition:\n          metadata_keys: [tenant]\n",
     ["not supported by otelpy: otelpy receivers do not pass client metadata"]),
    ("      storage: file_storage\n      batch: {}\n",
     ["sending_queue::batch: not supported by otelpy: with `storage`"]),
    ("      storage: file_storage\n      wait_for_result: true\n",
     ["sending_queue::wait_for_result: is not supported with a persistent queue"]),
    ("      sizer: requests\n      batch: {}\n",
     ["batch supports only `items` or `bytes` sizer"]),
    ("      sizer: items\n      queue_size: 100\n      batch:\n        min_size: 200\n",
     ["sending_queue::batch::min_size: must be less than or equal to queue_size"]),
    ("      batch:\n        flush_timeout: 0s\n", ["flush_timeout must be positive"]),
    ("      batch:\n        min_size: 10\n        max_size: 5\n",
     ["max_size (5) must be greater or equal to min_size (10)"]),
], ids=["every-key", "defaults", "blocking-old-name", "partition", "storage-batch",
        "storage-wait", "requests-batch", "min-over-queue", "zero-flush", "max-under-min"])
def test_queue_rules(tmp_path: Path, queue: str, expected: list[str]) -> None:
    found = problems(tmp_path, queue)
    assert len(found) == len(expected), found
    for problem, text in zip(found, expected, strict=True):
        assert text in problem

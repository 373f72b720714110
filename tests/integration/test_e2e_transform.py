"""Python SDK -> otelpy (transform, then filter) -> file exporter.

The OpenTelemetry Python SDK sends its known spans and log records over OTLP/gRPC to a real
otelpy process running OTTL statements (the kinds of issue 11: set from the resource,
replace_pattern, delete_key, a where clause, truncate_all) and filter conditions. What the
file exporter writes is compared field by field with what the SDK exported, changed by an
independent rendering of the statements below (plain protobuf edits, not otelpy's engine).
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.common.v1.common_pb2 import KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Status

from otelpy.testing.process import OtelpyProcess, free_ports

from . import configs, pysdk
from .conftest import StartOtelpy
from .otlpfile import Item, any_value, assert_same_items, wait_for_items

pytestmark = pytest.mark.integration

TRANSFORM = {
    "error_mode": "propagate",
    "trace_statements": [
        'set(span.attributes["svc"], resource.attributes["service.name"])',
        'replace_pattern(span.attributes["str"], "[üï]", "_")',
        'delete_key(span.attributes, "int.negative")',
        'set(span.status.code, STATUS_CODE_ERROR) where span.name == "py-consumer"',
        "truncate_all(span.attributes, 4)",
    ],
    "log_statements": [
        'set(log.attributes["sev"], log.severity_text) '
        "where log.severity_number >= SEVERITY_NUMBER_WARN",
        'delete_key(log.attributes, "bytes")',
    ],
}
FILTER = {
    "error_mode": "propagate",
    # filter runs after transform: it sees "kafka" truncated to 4 bytes
    "traces": {"span": ['name == "py-linked"', 'attributes["messaging.system"] == "kafk"']},
    "logs": {"log_record": ["severity_number == SEVERITY_NUMBER_UNSPECIFIED"]},
}


def _find(kvs: Any, key: str) -> KeyValue | None:
    return next((kv for kv in kvs if kv.key == key), None)


def _put(kvs: Any, key: str, value: Any) -> None:
    kv = _find(kvs, key)
    (kv.value if kv else kvs.add(key=key).value).CopyFrom(any_value(value))


def _delete(kvs: Any, key: str) -> None:
    kept = [copy.deepcopy(kv) for kv in kvs if kv.key != key]
    del kvs[:]
    kvs.extend(kept)


def expected_span(item: Item) -> bool:
    """The span as the statements leave it; False when a condition drops it."""
    span = item.item
    kvs = span.attributes
    _put(kvs, "svc", _find(item.resource.attributes, "service.name").value.string_value)
    if (kv := _find(kvs, "str")) is not None:
        kv.value.string_value = kv.value.string_value.replace("ü", "_").replace("ï", "_")
    _delete(kvs, "int.negative")
    if span.name == "py-consumer":
        span.status.code = Status.STATUS_CODE_ERROR
    for kv in kvs:  # 4 UTF-8 bytes, never half a character
        if kv.value.WhichOneof("value") == "string_value":
            kv.value.string_value = kv.value.string_value.encode()[:4].decode("utf-8", "ignore")
    kafka = _find(kvs, "messaging.system")
    return not (span.name == "py-linked" or (kafka and kafka.value.string_value == "kafk"))


def expected_log(item: Item) -> bool:
    record = item.item
    if record.severity_number >= 13:  # SEVERITY_NUMBER_WARN
        _put(record.attributes, "sev", record.severity_text)
    _delete(record.attributes, "bytes")
    return record.severity_number != 0


def expected(items: list[Item], change: Callable[[Item], bool]) -> list[Item]:
    out = []
    for item in items:
        changed = Item(item.signal, copy.deepcopy(item.resource), item.resource_schema_url,
                       item.scope, item.scope_schema_url, copy.deepcopy(item.item))
        if change(changed):
            out.append(changed)
    return out


@pytest.fixture
def pipeline(start_otelpy: StartOtelpy, tmp_path: Path) -> tuple[str, Path, OtelpyProcess]:
    grpc_port, metrics_port = free_ports(2)
    out = tmp_path / "out.jsonl"
    cfg: dict[str, Any] = {
        "receivers": {"otlp": configs.otlp_receiver(grpc_port, None)},
        "processors": {"transform": TRANSFORM, "filter": FILTER},
        "exporters": {"file": configs.file_exporter(out)},
        "service": {
            "telemetry": configs.telemetry(metrics_port),
            "pipelines": configs.pipelines(["otlp"], ["file"], ["transform", "filter"],
                                           signals=("traces", "logs")),
        },
    }
    proc = start_otelpy(cfg, name="transform")
    return f"127.0.0.1:{grpc_port}", out, proc


@pytest.mark.parametrize(("signal", "change", "dropped"), [
    ("traces", expected_span, 2), ("logs", expected_log, 1)], ids=["traces", "logs"])
def test_sdk_through_transform_and_filter(pipeline: tuple[str, Path, OtelpyProcess],
                                          signal: str, change: Callable[[Item], bool],
                                          dropped: int) -> None:
    endpoint, out, proc = pipeline
    run = uuid.uuid4().hex
    sent = pysdk.SENDERS[signal]("grpc", endpoint, run)
    want = expected(sent, change)
    assert len(want) == len(sent) - dropped  # the renderer drops what the conditions do
    received = wait_for_items(out, signal, {"test.run": run}, len(want), timeout=30.0)
    assert_same_items(want, received, f"{signal} through transform + filter")
    counter = {"traces": "otelcol_processor_filter_spans_filtered_total",
               "logs": "otelcol_processor_filter_logs_filtered_total"}[signal]
    assert proc.metric(counter) == dropped
    if signal == "traces":  # the documented effects are really there (guards the renderer)
        by_name = {i.item.name: i.item for i in received}
        assert sorted(by_name) == ["py-child", "py-consumer", "py-root"]
        root = by_name["py-root"]
        assert _find(root.attributes, "str").value.string_value == "h\u00e9l"  # h, é (2 bytes), l
        assert _find(root.attributes, "svc").value.string_value == "otel"
        assert _find(root.attributes, "int.negative") is None
        assert by_name["py-consumer"].status.code == Status.STATUS_CODE_ERROR
    else:
        sev = [_find(i.item.attributes, "sev") for i in received]
        assert sorted(kv.value.string_value for kv in sev if kv) == ["ERROR", "WARN"]
        assert all(_find(i.item.attributes, "bytes") is None for i in received)

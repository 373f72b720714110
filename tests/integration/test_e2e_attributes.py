"""Python SDK -> otelpy (resource + attributes processors) -> file exporter.

The OpenTelemetry Python SDK sends its known spans, log records and metrics over OTLP/gRPC
to a real otelpy process whose pipelines run the ``resource`` processor (all signals) and
the ``attributes`` processor (traces and logs, skipping items that carry
``messaging.system``). What the file exporter writes is compared field by field with what the
SDK exported, changed by an independent rendering of the documented actions below (plain
protobuf edits and hashlib, not otelpy's engine).
"""

from __future__ import annotations

import copy
import hashlib
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.common.v1.common_pb2 import KeyValue

from otelpy.testing.process import free_ports

from . import configs, pysdk
from .conftest import StartOtelpy
from .otlpfile import Item, any_value, assert_same_items, wait_for_items

pytestmark = pytest.mark.integration

RESOURCE = {"attributes": [
    {"key": "deployment.environment", "value": "it", "action": "upsert"},
    {"key": "svc.copy", "from_attribute": "service.name", "action": "insert"},
    {"key": "test.transport", "action": "delete"},
]}
ATTRIBUTES = {
    "exclude": {"match_type": "strict", "attributes": [{"key": "messaging.system"}]},
    "actions": [
        {"key": "str", "action": "hash"},
        {"key": "int", "action": "convert", "converted_type": "string"},
        {"key": "double", "action": "CONVERT", "converted_type": "int"},
        {"pattern": r"^array\.", "action": "delete"},
        {"key": "added", "value": {"k": [1, "x"]}, "action": "insert"},
        {"key": "bool.copy", "from_attribute": "bool.true", "default_value": "none",
         "action": "insert"},
    ],
}


def _find(kvs: Any, key: str) -> KeyValue | None:
    return next((kv for kv in kvs if kv.key == key), None)


def _delete(kvs: Any, keep: Callable[[str], bool]) -> None:
    kept = [copy.deepcopy(kv) for kv in kvs if keep(kv.key)]
    del kvs[:]
    kvs.extend(kept)


def expected_resource(item: Item) -> None:
    kvs = item.resource.attributes
    env = _find(kvs, "deployment.environment")
    (env.value if env else kvs.add(key="deployment.environment").value).CopyFrom(
        any_value("it"))
    if _find(kvs, "svc.copy") is None:
        kvs.add(key="svc.copy").value.CopyFrom(_find(kvs, "service.name").value)
    _delete(kvs, lambda k: k != "test.transport")


def expected_attributes(kvs: Any) -> None:
    if _find(kvs, "messaging.system") is not None:
        return
    if (kv := _find(kvs, "str")) is not None:
        kv.value.CopyFrom(any_value(hashlib.sha256(kv.value.string_value.encode()).hexdigest()))
    if (kv := _find(kvs, "int")) is not None:
        kv.value.CopyFrom(any_value(str(kv.value.int_value)))
    if (kv := _find(kvs, "double")) is not None:
        kv.value.CopyFrom(any_value(int(kv.value.double_value)))
    _delete(kvs, lambda k: not k.startswith("array."))
    if _find(kvs, "added") is None:
        kvs.add(key="added").value.CopyFrom(any_value({"k": [1, "x"]}))
    if _find(kvs, "bool.copy") is None:
        source = _find(kvs, "bool.true")
        kvs.add(key="bool.copy").value.CopyFrom(source.value if source else any_value("none"))


def expected(items: list[Item], attributes: bool) -> list[Item]:
    out = []
    for item in items:
        changed = Item(item.signal, copy.deepcopy(item.resource), item.resource_schema_url,
                       item.scope, item.scope_schema_url, copy.deepcopy(item.item))
        expected_resource(changed)
        if attributes:
            expected_attributes(changed.item.attributes)
        out.append(changed)
    return out


@pytest.fixture
def pipeline(start_otelpy: StartOtelpy, tmp_path: Path) -> tuple[str, Path]:
    grpc_port, metrics_port = free_ports(2)
    out = tmp_path / "out.jsonl"
    cfg: dict[str, Any] = {
        "receivers": {"otlp": configs.otlp_receiver(grpc_port, None)},
        "processors": {"resource": RESOURCE, "attributes": ATTRIBUTES},
        "exporters": {"file": configs.file_exporter(out)},
        "service": {
            "telemetry": configs.telemetry(metrics_port),
            "pipelines": {
                **configs.pipelines(["otlp"], ["file"], ["resource", "attributes"],
                                    signals=("traces", "logs")),
                **configs.pipelines(["otlp"], ["file"], ["resource"], signals=("metrics",)),
            },
        },
    }
    start_otelpy(cfg, name="attributes")
    return f"127.0.0.1:{grpc_port}", out


@pytest.mark.parametrize(("signal", "attributes"), [("traces", True), ("logs", True),
                                                    ("metrics", False)])
def test_sdk_through_resource_and_attributes(pipeline: tuple[str, Path], signal: str,
                                             attributes: bool) -> None:
    endpoint, out = pipeline
    run = uuid.uuid4().hex
    sent = pysdk.SENDERS[signal]("grpc", endpoint, run)
    received = wait_for_items(out, signal, {"test.run": run}, len(sent), timeout=30.0)
    want = expected(sent, attributes)
    assert_same_items(want, received, f"{signal} through resource + attributes")
    if signal == "traces":  # the documented effects are really there (guards the renderer)
        by_name = {i.item.name: i for i in received}
        root, producer = by_name["py-root"].item, by_name["py-producer"].item
        assert _find(root.attributes, "array.str") is None
        assert _find(root.attributes, "double").value.int_value == 3
        assert _find(producer.attributes, "added") is None  # excluded
        assert _find(by_name["py-child"].item.attributes, "bool.copy").value.string_value == \
            "none"

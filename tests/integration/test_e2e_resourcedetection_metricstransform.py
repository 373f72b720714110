"""Python SDK -> otelpy (resourcedetection: env, system -> metricstransform) -> file exporter.

The OpenTelemetry Python SDK sends its known metrics over OTLP/gRPC to a real otelpy process
started with OTEL_RESOURCE_ATTRIBUTES set. What the file exporter writes is compared field by
field with what the SDK exported, changed by an independent rendering of the config below
(plain protobuf edits, not otelpy's processors): the detected attributes appended to the
resource (override: false keeps the SDK's service.name), then the five transforms.
"""

from __future__ import annotations

import copy
import os
import platform
import socket
import uuid
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.common.v1.common_pb2 import KeyValue

from otelpy.testing.process import OtelpyProcess, free_ports

from . import configs, pysdk
from .conftest import StartOtelpy
from .otlpfile import Item, any_value, assert_same_items, wait_for_items

pytestmark = pytest.mark.integration

ENV = {"OTEL_RESOURCE_ATTRIBUTES":
       "deployment.environment=e2e, service.name=from-env ,team=core%20platform"}
RESOURCEDETECTION = {"detectors": ["env", "system"], "override": False, "timeout": "10s",
                     "system": {"hostname_sources": ["os"],
                                "resource_attributes": {"host.arch": {"enabled": True}}}}
METRICSTRANSFORM = {"transforms": [
    {"include": "py.requests", "action": "update", "new_name": "py.requests.total",
     "operations": [{"action": "aggregate_labels", "label_set": [],
                     "aggregation_type": "sum"}]},
    {"include": "py.queue", "action": "update", "operations": [
        {"action": "update_label", "label": "queue", "new_label": "queue.name",
         "value_actions": [{"value": "q1", "new_value": "primary"}]}]},
    {"include": "py.latency", "action": "insert", "new_name": "py.latency.us",
     "operations": [{"action": "experimental_scale_value", "experimental_scale": 1000}]},
    {"include": "py.temperature", "action": "update",
     "operations": [{"action": "toggle_scalar_data_type"}]},
    # $$ is the config escape for "$": the processor sees py.$1.renamed
    {"include": r"^py\.(observed)$", "match_type": "regexp", "action": "update",
     "new_name": "py.$$1.renamed",
     "operations": [{"action": "add_label", "new_label": "source", "new_value": "sdk"}]},
]}
ARCH = {"x86_64": "amd64", "aarch64": "arm64"}


def detected_resource(item: Item) -> Any:
    resource = copy.deepcopy(item.resource)
    for key, value in [("deployment.environment", "e2e"), ("team", "core platform"),
                       ("host.name", socket.gethostname()), ("os.type", "linux"),
                       ("host.arch", ARCH.get(platform.machine(), platform.machine()))]:
        resource.attributes.add(key=key).value.CopyFrom(any_value(value))
    return resource


def _point(metric: Any) -> Any:
    return getattr(metric, metric.WhichOneof("data")).data_points[0]


def expected(sent: list[Item]) -> list[Item]:
    out: list[Item] = []
    requests: list[tuple[Any, Item]] = []
    for item in sent:
        metric = copy.deepcopy(item.item)
        point = _point(metric)
        if metric.name == "py.requests":
            requests.append((metric, item))
            continue
        if metric.name == "py.queue":
            [kv] = point.attributes
            assert kv.value.string_value == "q1"
            del point.attributes[:]
            point.attributes.append(KeyValue(key="queue.name", value=any_value("primary")))
        elif metric.name == "py.latency":
            scaled = copy.deepcopy(metric)
            scaled.name = "py.latency.us"
            sp = _point(scaled)
            sp.sum, sp.min, sp.max = sp.sum * 1000, sp.min * 1000, sp.max * 1000
            sp.explicit_bounds[:] = [b * 1000 for b in sp.explicit_bounds]
            out.append(Item("metrics", detected_resource(item), item.resource_schema_url,
                            item.scope, item.scope_schema_url, scaled))
        elif metric.name == "py.temperature":
            point.as_int = int(point.as_double)
        elif metric.name == "py.observed":
            metric.name = "py.observed.renamed"
            point.attributes.add(key="source").value.CopyFrom(any_value("sdk"))
        out.append(Item("metrics", detected_resource(item), item.resource_schema_url,
                        item.scope, item.scope_schema_url, metric))
    # py.requests: per export (one collection time), labels dropped, the two points summed
    # into the first, earliest start
    by_export: dict[int, list[tuple[Any, Item]]] = {}
    for metric, item in requests:
        by_export.setdefault(_point(metric).time_unix_nano, []).append((metric, item))
    for pair in by_export.values():
        (first, item), (second, _) = pair
        merged = copy.deepcopy(first)
        merged.name = "py.requests.total"
        point = _point(merged)
        del point.attributes[:]
        point.as_int = _point(first).as_int + _point(second).as_int
        point.start_time_unix_nano = min(_point(first).start_time_unix_nano,
                                         _point(second).start_time_unix_nano)
        out.append(Item("metrics", detected_resource(item), item.resource_schema_url,
                        item.scope, item.scope_schema_url, merged))
    return out


@pytest.fixture
def pipeline(start_otelpy: StartOtelpy, tmp_path: Path) -> tuple[str, Path, OtelpyProcess]:
    grpc_port, metrics_port = free_ports(2)
    out = tmp_path / "out.jsonl"
    cfg: dict[str, Any] = {
        "receivers": {"otlp": configs.otlp_receiver(grpc_port, None)},
        "processors": {"resourcedetection": RESOURCEDETECTION,
                       "metricstransform": METRICSTRANSFORM},
        "exporters": {"file": configs.file_exporter(out)},
        "service": {
            "telemetry": configs.telemetry(metrics_port),
            "pipelines": configs.pipelines(["otlp"], ["file"],
                                           ["resourcedetection", "metricstransform"],
                                           signals=("metrics",)),
        },
    }
    proc = start_otelpy(cfg, name="resourcedetection", env={**os.environ, **ENV})
    return f"127.0.0.1:{grpc_port}", out, proc


def test_sdk_metrics_through_resourcedetection_and_metricstransform(
        pipeline: tuple[str, Path, OtelpyProcess]) -> None:
    endpoint, out, _proc = pipeline
    run = uuid.uuid4().hex
    sent = pysdk.send_metrics("grpc", endpoint, run)
    pysdk.check_metrics(sent, run, "grpc")  # the SDK sent what the test expects
    want = expected(sent)
    got = wait_for_items(out, "metrics", {"test.run": run}, len(want))
    assert_same_items(want, got, "metrics after resourcedetection and metricstransform")

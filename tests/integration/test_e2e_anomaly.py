"""OTLP/gRPC gauge points -> a real otelpy process (anomaly processor) -> file exporter.

One gauge series with a known spike is sent one point per request; the file exporter's output
must hold every original point and one ``<name>.anomaly_score`` point per original, with the
same attributes and timestamp, the highest score on the spike (within its 3-point block)."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import grpc
import pytest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)

from otelpy.testing.process import free_ports

from . import configs
from .clients import grpc_export
from .conftest import StartOtelpy
from .otlpfile import read_requests

pytestmark = pytest.mark.integration

T0 = 1_700_000_000 * 10**9
POINTS, SPIKE = 1000, 900


def request(i: int) -> bytes:
    req = ExportMetricsServiceRequest()
    res = req.resource_metrics.add()
    res.resource.attributes.add(key="service.name").value.string_value = "anomaly-it"
    metric = res.scope_metrics.add().metrics.add(name="queue.depth")
    value = 50.0 + 5.0 * math.sin(i * 0.2) + (60.0 if i == SPIKE else 0.0)
    point = metric.gauge.data_points.add(time_unix_nano=T0 + i * 60 * 10**9, as_double=value)
    point.attributes.add(key="queue").value.string_value = "orders"
    return req.SerializeToString()


def scores_in(path: Path) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {"queue.depth": [], "queue.depth.anomaly_score": []}
    for signal, message in read_requests(path):
        if signal != "metrics":
            continue
        for res in message.resource_metrics:
            for scope in res.scope_metrics:
                for metric in scope.metrics:
                    out.setdefault(metric.name, []).extend(metric.gauge.data_points)
    return out


def test_scores_flow_through_a_real_pipeline(start_otelpy: StartOtelpy, tmp_path: Path) -> None:
    grpc_port, metrics_port = free_ports(2)
    out = tmp_path / "out.jsonl"
    cfg: dict[str, Any] = {
        "receivers": {"otlp": configs.otlp_receiver(grpc_port, None)},
        "processors": {"anomaly": {"include": {"metric_names": ["queue\\..*"]}}},
        "exporters": {"file": configs.file_exporter(out)},
        "service": {"telemetry": configs.telemetry(metrics_port),
                    "pipelines": configs.pipelines(["otlp"], ["file"], ["anomaly"],
                                                   signals=("metrics",))},
    }
    start_otelpy(cfg, name="anomaly")
    for i in range(POINTS):
        code, _, details = grpc_export(grpc_port, "metrics", request(i))
        assert code == grpc.StatusCode.OK, details
    deadline_polls = 600  # 30 s, polled
    got = scores_in(out)
    while len(got["queue.depth.anomaly_score"]) < POINTS and deadline_polls:
        time.sleep(0.05)
        deadline_polls -= 1
        got = scores_in(out)
    originals, scores = got["queue.depth"], got["queue.depth.anomaly_score"]
    assert len(originals) == POINTS and len(scores) == POINTS
    by_time = {p.time_unix_nano: p for p in scores}
    assert set(by_time) == {p.time_unix_nano for p in originals}
    assert all([(kv.key, kv.value.string_value) for kv in p.attributes] == [("queue", "orders")]
               for p in scores)
    ordered = [by_time[T0 + i * 60 * 10**9].as_double for i in range(POINTS)]
    top = max(range(POINTS), key=ordered.__getitem__)
    assert SPIKE <= top < SPIKE + 3  # the default method scores per 3-point block
    assert ordered[top] > 0.8

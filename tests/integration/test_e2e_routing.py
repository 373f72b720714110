"""Python SDK with tenant headers -> otelpy (include_metadata, batch by tenant, routing by
request metadata and by span attributes) -> one file exporter per pipeline.

The SDK's OTLP exporters (HTTP and gRPC) send spans with an ``x-tenant`` header; the
receiver carries the headers, the batch processor keeps ``x-tenant`` per batch
(``metadata_keys``), and the routing connector sends each tenant's spans to its pipeline,
except spans marked ``audit`` which a first span-context route sends to the audit pipeline.
What each file holds is compared with what was sent.
"""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from otelpy.testing.process import free_ports, otelpy_executable

from . import configs
from .conftest import StartOtelpy
from .otlpfile import items_in, read_requests, wait_for_items

pytestmark = pytest.mark.integration

ROUTING = {"default_pipelines": ["traces/other"], "table": [
    {"context": "span", "condition": 'attributes["audit"] == true', "pipelines": ["traces/audit"]},
    {"context": "request", "condition": 'request["x-tenant"] == "acme"',
     "pipelines": ["traces/acme"]},
]}


def _config(tmp: Path, grpc: int, http: int, metrics: int) -> dict[str, Any]:
    receiver = configs.otlp_receiver(grpc, http, include_metadata=True)
    receiver["protocols"]["grpc"]["include_metadata"] = True
    return {
        "receivers": {"otlp": receiver},
        "processors": {"batch": {"timeout": "100ms", "metadata_keys": ["X-Tenant"]}},
        "connectors": {"routing": ROUTING},
        "exporters": {name: configs.file_exporter(tmp / f"{name.replace('/', '-')}.jsonl")
                      for name in ("file/acme", "file/other", "file/audit")},
        "service": {
            "telemetry": configs.telemetry(metrics),
            "pipelines": {
                "traces/in": {"receivers": ["otlp"], "processors": ["batch"],
                              "exporters": ["routing"]},
                **{f"traces/{n}": {"receivers": ["routing"], "exporters": [f"file/{n}"]}
                   for n in ("acme", "other", "audit")},
            },
        },
    }


def _send(transport: str, endpoint: str, run: str, tenant: str | None,
          spans: list[tuple[str, bool]]) -> None:
    if transport == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
        exporter: Any = OTLPSpanExporter(endpoint=f"http://{endpoint}", insecure=True,
                                         headers=(("x-tenant", tenant),) if tenant else None)
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
            OTLPSpanExporter as HTTPExporter,
        )
        exporter = HTTPExporter(endpoint=f"http://{endpoint}/v1/traces",
                                headers={"X-Tenant": tenant} if tenant else None)
    provider = TracerProvider(resource=Resource({"service.name": "routing-it", "test.run": run}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("routing-it")
    for name, audit in spans:
        tracer.start_span(name, attributes={"audit": audit}).end()
    provider.shutdown()


def test_spans_reach_their_tenant_pipeline(start_otelpy: StartOtelpy, tmp_path: Path) -> None:
    grpc, http, metrics = free_ports(3)
    start_otelpy(_config(tmp_path, grpc, http, metrics), name="routing")
    run = uuid.uuid4().hex
    _send("http", f"127.0.0.1:{http}", run, "acme", [("a1", False), ("a2", False), ("x1", True)])
    _send("grpc", f"127.0.0.1:{grpc}", run, "acme", [("a3", False)])
    _send("grpc", f"127.0.0.1:{grpc}", run, "ecorp", [("e1", False), ("x2", True)])
    _send("http", f"127.0.0.1:{http}", run, None, [("n1", False)])
    expected = {"acme": ["a1", "a2", "a3"], "other": ["e1", "n1"], "audit": ["x1", "x2"]}
    for name, spans in expected.items():
        path = tmp_path / f"file-{name}.jsonl"
        wait_for_items(path, "traces", {"test.run": run}, len(spans), timeout=30.0)
    got = {name: sorted(i.item.name for i in items_in(
        read_requests(tmp_path / f"file-{name}.jsonl"), "traces", {"test.run": run}))
        for name in expected}
    assert got == expected


def test_validate_names_the_line_of_a_route_to_a_pipeline_that_does_not_listen(
        tmp_path: Path) -> None:
    grpc, http, metrics = free_ports(3)
    cfg = _config(tmp_path, grpc, http, metrics)
    cfg["connectors"]["routing"]["table"][1]["pipelines"] = ["traces/acne"]
    import yaml

    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    lines = path.read_text().splitlines()
    line = next(n for n, text in enumerate(lines, 1) if "traces/acne" in text)
    done = subprocess.run([str(otelpy_executable()), "validate", "--config", str(path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert f"{path}:{line}" in done.stderr + done.stdout
    assert 'pipeline "traces/acne" does not list connector "routing" as a receiver; ' \
           'did you mean "traces/acme"?' in done.stderr + done.stdout

"""Node.js OpenTelemetry SDK (Node 20 set) -> otelpy (otlp receiver) -> file exporter.

Each sender script records the exact protobuf of every export call it made; the test
requires that what otelpy wrote is exactly that, item for item (nothing lost, nothing
duplicated, no field changed), and checks the known content on top.
Transports: gRPC, HTTP/protobuf ("proto") and HTTP/JSON ("http").
"""

from __future__ import annotations

import base64
import json
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.logs.v1.logs_pb2 import SeverityNumber
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from otelpy.testing.process import OtelpyProcess, free_ports, wait_until

from . import configs
from .conftest import StartOtelpy
from .otlpfile import TOP_KEYS as _TOP_KEYS
from .otlpfile import (
    Item,
    assert_attrs,
    assert_same_items,
    attrs,
    flatten,
    from_any_value,
    items_in,
    read_requests,
    typed,
    wait_for_items,
)

pytestmark = pytest.mark.integration

REQUEST_TYPES = {signal: cls for signal, cls in _TOP_KEYS.values()}
TRANSPORTS = ("grpc", "proto", "http")

NODE_SPAN_ATTRS = {
    "str": 'hello ünïcode ✓ "quoted" \\ slash',
    "str.empty": "",
    "int": 42,
    "int.negative": -7,
    "int.max_safe": 9007199254740991,
    "double": 3.25,
    "double.negative": -0.5,
    "bool.true": True,
    "bool.false": False,
    "array.str": ["a", "b", ""],
    "array.int": [1, 2, 3],
    "array.double": [1.5, 2.5],
    "array.bool": [True, False],
}
REMOTE_TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
REMOTE_PARENT_ID = "b7ad6b7169203331"
LOG_TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
LOG_SPAN_ID = "00f067aa0ba902b7"


@dataclass
class Target:
    proc: OtelpyProcess
    out: Path
    grpc: int
    http: int

    def url(self, transport: str, signal: str) -> str:
        if transport == "grpc":
            return f"http://127.0.0.1:{self.grpc}"
        return f"http://127.0.0.1:{self.http}/v1/{signal}"


def start_target(start: StartOtelpy, out: Path) -> Target:
    grpc, http, metrics = free_ports(3)
    proc = start(configs.receiver_to_file(out, grpc, http, metrics), name="node-target")
    return Target(proc, out, grpc, http)


@pytest.fixture(scope="module")
def target(start_module_otelpy: StartOtelpy, tmp_path_factory: pytest.TempPathFactory) -> Target:
    return start_target(start_module_otelpy, tmp_path_factory.mktemp("node-out") / "out.jsonl")


def run_sender(node_dir: Path, signal: str, transport: str, url: str, run: str,
               record: Path, script: str | None = None) -> list[Item]:
    """Run the Node sender (``send_<signal>.js`` unless ``script`` names another); return
    the items it says it exported (all exports succeeded)."""
    script = script or f"send_{signal}.js"
    res = subprocess.run(["node", script, transport, url, run, str(record)],
                         cwd=node_dir, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, (
        f"node {script} {transport} {url} failed ({res.returncode}):\n"
        f"{res.stdout}\n{res.stderr}")
    rec = json.loads(record.read_text())
    assert all(r["code"] == 0 for r in rec["results"]), rec["results"]
    items: list[Item] = []
    for b64 in rec["requests"]:
        items += flatten(signal, REQUEST_TYPES[signal].FromString(base64.b64decode(b64)))
    return items


def _by_name(items: list[Item]) -> dict[str, Any]:
    out = {i.item.name: i.item for i in items}
    assert len(out) == len(items), f"span names repeat: {[i.item.name for i in items]}"
    return out


def check_node_traces(items: list[Item], transport: str, run: str) -> None:
    assert len(items) == 5
    for it in items:
        assert attrs(it.resource.attributes) == {"service.name": "otelpy-it-node",
                                                 "test.run": run, "test.transport": transport}
        assert (it.scope.name, it.scope.version) == ("otelpy-it-node-tracer", "1.2.3")
    s = _by_name(items)
    assert sorted(s) == ["node-child", "node-consumer", "node-linked", "node-producer", "node-root"]
    root, child, linked = s["node-root"], s["node-child"], s["node-linked"]
    assert root.trace_id.hex() == REMOTE_TRACE_ID
    assert root.parent_span_id.hex() == REMOTE_PARENT_ID
    assert root.trace_state == "vendor1=alpha,vendor2=beta"
    assert root.kind == Span.SPAN_KIND_SERVER
    assert (root.start_time_unix_nano, root.end_time_unix_nano) == (
        1700000001_000000005, 1700000002_000000007)
    assert_attrs(root.attributes, NODE_SPAN_ATTRS, "node-root")
    assert root.status.code == Status.STATUS_CODE_OK
    assert [(e.name, e.time_unix_nano) for e in root.events] == [
        ("evt.one", 1700000001_000000500), ("evt.two", 1700000001_000000600)]
    assert_attrs(root.events[0].attributes, {"evt.str": "x", "evt.int": 1, "evt.double": 0.25,
                                             "evt.bool": True, "evt.array": ["p", "q"]}, "evt.one")
    assert len(root.span_id) == 8 and root.span_id != bytes(8)

    assert child.trace_id == root.trace_id and child.parent_span_id == root.span_id
    assert child.kind == Span.SPAN_KIND_CLIENT
    assert (child.status.code, child.status.message) == (Status.STATUS_CODE_ERROR, "boom")
    assert [e.name for e in child.events] == ["exception"]
    exc = attrs(child.events[0].attributes)
    assert (exc["exception.type"], exc["exception.message"]) == ("BoomError", "boom happened")
    assert len(child.links) == 1
    link = child.links[0]
    assert (link.trace_id, link.span_id) == (linked.trace_id, linked.span_id)
    assert_attrs(link.attributes, {"link.str": "l", "link.int": 7}, "link")
    assert linked.trace_id != root.trace_id and linked.parent_span_id == b""
    assert linked.kind == Span.SPAN_KIND_INTERNAL

    producer, consumer = s["node-producer"], s["node-consumer"]
    assert producer.kind == Span.SPAN_KIND_PRODUCER and producer.parent_span_id == root.span_id
    assert consumer.kind == Span.SPAN_KIND_CONSUMER and consumer.parent_span_id == producer.span_id


def check_node_metrics(items: list[Item], transport: str, run: str) -> None:
    # forceFlush and shutdown each export the cumulative state once: every point twice
    points: dict[tuple[str, str], list[Any]] = {}
    for it in items:
        m = it.item
        kind = m.WhichOneof("data")
        dp = getattr(m, kind).data_points[0]
        key = (m.name, json.dumps(typed(attrs(dp.attributes)), sort_keys=True))
        points.setdefault(key, []).append((m, kind, dp))
    assert len(items) == 10, f"expected 5 points exported twice, got {len(items)}"
    names = sorted({k[0] for k in points})
    assert names == ["node.latency", "node.queue", "node.requests", "node.temperature"]
    by_name: dict[str, list[Any]] = {}
    for (name, _), got in points.items():
        by_name.setdefault(name, []).extend(got)
    reqs = {attrs(dp.attributes)["route"]: (m, kind, dp)
            for m, kind, dp in by_name["node.requests"]}
    m, kind, dp = reqs["/a"]
    assert kind == "sum" and m.sum.is_monotonic and m.sum.aggregation_temporality == 2
    assert (m.unit, m.description) == ("{request}", "requests")
    assert dp.WhichOneof("value") == "as_int" and dp.as_int == 5
    assert_attrs(dp.attributes, {"route": "/a", "attr.int": 1, "attr.double": 0.5,
                                 "attr.bool": True, "attr.array": ["x", "y"]}, "node.requests")
    assert reqs["/b"][2].as_int == 2
    m, kind, dp = by_name["node.queue"][0]
    assert kind == "sum" and not m.sum.is_monotonic and dp.as_double == 7.0
    m, kind, dp = by_name["node.latency"][0]
    assert kind == "histogram" and m.unit == "ms"
    assert list(dp.explicit_bounds) == [1.0, 5.0, 10.0]
    assert list(dp.bucket_counts) == [1, 1, 1, 1]
    assert (dp.count, dp.sum, dp.min, dp.max) == (4, 22.5, 0.5, 12.0)
    m, kind, dp = by_name["node.temperature"][0]
    assert kind == "gauge" and dp.as_double == 21.5 and attrs(dp.attributes) == {"room": "lab"}
    for it in items:
        dp = getattr(it.item, it.item.WhichOneof("data")).data_points[0]
        assert dp.time_unix_nano > 0


def check_node_logs(items: list[Item], transport: str, run: str) -> None:
    assert len(items) == 3
    recs = sorted((i.item for i in items), key=lambda r: r.time_unix_nano)
    first, second, third = recs
    assert first.time_unix_nano == 1700000003_000000001
    assert (first.severity_number, first.severity_text) == (
        SeverityNumber.SEVERITY_NUMBER_WARN, "WARN")
    assert from_any_value(first.body) == "plain message ✓"
    assert_attrs(first.attributes, {
        "str": "v", "int": 42, "double": 3.25, "bool": False, "bytes": b"\x00\x01\xfe\xff",
        "array.mixed": ["a", 1, 2.5, True], "map": {"k": "v", "n": 1, "inner": {"deep": True}},
    }, "log 1")
    assert (first.trace_id.hex(), first.span_id.hex()) == (LOG_TRACE_ID, LOG_SPAN_ID)
    assert first.flags & 0xFF == 1
    assert first.observed_time_unix_nano > 0
    assert (second.severity_number, second.severity_text) == (
        SeverityNumber.SEVERITY_NUMBER_ERROR, "ERROR")
    assert second.event_name == "otelpy.test.event"
    assert typed(from_any_value(second.body)) == typed(
        {"msg": "structured", "count": 3, "nested": {"list": [1, "two", 3.5]}})
    assert typed(from_any_value(third.body)) == typed(["a", 1])
    assert third.severity_number == 0 and third.trace_id == b""


CHECKS = {"traces": check_node_traces, "metrics": check_node_metrics, "logs": check_node_logs}


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("signal", ("traces", "metrics", "logs"))
def test_node_sdk_to_file(target: Target, node_sender_dir: Path, tmp_path: Path,
                          signal: str, transport: str) -> None:
    run = f"node-{signal}-{transport}-{uuid.uuid4().hex[:8]}"
    accepted_metric = f"otelcol_receiver_accepted_{configs.ITEM_NAME[signal]}_total"
    accepted_before = target.proc.metric(accepted_metric, {"receiver": "otlp"})
    sent = run_sender(node_sender_dir, signal, transport, target.url(transport, signal), run,
                      tmp_path / "record.json")
    CHECKS[signal](sent, transport, run)  # the sender sent what we think it sent
    received = wait_for_items(target.out, signal, {"test.run": run}, len(sent))
    assert_same_items(sent, received, f"node {signal} via {transport}")
    CHECKS[signal](received, transport, run)
    wait_until(lambda: target.proc.metric(accepted_metric, {"receiver": "otlp"})
               >= accepted_before + len(sent), 5.0, f"{accepted_metric} to count the items")
    accepted = target.proc.metric(accepted_metric, {"receiver": "otlp"}) - accepted_before
    assert accepted == len(sent), f"{accepted_metric} grew by {accepted}, sent {len(sent)}"


def test_node_everything_exactly_once_after_shutdown(start_otelpy: StartOtelpy,
                                                     node_sender_dir: Path,
                                                     tmp_path: Path) -> None:
    """An otelpy of its own: each signal over a different transport, then a clean
    SIGTERM; each run's items are in the file exactly once."""
    target = start_target(start_otelpy, tmp_path / "out.jsonl")
    sent: dict[str, tuple[str, list[Item]]] = {}
    for signal, transport in (("traces", "grpc"), ("metrics", "proto"), ("logs", "http")):
        run = f"node-once-{signal}-{transport}-{uuid.uuid4().hex[:8]}"
        sent[run] = (signal, run_sender(node_sender_dir, signal, transport,
                                        target.url(transport, signal), run,
                                        tmp_path / f"record-{signal}.json"))
    target.proc.stop()
    target.proc.assert_no_errors()
    requests = read_requests(target.out)
    for run, (signal, items) in sent.items():
        assert items, run
        assert_same_items(items, items_in(requests, signal, {"test.run": run}), run)

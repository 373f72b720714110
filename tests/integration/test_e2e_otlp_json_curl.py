"""curl posts hand-written OTLP/JSON to /v1/traces, /v1/metrics, /v1/logs.

The requests use what OTLP/JSON allows and protobuf's canonical JSON does not: hex
trace/span IDs (upper case included), 64-bit integers as strings (and as numbers),
enums as integers, and an unknown field that must be ignored. The reply must be 200
with a JSON body, and the file exporter must hold exactly the expected protobuf
(built here field by field, not by parsing the JSON).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from otelpy.testing.process import OtelpyProcess, free_ports

from . import configs
from .clients import curl_post
from .conftest import StartOtelpy
from .otlpfile import assert_same_items, flatten, key_values, wait_for_items

pytestmark = pytest.mark.integration

TRACE_ID = "5b8efff798038103d269b633813fc60c"
SPAN_ID = "eee19b7ec3c1b174"
LINK_TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
LINK_SPAN_ID = "b7ad6b7169203331"
BIG = 9007199254740993  # 2**53 + 1: lost if an int64 string goes through a float


@pytest.fixture(scope="module")
def json_target(start_module_otelpy: StartOtelpy,
                tmp_path_factory: pytest.TempPathFactory) -> tuple[OtelpyProcess, Path, int]:
    grpc, http, metrics = free_ports(3)
    out = tmp_path_factory.mktemp("json-out") / "out.jsonl"
    proc = start_module_otelpy(configs.receiver_to_file(out, grpc, http, metrics), name="json")
    return proc, out, http


def _resource_json(run: str) -> dict[str, Any]:
    return {"attributes": [{"key": "service.name", "value": {"stringValue": "curl-json"}},
                           {"key": "test.run", "value": {"stringValue": run}}]}


def _resource_pb(msg: Any, run: str) -> None:
    msg.resource.attributes.extend(key_values({"service.name": "curl-json", "test.run": run}))


JSON_ATTRS = [
    {"key": "str", "value": {"stringValue": "héllo ✓"}},
    {"key": "int.str", "value": {"intValue": str(-BIG)}},
    {"key": "int.num", "value": {"intValue": 12345}},
    {"key": "double", "value": {"doubleValue": 2.5}},
    {"key": "bool", "value": {"boolValue": True}},
    {"key": "bytes", "value": {"bytesValue": "AAH+/w=="}},
    {"key": "array", "value": {"arrayValue": {"values": [{"stringValue": "a"},
                                                           {"intValue": "2"}]}}},
    {"key": "map", "value": {"kvlistValue": {"values": [
        {"key": "inner", "value": {"boolValue": False}}]}}},
]
PY_ATTRS = {"str": "héllo ✓", "int.str": -BIG, "int.num": 12345, "double": 2.5, "bool": True,
            "bytes": b"\x00\x01\xfe\xff", "array": ["a", 2], "map": {"inner": False}}


def traces_case(run: str) -> tuple[dict[str, Any], Any]:
    doc = {"resourceSpans": [{"resource": _resource_json(run), "scopeSpans": [{
        "scope": {"name": "curl-scope", "version": "0.1"},
        "spans": [{
            "traceId": TRACE_ID.upper(), "spanId": SPAN_ID.upper(), "parentSpanId": "",
            "traceState": "k=v", "name": "curl-span", "kind": 2, "flags": 257,
            "startTimeUnixNano": str(1700000000000000001), "endTimeUnixNano": "1700000000000000999",
            "attributes": JSON_ATTRS,
            "events": [{"timeUnixNano": "1700000000000000500", "name": "evt",
                        "attributes": [{"key": "e", "value": {"intValue": "1"}}]}],
            "links": [{"traceId": LINK_TRACE_ID, "spanId": LINK_SPAN_ID, "traceState": "l=1",
                       "attributes": [{"key": "l", "value": {"stringValue": "x"}}]}],
            "status": {"code": 2, "message": "bad"},
            "someFutureField": {"ignored": True},
        }]}]}]}
    req = ExportTraceServiceRequest()
    rs = req.resource_spans.add()
    _resource_pb(rs, run)
    ss = rs.scope_spans.add()
    ss.scope.name, ss.scope.version = "curl-scope", "0.1"
    s = ss.spans.add()
    s.trace_id, s.span_id = bytes.fromhex(TRACE_ID), bytes.fromhex(SPAN_ID)
    s.trace_state, s.name, s.kind, s.flags = "k=v", "curl-span", 2, 257
    s.start_time_unix_nano, s.end_time_unix_nano = 1700000000000000001, 1700000000000000999
    s.attributes.extend(key_values(PY_ATTRS))
    e = s.events.add()
    e.time_unix_nano, e.name = 1700000000000000500, "evt"
    e.attributes.extend(key_values({"e": 1}))
    lk = s.links.add()
    lk.trace_id, lk.span_id, lk.trace_state = (bytes.fromhex(LINK_TRACE_ID),
                                               bytes.fromhex(LINK_SPAN_ID), "l=1")
    lk.attributes.extend(key_values({"l": "x"}))
    s.status.code, s.status.message = 2, "bad"
    return doc, req


def metrics_case(run: str) -> tuple[dict[str, Any], Any]:
    doc = {"resourceMetrics": [{"resource": _resource_json(run), "scopeMetrics": [{
        "scope": {"name": "curl-scope"},
        "metrics": [
            {"name": "curl.sum", "unit": "1", "sum": {
                "aggregationTemporality": 2, "isMonotonic": True,
                "dataPoints": [{"asInt": str(BIG), "timeUnixNano": "1700000000000000002",
                                "startTimeUnixNano": "1700000000000000000",
                                "attributes": JSON_ATTRS[:2],
                                "exemplars": [{"asDouble": 1.5,
                                               "timeUnixNano": "1700000000000000001",
                                               "traceId": TRACE_ID, "spanId": SPAN_ID}]}]}},
            {"name": "curl.hist", "histogram": {"aggregationTemporality": 1, "dataPoints": [{
                "count": "3", "sum": 4.5, "bucketCounts": ["1", 2], "explicitBounds": [1.5],
                "min": 0.5, "max": 3.0, "timeUnixNano": "1700000000000000003"}]}},
            {"name": "curl.gauge", "gauge": {"dataPoints": [
                {"asDouble": 0.25, "timeUnixNano": 1700000000000000004}]}},
        ]}]}]}
    req = ExportMetricsServiceRequest()
    rm = req.resource_metrics.add()
    _resource_pb(rm, run)
    sm = rm.scope_metrics.add()
    sm.scope.name = "curl-scope"
    m = sm.metrics.add()
    m.name, m.unit = "curl.sum", "1"
    m.sum.aggregation_temporality, m.sum.is_monotonic = 2, True
    dp = m.sum.data_points.add()
    dp.as_int, dp.time_unix_nano = BIG, 1700000000000000002
    dp.start_time_unix_nano = 1700000000000000000
    dp.attributes.extend(key_values({"str": "héllo ✓", "int.str": -BIG}))
    ex = dp.exemplars.add()
    ex.as_double, ex.time_unix_nano = 1.5, 1700000000000000001
    ex.trace_id, ex.span_id = bytes.fromhex(TRACE_ID), bytes.fromhex(SPAN_ID)
    h = sm.metrics.add()
    h.name = "curl.hist"
    h.histogram.aggregation_temporality = 1
    hp = h.histogram.data_points.add()
    hp.count, hp.sum, hp.min, hp.max, hp.time_unix_nano = 3, 4.5, 0.5, 3.0, 1700000000000000003
    hp.bucket_counts.extend([1, 2])
    hp.explicit_bounds.append(1.5)
    g = sm.metrics.add()
    g.name = "curl.gauge"
    gp = g.gauge.data_points.add()
    gp.as_double, gp.time_unix_nano = 0.25, 1700000000000000004
    return doc, req


def logs_case(run: str) -> tuple[dict[str, Any], Any]:
    doc = {"resourceLogs": [{"resource": _resource_json(run), "scopeLogs": [{
        "scope": {"name": "curl-scope"},
        "logRecords": [{
            "timeUnixNano": "1700000000000000005", "observedTimeUnixNano": "1700000000000000006",
            "severityNumber": 17, "severityText": "ERROR",
            "body": {"kvlistValue": {"values": [{"key": "msg", "value": {"stringValue": "hi"}}]}},
            "attributes": JSON_ATTRS, "flags": 1, "eventName": "curl.event",
            "traceId": TRACE_ID, "spanId": SPAN_ID}]}]}]}
    req = ExportLogsServiceRequest()
    rl = req.resource_logs.add()
    _resource_pb(rl, run)
    sl = rl.scope_logs.add()
    sl.scope.name = "curl-scope"
    r = sl.log_records.add()
    r.time_unix_nano, r.observed_time_unix_nano = 1700000000000000005, 1700000000000000006
    r.severity_number, r.severity_text, r.flags, r.event_name = 17, "ERROR", 1, "curl.event"
    r.body.kvlist_value.values.extend(key_values({"msg": "hi"}))
    r.attributes.extend(key_values(PY_ATTRS))
    r.trace_id, r.span_id = bytes.fromhex(TRACE_ID), bytes.fromhex(SPAN_ID)
    return doc, req


CASES = {"traces": traces_case, "metrics": metrics_case, "logs": logs_case}


@pytest.mark.parametrize("signal", ("traces", "metrics", "logs"))
def test_curl_otlp_json(json_target: tuple[OtelpyProcess, Path, int], signal: str) -> None:
    proc, out, http = json_target
    run = f"curl-{signal}-{uuid.uuid4().hex[:8]}"
    doc, expected = CASES[signal](run)
    reply = curl_post(f"http://127.0.0.1:{http}/v1/{signal}", json.dumps(doc).encode(),
                      {"Content-Type": "application/json"})
    assert reply.status == 200, (reply.status, reply.body[:500])
    assert reply.content_type.split(";")[0].strip() == "application/json", reply.content_type
    body = json.loads(reply.body)
    assert isinstance(body, dict), body
    rejected = body.get("partialSuccess", {})
    assert not any(v for k, v in rejected.items() if k.startswith("rejected")), body
    want = flatten(signal, expected)
    received = wait_for_items(out, signal, {"test.run": run}, len(want))
    assert_same_items(want, received, f"curl OTLP/JSON {signal}")
    if signal == "traces":
        line = next(ln for ln in out.read_text().splitlines() if run in ln)
        assert f'"{TRACE_ID}"' in line and f'"{SPAN_ID}"' in line, "IDs not lowercase hex in file"
    proc.assert_no_errors()

"""Bad input against a running otelpy: the right refusal, counted, and the process keeps serving.

The receiver runs with ``max_request_body_size: 65536`` (HTTP) and
``max_recv_msg_size_mib: 1`` (gRPC). Each bad request must get its protocol's
answer, add exactly one to ``otelpy_receiver_malformed_requests_total`` and leave
the accepted-spans counter alone; a good request right after must succeed and
reach the file exporter.
"""

from __future__ import annotations

import gzip
import json
import random
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from google.protobuf.message import DecodeError
from google.rpc import status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from otelpy.testing.hostile import nested_anyvalue_json, zstd_claiming
from otelpy.testing.process import OtelpyProcess, eventually, free_ports, wait_until
from otelpy.testing.samples import traces_request

from . import configs
from .clients import curl_post, grpc_export
from .conftest import StartOtelpy
from .otlpfile import key_values, wait_for_items

pytestmark = pytest.mark.integration

HTTP_LIMIT = 65536
MALFORMED = "otelpy_receiver_malformed_requests_total"
ACCEPTED = "otelcol_receiver_accepted_spans_total"
PROTOBUF = {"Content-Type": "application/x-protobuf"}

GOOD = traces_request(spans=3).SerializeToString()
TRUNCATED = GOOD[: len(GOOD) // 2]
RANDOM = random.Random(7).randbytes(512)
# one small span repeated: valid protobuf (repeated fields concatenate), ~150x compressible
INFLATES_TOO_LARGE = traces_request(spans=1).SerializeToString() * 4000
HTTP_TOO_LARGE = traces_request(spans=600).SerializeToString()
GRPC_TOO_LARGE = traces_request(spans=6000).SerializeToString()
# above grpc's own ceiling for a 1 MiB limit (max(2 x limit, limit + 4 MiB) = 5 MiB)
GRPC_ABOVE_CEILING = traces_request(spans=30000).SerializeToString()


def _must_not_parse(data: bytes) -> bytes:
    try:
        ExportTraceServiceRequest.FromString(data)
    except DecodeError:
        return data
    raise AssertionError("test data meant to be malformed parses as a request")


@dataclass
class Target:
    proc: OtelpyProcess
    out: Path
    grpc: int
    http: int


@pytest.fixture(scope="module")
def target(start_module_otelpy: StartOtelpy, tmp_path_factory: pytest.TempPathFactory) -> Target:
    grpc_port, http_port, metrics = free_ports(3)
    out = tmp_path_factory.mktemp("bad-input-out") / "out.jsonl"
    cfg = configs.receiver_to_file(out, grpc_port, http_port, metrics)
    cfg["receivers"]["otlp"]["protocols"]["http"]["max_request_body_size"] = HTTP_LIMIT
    cfg["receivers"]["otlp"]["protocols"]["grpc"]["max_recv_msg_size_mib"] = 1
    proc = start_module_otelpy(cfg, name="bad-input")
    return Target(proc, out, grpc_port, http_port)


# -- HTTP cases ---------------------------------------------------------------------------
def _status_body_protobuf(body: bytes) -> None:
    status = status_pb2.Status.FromString(body)
    assert status.message, f"400 body is a google.rpc.Status without a message: {body[:200]!r}"


def _status_body_json(body: bytes) -> None:
    doc = json.loads(body)
    assert isinstance(doc, dict) and doc.get("message"), (
        f"400 JSON body lacks message: {body[:200]!r}")


# id: (body, headers, HTTP status, check of the error body, counted reason)
HTTP_CASES: dict[str, tuple[bytes, dict[str, str], int, Callable[[bytes], None] | None, str]] = {
    "truncated-protobuf": (_must_not_parse(TRUNCATED), PROTOBUF, 400, _status_body_protobuf,
                           "malformed_protobuf"),
    "random-bytes": (_must_not_parse(RANDOM), PROTOBUF, 400, _status_body_protobuf,
                     "malformed_protobuf"),
    "invalid-json": (b'{"resourceSpans": [{"resource": ', {"Content-Type": "application/json"},
                     400, _status_body_json, "malformed_json"),
    "wrong-content-type": (GOOD, {"Content-Type": "text/plain"}, 415, None,
                           "unsupported_content_type"),
    "gzip-inflates-past-limit": (gzip.compress(INFLATES_TOO_LARGE),
                                 {**PROTOBUF, "Content-Encoding": "gzip"}, 413, None, "too_large"),
    "body-too-large": (HTTP_TOO_LARGE, PROTOBUF, 413, None, "too_large"),
    "json-nested-10k": (b"[" * 10_000, {"Content-Type": "application/json"}, 400,
                        _status_body_json, "malformed_json"),
    "json-anyvalue-nested-past-protobuf": (nested_anyvalue_json(40),
                                           {"Content-Type": "application/json"}, 400,
                                           _status_body_json, "malformed_json"),
    "zstd-claims-small-size": (zstd_claiming(INFLATES_TOO_LARGE, 1000),
                               {**PROTOBUF, "Content-Encoding": "zstd"}, 400, None,
                               "bad_content_encoding"),
    "deflate-inflates-past-limit": (zlib.compress(INFLATES_TOO_LARGE),
                                    {**PROTOBUF, "Content-Encoding": "deflate"}, 413, None,
                                    "too_large"),
    "gzip-too-many-members": (gzip.compress(b"") * 1100,
                              {**PROTOBUF, "Content-Encoding": "gzip"}, 400, None,
                              "bad_content_encoding"),
}


def test_bad_input_data_is_what_it_claims() -> None:
    """Guards the test data itself: sizes relative to the configured limits."""
    assert len(gzip.compress(INFLATES_TOO_LARGE)) < HTTP_LIMIT < len(INFLATES_TOO_LARGE)
    assert len(HTTP_TOO_LARGE) > HTTP_LIMIT and len(GRPC_TOO_LARGE) > 1 << 20
    assert len(GRPC_TOO_LARGE) < 5 << 20 < len(GRPC_ABOVE_CEILING)
    for case in ("zstd-claims-small-size", "deflate-inflates-past-limit",
                 "gzip-too-many-members"):
        assert len(HTTP_CASES[case][0]) < HTTP_LIMIT
    assert len(GOOD) < HTTP_LIMIT


def _good_request(run: str) -> bytes:
    req = traces_request(spans=3, seed=int(run[-8:], 16))
    req.resource_spans[0].resource.attributes.extend(key_values({"test.run": run}))
    return req.SerializeToString()


def _counters(t: Target) -> tuple[float, float]:
    return (t.proc.metric(MALFORMED, {"receiver": "otlp"}),
            t.proc.metric(ACCEPTED, {"receiver": "otlp"}))


def _then_good_request_works(t: Target, transport: str, before_accepted: float) -> None:
    run = f"good-after-bad-{uuid.uuid4().hex[:8]}"
    body = _good_request(run)
    if transport == "http":
        reply = curl_post(f"http://127.0.0.1:{t.http}/v1/traces", body, PROTOBUF)
        assert reply.status == 200, (reply.status, reply.body[:300])
        assert reply.content_type.split(";")[0] == "application/x-protobuf", reply.content_type
        response = ExportTraceServiceResponse.FromString(reply.body)
    else:
        code, raw, details = grpc_export(t.grpc, "traces", body)
        assert code == grpc.StatusCode.OK, (code, details)
        response = ExportTraceServiceResponse.FromString(raw)
    assert response.partial_success.rejected_spans == 0, response
    wait_for_items(t.out, "traces", {"test.run": run}, 3)
    wait_until(lambda: t.proc.metric(ACCEPTED, {"receiver": "otlp"}) >= before_accepted + 3,
               5.0, "accepted spans to count the good request")
    assert t.proc.metric(ACCEPTED, {"receiver": "otlp"}) == before_accepted + 3


def _assert_refusal_counted(t: Target, before: tuple[float, float], labeled_before: float,
                            labels: dict[str, str]) -> None:
    """+1 on the malformed counter (under ``labels``), accepted spans unchanged."""
    eventually(lambda: _counters(t)[0] >= before[0] + 1, 5.0)
    malformed, accepted = _counters(t)
    samples = "\n".join(ln for ln in t.proc.scrape().splitlines() if ln.startswith(MALFORMED))
    assert malformed == before[0] + 1, (
        f"{MALFORMED}{{receiver=otlp}} grew by {malformed - before[0]}, expected 1; "
        f"samples now:\n{samples or '(none)'}")
    labeled = t.proc.metric(MALFORMED, labels)
    assert labeled == labeled_before + 1, (
        f"{MALFORMED}{labels} grew by {labeled - labeled_before}:\n{samples}")
    assert accepted == before[1], f"{ACCEPTED} changed by {accepted - before[1]} on a bad request"


@pytest.mark.parametrize("case", list(HTTP_CASES))
def test_bad_http_request(target: Target, case: str) -> None:
    body, headers, want_status, check_body, reason = HTTP_CASES[case]
    labels = {"receiver": "otlp", "transport": "http", "reason": reason}
    before, labeled_before = _counters(target), target.proc.metric(MALFORMED, labels)
    reply = curl_post(f"http://127.0.0.1:{target.http}/v1/traces", body, headers)
    assert reply.status == want_status, (
        f"{case}: HTTP {reply.status}, expected {want_status}: {reply.body[:300]!r}")
    if check_body is not None:
        check_body(reply.body)
    assert target.proc.alive
    _assert_refusal_counted(target, before, labeled_before, labels)
    _then_good_request_works(target, "http", before[1])


GRPC_CASES = {
    "truncated-protobuf": (_must_not_parse(TRUNCATED), grpc.StatusCode.INVALID_ARGUMENT,
                           "malformed_protobuf"),
    "random-bytes": (_must_not_parse(RANDOM), grpc.StatusCode.INVALID_ARGUMENT,
                     "malformed_protobuf"),
    "message-too-large": (GRPC_TOO_LARGE, grpc.StatusCode.RESOURCE_EXHAUSTED, "too_large"),
    # refused by grpc itself; counted from grpc's channelz counters
    "message-above-grpc-ceiling": (GRPC_ABOVE_CEILING, grpc.StatusCode.RESOURCE_EXHAUSTED,
                                   "refused_by_grpc"),
}


@pytest.mark.parametrize("case", list(GRPC_CASES))
def test_bad_grpc_request(target: Target, case: str) -> None:
    raw, want, reason = GRPC_CASES[case]
    labels = {"receiver": "otlp", "transport": "grpc", "reason": reason}
    before, labeled_before = _counters(target), target.proc.metric(MALFORMED, labels)
    code, _, details = grpc_export(target.grpc, "traces", raw)
    assert code == want, f"{case}: gRPC {code} ({details}), expected {want}"
    assert target.proc.alive
    _assert_refusal_counted(target, before, labeled_before, labels)
    _then_good_request_works(target, "grpc", before[1])

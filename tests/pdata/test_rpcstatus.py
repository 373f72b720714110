"""google.rpc.Status / RetryInfo and partial success: round trips against generated classes."""

from __future__ import annotations

import pytest
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from otelpy.component import Signal
from otelpy.errors import RetryableError
from otelpy.pdata.rpcstatus import (
    RETRY_INFO_KEY,
    STATUS_DETAILS_KEY,
    RpcStatus,
    decode_partial_success,
    decode_status,
    encode_partial_success,
    encode_status,
    export_response,
    grpc_retry_trailers,
    http_status,
    retry_after,
    retry_after_header,
)


def test_encoded_status_parses_with_googleapis_classes() -> None:
    status = status_pb2.Status.FromString(encode_status(14, "overloaded", 2.25))
    assert (status.code, status.message) == (14, "overloaded")
    info = error_details_pb2.RetryInfo()
    assert status.details[0].Unpack(info)
    assert (info.retry_delay.seconds, info.retry_delay.nanos) == (2, 250_000_000)
    assert status_pb2.Status.FromString(encode_status(3, "bad")).details == []


def test_status_from_googleapis_classes_decodes() -> None:
    detail = any_pb2.Any()
    detail.Pack(error_details_pb2.RetryInfo(retry_delay={"seconds": 1, "nanos": 500_000_000}))
    other = any_pb2.Any()
    other.Pack(error_details_pb2.DebugInfo(detail="ignored"))
    raw = status_pb2.Status(code=8, message="quota", details=[other, detail])
    assert decode_status(raw.SerializeToString()) == RpcStatus(8, "quota", 1.5)
    assert decode_status(status_pb2.Status(code=5).SerializeToString()) == RpcStatus(5, "", None)
    assert decode_status(b"") is None
    assert decode_status(b"\xff\xff\xff") is None


def test_encode_then_decode_keeps_the_delay() -> None:
    assert decode_status(encode_status(14, "later", 0.3)) == RpcStatus(14, "later", 0.3)


def test_grpc_retry_trailers_carry_status_and_bare_retry_info() -> None:
    trailers = dict(grpc_retry_trailers("queue is full", 2.5))
    assert set(trailers) == {STATUS_DETAILS_KEY, RETRY_INFO_KEY}
    assert decode_status(trailers[STATUS_DETAILS_KEY]) == RpcStatus(
        code_pb2.UNAVAILABLE, "queue is full", 2.5)
    bare = error_details_pb2.RetryInfo.FromString(trailers[RETRY_INFO_KEY])
    assert bare.retry_delay.ToNanoseconds() == 2_500_000_000


@pytest.mark.parametrize("http_code, code", [
    (400, code_pb2.INVALID_ARGUMENT), (401, code_pb2.UNAUTHENTICATED),
    (403, code_pb2.PERMISSION_DENIED), (404, code_pb2.UNIMPLEMENTED),
    (429, code_pb2.RESOURCE_EXHAUSTED), (502, code_pb2.UNAVAILABLE),
    (503, code_pb2.UNAVAILABLE), (504, code_pb2.UNAVAILABLE), (500, code_pb2.UNKNOWN),
], ids=lambda v: str(v))
def test_http_status_codes_match_collector(http_code: int, code: int) -> None:
    st = http_status(http_code, "why", 1.0 if http_code == 503 else None)
    assert (st.code, st.message, len(st.details)) == (code, "why", int(http_code == 503))


@pytest.mark.parametrize("hint, delay, header", [
    (2.5, 2.5, "3"), (None, 1.0, "1"), (0.0, 1.0, "1"), (0.2, 0.2, "1"), (30.0, 30.0, "30"),
], ids=["fraction", "none", "zero", "below-one", "whole"])
def test_retry_after_and_header(hint: float | None, delay: float, header: str) -> None:
    seconds = retry_after(RetryableError("busy", retry_after=hint))
    assert (seconds, retry_after_header(seconds)) == (delay, header)


def test_export_response_partial_success_only_when_something_was_rejected() -> None:
    assert export_response(Signal.TRACES).SerializeToString() == b""
    metrics = ExportMetricsServiceResponse.FromString(
        export_response(Signal.METRICS, 4, "bad IDs").SerializeToString())
    assert (metrics.partial_success.rejected_data_points,
            metrics.partial_success.error_message) == (4, "bad IDs")


def test_partial_success_round_trip() -> None:
    raw = encode_partial_success(Signal.TRACES, 7, "too old")
    resp = ExportTraceServiceResponse.FromString(raw)
    assert (resp.partial_success.rejected_spans, resp.partial_success.error_message) == (
        7, "too old")
    logs = ExportLogsServiceResponse()
    logs.partial_success.rejected_log_records = 2
    got = decode_partial_success(Signal.LOGS, logs.SerializeToString())
    assert got is not None and (got.rejected, got.message) == (2, "")
    assert decode_partial_success(Signal.TRACES, b"") is None
    assert decode_partial_success(Signal.TRACES,
                                  ExportTraceServiceResponse().SerializeToString()) is None

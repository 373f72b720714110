"""google.rpc.Status / RetryInfo and partial success: round trips against generated classes."""

from __future__ import annotations

from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from otelpy.component import Signal
from otelpy.exporterhelper.otlpstatus import (
    RpcStatus,
    decode_partial_success,
    decode_status,
    encode_partial_success,
    encode_status,
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

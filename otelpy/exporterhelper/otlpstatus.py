"""What OTLP servers answer, decoded for exporters (and encoded for test servers).

* ``google.rpc.Status`` — the body of an OTLP/HTTP error response and the gRPC
  ``grpc-status-details-bin`` trailer — with its ``google.rpc.RetryInfo`` detail,
  the server's hint of when to retry.
* ``partial_success`` of an ``Export*ServiceResponse``: items the server rejected.

The Status and RetryInfo messages are declared here from a FileDescriptorProto (the
same wire format as googleapis' generated classes), so no extra package is needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from otelpy.component import Signal

__all__ = ["RpcStatus", "PartialSuccess", "decode_status", "encode_status",
           "decode_partial_success", "encode_partial_success", "RETRY_INFO_TYPE",
           "STATUS_DETAILS_KEY"]

RETRY_INFO_TYPE = "type.googleapis.com/google.rpc.RetryInfo"
STATUS_DETAILS_KEY = "grpc-status-details-bin"

_F = descriptor_pb2.FieldDescriptorProto
_PKG = "otelpy.rpc"
# (message, [(field, number, scalar type or ".Message", repeated)])
_SHAPES = [
    ("Any", [("type_url", 1, _F.TYPE_STRING, False), ("value", 2, _F.TYPE_BYTES, False)]),
    ("Status", [("code", 1, _F.TYPE_INT32, False), ("message", 2, _F.TYPE_STRING, False),
                ("details", 3, ".Any", True)]),
    ("Duration", [("seconds", 1, _F.TYPE_INT64, False), ("nanos", 2, _F.TYPE_INT32, False)]),
    ("RetryInfo", [("retry_delay", 1, ".Duration", False)]),
]


def _build() -> dict[str, Any]:
    fdp = descriptor_pb2.FileDescriptorProto(name="otelpy/rpc_status.proto", package=_PKG,
                                             syntax="proto3")
    for name, fields in _SHAPES:
        msg = fdp.message_type.add(name=name)
        for fname, number, ftype, repeated in fields:
            f = msg.field.add(name=fname, number=number)
            f.label = _F.LABEL_REPEATED if repeated else _F.LABEL_OPTIONAL
            if isinstance(ftype, str):
                f.type, f.type_name = _F.TYPE_MESSAGE, f".{_PKG}{ftype}"
            else:
                f.type = ftype
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    return {name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{_PKG}.{name}"))
            for name, _ in _SHAPES}


_M = _build()


@dataclass(frozen=True)
class RpcStatus:
    """A decoded google.rpc.Status: code, message, and RetryInfo's delay in seconds if any."""

    code: int
    message: str
    retry_delay: float | None = None


def decode_status(data: bytes) -> RpcStatus | None:
    """Decode a google.rpc.Status; None if ``data`` is empty or not one."""
    if not data:
        return None
    try:
        status = _M["Status"].FromString(data)
        delay = None
        for detail in status.details:
            if detail.type_url == RETRY_INFO_TYPE:
                info = _M["RetryInfo"].FromString(detail.value)
                if info.HasField("retry_delay"):
                    delay = info.retry_delay.seconds + info.retry_delay.nanos / 1e9
    except DecodeError:
        return None
    return RpcStatus(status.code, status.message, delay)


def encode_status(code: int, message: str = "", retry_delay: float | None = None) -> bytes:
    """A serialized google.rpc.Status, with a RetryInfo detail when ``retry_delay`` is given."""
    status = _M["Status"](code=code, message=message)
    if retry_delay is not None:
        seconds = int(retry_delay)
        info = _M["RetryInfo"]()
        info.retry_delay.seconds = seconds
        info.retry_delay.nanos = int(round((retry_delay - seconds) * 1e9))
        status.details.add(type_url=RETRY_INFO_TYPE, value=info.SerializeToString())
    return bytes(status.SerializeToString())


@dataclass(frozen=True)
class PartialSuccess:
    """Items the server rejected from an accepted request, and why."""

    rejected: int
    message: str


_REJECTED = {Signal.TRACES: "rejected_spans", Signal.METRICS: "rejected_data_points",
             Signal.LOGS: "rejected_log_records"}


_RESPONSES: dict[Signal, Any] = {
    Signal.TRACES: ExportTraceServiceResponse,
    Signal.METRICS: ExportMetricsServiceResponse,
    Signal.LOGS: ExportLogsServiceResponse,
}


def decode_partial_success(signal: Signal, data: bytes) -> PartialSuccess | None:
    """The partial_success of a serialized Export*ServiceResponse; None when the response is
    empty, undecodable, or reports no rejection."""
    if not data:
        return None
    try:
        resp = _RESPONSES[signal].FromString(data)
    except DecodeError:
        return None
    if not resp.HasField("partial_success"):
        return None
    ps = resp.partial_success
    rejected = int(getattr(ps, _REJECTED[signal]))
    if not rejected and not ps.error_message:
        return None
    return PartialSuccess(rejected, ps.error_message)


def encode_partial_success(signal: Signal, rejected: int, message: str) -> bytes:
    """A serialized Export*ServiceResponse reporting a partial success."""
    resp = _RESPONSES[signal]()
    setattr(resp.partial_success, _REJECTED[signal], rejected)
    resp.partial_success.error_message = message
    return bytes(resp.SerializeToString())

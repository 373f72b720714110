"""OTLP's status payloads over gRPC and HTTP, in both directions (googleapis-common-protos).

* ``google.rpc.Status`` answers a refused request: over gRPC in the
  ``grpc-status-details-bin`` trailer, over HTTP as the response body (in the request's
  content type). A retryable refusal carries a ``google.rpc.RetryInfo`` detail, the
  server's hint of when to retry; over gRPC the bare RetryInfo also travels in
  ``google.rpc.retryinfo-bin`` (where the OpenTelemetry Python SDK looks for it), over
  HTTP the hint is the ``Retry-After`` header.
* ``partial_success`` of an ``Export*ServiceResponse``: items the server rejected from a
  request it accepted.

Servers (receivers, test sinks) use the ``encode`` side, clients (exporters) the
``decode`` side; decoding never raises, it answers None for what it cannot read.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from google.protobuf.duration_pb2 import Duration
from google.protobuf.message import DecodeError, Message
from google.rpc.code_pb2 import Code
from google.rpc.error_details_pb2 import RetryInfo
from google.rpc.status_pb2 import Status
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from otelpy.component import Signal
from otelpy.errors import RetryableError

__all__ = [
    "DEFAULT_RETRY_AFTER", "RETRY_INFO_KEY", "RETRY_INFO_TYPE", "STATUS_DETAILS_KEY",
    "PartialSuccess", "RpcStatus", "decode_partial_success", "decode_status",
    "encode_partial_success", "encode_status", "export_response", "grpc_retry_trailers",
    "http_status", "retry_after", "retry_after_header", "retry_info", "status",
]

STATUS_DETAILS_KEY = "grpc-status-details-bin"  # gRPC trailer: the serialized Status
RETRY_INFO_KEY = "google.rpc.retryinfo-bin"  # gRPC trailer: the bare RetryInfo
RETRY_INFO_TYPE = "type.googleapis.com/google.rpc.RetryInfo"  # its type URL in Status.details
DEFAULT_RETRY_AFTER = 1.0  # seconds, when a retryable refusal gives no hint

# HTTP status -> google.rpc code, as the Collector's statusutil.NewStatusFromMsgAndHTTPCode
_HTTP_TO_CODE = {
    400: Code.INVALID_ARGUMENT,
    401: Code.UNAUTHENTICATED,
    403: Code.PERMISSION_DENIED,
    404: Code.UNIMPLEMENTED,
    429: Code.RESOURCE_EXHAUSTED,
    502: Code.UNAVAILABLE,
    503: Code.UNAVAILABLE,
    504: Code.UNAVAILABLE,
}

# Export*ServiceResponse per signal, and the name of its partial_success count
_RESPONSES: dict[Signal, type[Message]] = {
    Signal.TRACES: ExportTraceServiceResponse,
    Signal.METRICS: ExportMetricsServiceResponse,
    Signal.LOGS: ExportLogsServiceResponse,
}
_REJECTED = {Signal.TRACES: "rejected_spans", Signal.METRICS: "rejected_data_points",
             Signal.LOGS: "rejected_log_records"}


# -- encoding: what a server answers ---------------------------------------------------
def retry_after(exc: RetryableError) -> float:
    """The retry delay to announce for ``exc`` (its hint, or 1 s)."""
    hint = exc.retry_after
    return hint if hint is not None and hint > 0 else DEFAULT_RETRY_AFTER


def retry_after_header(seconds: float) -> str:
    """An HTTP Retry-After value: whole seconds, rounded up, at least 1."""
    return str(max(1, math.ceil(seconds)))


def retry_info(seconds: float) -> RetryInfo:
    """A RetryInfo asking to retry after ``seconds`` (to the nearest nanosecond)."""
    delay = Duration()
    delay.FromNanoseconds(round(seconds * 1e9))
    return RetryInfo(retry_delay=delay)


def status(code: int, message: str = "", retry_seconds: float | None = None) -> Status:
    """A Status with google.rpc ``code``; with ``retry_seconds`` it carries a RetryInfo."""
    st = Status(code=code, message=message)
    if retry_seconds is not None:
        st.details.add().Pack(retry_info(retry_seconds))
    return st


def encode_status(code: int, message: str = "", retry_seconds: float | None = None) -> bytes:
    """:func:`status`, serialized (a gRPC status-details trailer, an HTTP error body)."""
    return status(code, message, retry_seconds).SerializeToString()


def http_status(http_code: int, message: str,
                retry_seconds: float | None = None) -> Status:
    """The Status answering an HTTP error ``http_code`` (UNKNOWN for unlisted codes)."""
    return status(_HTTP_TO_CODE.get(http_code, Code.UNKNOWN), message, retry_seconds)


def grpc_retry_trailers(message: str, seconds: float) -> tuple[tuple[str, bytes], ...]:
    """Trailing metadata of an UNAVAILABLE answer that asks the client to retry later."""
    return (
        (STATUS_DETAILS_KEY, encode_status(Code.UNAVAILABLE, message, seconds)),
        (RETRY_INFO_KEY, retry_info(seconds).SerializeToString()),
    )


def export_response(signal: Signal, rejected: int = 0, error_message: str = "") -> Message:
    """The Export*ServiceResponse of ``signal``: empty, or a partial success when
    ``rejected`` or ``error_message`` is given."""
    response_type = _RESPONSES[signal]
    if not rejected and not error_message:
        return response_type()
    build = cast(Callable[..., Message], response_type)  # protobuf stubs type no fields
    return build(partial_success={_REJECTED[signal]: rejected, "error_message": error_message})


def encode_partial_success(signal: Signal, rejected: int, message: str) -> bytes:
    """:func:`export_response`, serialized."""
    return export_response(signal, rejected, message).SerializeToString()


# -- decoding: what a client reads -----------------------------------------------------
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
        st = Status.FromString(data)
        delay = None
        for detail in st.details:
            if detail.type_url == RETRY_INFO_TYPE:
                info = RetryInfo.FromString(detail.value)
                if info.HasField("retry_delay"):
                    delay = info.retry_delay.seconds + info.retry_delay.nanos / 1e9
    except DecodeError:
        return None
    return RpcStatus(st.code, st.message, delay)


@dataclass(frozen=True)
class PartialSuccess:
    """Items the server rejected from an accepted request, and why."""

    rejected: int
    message: str


def decode_partial_success(signal: Signal, data: bytes) -> PartialSuccess | None:
    """The partial_success of a serialized Export*ServiceResponse; None when the response is
    empty, undecodable, or reports no rejection."""
    if not data:
        return None
    try:
        resp: Any = _RESPONSES[signal].FromString(data)
    except DecodeError:
        return None
    if not resp.HasField("partial_success"):
        return None
    ps = resp.partial_success
    rejected = int(getattr(ps, _REJECTED[signal]))
    if not rejected and not ps.error_message:
        return None
    return PartialSuccess(rejected, ps.error_message)

"""google.rpc.Status answers: gRPC trailers and HTTP error bodies, with RetryInfo.

OTLP answers a refused request with a ``google.rpc.Status``. Over gRPC it travels in
the ``grpc-status-details-bin`` trailer; a retryable refusal also carries the bare
RetryInfo in ``google.rpc.retryinfo-bin`` (where the OpenTelemetry Python SDK looks
for it). Over HTTP the Status is the response body, in the request's content type.
"""

from __future__ import annotations

import math

from google.protobuf.duration_pb2 import Duration
from google.rpc import code_pb2, error_details_pb2, status_pb2

from otelpy.errors import RetryableError

DEFAULT_RETRY_AFTER = 1.0  # seconds, when a retryable refusal gives no hint

# HTTP status -> google.rpc code, as the Collector's statusutil.NewStatusFromMsgAndHTTPCode
_HTTP_TO_CODE = {
    400: code_pb2.INVALID_ARGUMENT,
    401: code_pb2.UNAUTHENTICATED,
    403: code_pb2.PERMISSION_DENIED,
    404: code_pb2.UNIMPLEMENTED,
    429: code_pb2.RESOURCE_EXHAUSTED,
    502: code_pb2.UNAVAILABLE,
    503: code_pb2.UNAVAILABLE,
    504: code_pb2.UNAVAILABLE,
}


def retry_after(exc: RetryableError) -> float:
    """The retry delay to announce for ``exc`` (its hint, or 1 s)."""
    hint = exc.retry_after
    return hint if hint is not None and hint > 0 else DEFAULT_RETRY_AFTER


def retry_after_header(seconds: float) -> str:
    """An HTTP Retry-After value: whole seconds, rounded up, at least 1."""
    return str(max(1, math.ceil(seconds)))


def retry_info(seconds: float) -> error_details_pb2.RetryInfo:
    delay = Duration()
    delay.FromNanoseconds(int(seconds * 1e9))
    return error_details_pb2.RetryInfo(retry_delay=delay)


def status(code: int, message: str, retry_seconds: float | None = None) -> status_pb2.Status:
    """A Status; with ``retry_seconds`` it carries a RetryInfo detail."""
    st = status_pb2.Status(code=code, message=message)
    if retry_seconds is not None:
        st.details.add().Pack(retry_info(retry_seconds))
    return st


def http_status(http_code: int, message: str,
                retry_seconds: float | None = None) -> status_pb2.Status:
    """The Status answering an HTTP error ``http_code``."""
    return status(_HTTP_TO_CODE.get(http_code, code_pb2.UNKNOWN), message, retry_seconds)


def grpc_retry_trailers(message: str, seconds: float) -> tuple[tuple[str, bytes], ...]:
    """Trailing metadata of an UNAVAILABLE answer that asks the client to retry later."""
    st = status(code_pb2.UNAVAILABLE, message, seconds)
    return (
        ("grpc-status-details-bin", st.SerializeToString()),
        ("google.rpc.retryinfo-bin", retry_info(seconds).SerializeToString()),
    )

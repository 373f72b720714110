"""Counting refused input: ``otelpy_receiver_malformed_requests`` and a DEBUG line each."""

from __future__ import annotations

import logging

from otelpy.component import Settings

METRIC = "otelpy_receiver_malformed_requests"

# reasons (the ``reason`` label)
MALFORMED_PROTOBUF = "malformed_protobuf"
MALFORMED_JSON = "malformed_json"
INVALID_IDS = "invalid_ids"  # OTLP/JSON items dropped for bad IDs (partial success)
CONTENT_TYPE = "unsupported_content_type"
ENCODING = "bad_content_encoding"
TOO_LARGE = "too_large"
METHOD = "method_not_allowed"
TIMEOUT = "read_timeout"
HEADER_TIMEOUT = "read_header_timeout"
TOO_MANY_CONNECTIONS = "too_many_connections"
WRITE_TIMEOUT = "write_timeout"  # HTTP response not written in time; the connection is closed


class MalformedRequests:
    """Counts refused requests per transport and reason; logs each at DEBUG only."""

    def __init__(self, settings: Settings) -> None:
        self._receiver = str(settings.id)
        self.logger = settings.logger  # the receiver's
        self._counter = settings.telemetry.counter(
            METRIC, "Requests refused or partly dropped because their input was invalid",
            ["receiver", "transport", "reason"])

    def record(self, transport: str, reason: str, detail: str, count: int = 1) -> None:
        self._counter.labels(self._receiver, transport, reason).inc(count)
        if self.logger.isEnabledFor(logging.DEBUG):
            self.logger.debug("refused %s request (%s): %s", transport, reason, detail)

"""Configuration of the zipkin receiver (the Collector's zipkinreceiver keys)."""

from __future__ import annotations

from pydantic import Field

from otelpy.config.server import HTTPServerSettings


class ZipkinReceiverConfig(HTTPServerSettings):
    """``receivers: zipkin:`` settings: an HTTP server plus ``parse_string_tags``."""

    endpoint: str = Field(default="localhost:9411", description="host:port to listen on.")
    parse_string_tags: bool = Field(
        default=False, description="Turn string tags that look like ints, doubles or "
                                   "booleans into typed attributes.")

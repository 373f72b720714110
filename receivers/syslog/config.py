"""Configuration of the syslog receiver (the Collector's syslogreceiver keys and defaults)."""

from __future__ import annotations

import codecs
import re
import zoneinfo
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, WithJsonSchema, field_validator

from otelpy.config.server import Endpoint
from otelpy.config.tls import TLSServerSettings
from otelpy.config.types import ConfigModel

_SIZE = re.compile(r"^\s*(\d+(?:\.\d*)?)\s*([kmgt]i?b|b)?\s*$", re.IGNORECASE)
_UNITS = {"b": 1, "kb": 1 << 10, "kib": 1 << 10, "mb": 1 << 20, "mib": 1 << 20,
          "gb": 1 << 30, "gib": 1 << 30, "tb": 1 << 40, "tib": 1 << 40}


def _byte_size(value: Any) -> Any:
    """stanza's ByteSize: a number of bytes or ``1MiB``/``64kb`` (k/m/g with or without
    ``i`` are powers of 1024, as stanza reads them)."""
    if isinstance(value, str):
        m = _SIZE.match(value)
        if m is None:
            raise ValueError(f"invalid byte size {value!r} (e.g. 1MiB, 64KiB, 1024)")
        return int(float(m.group(1)) * _UNITS[(m.group(2) or "b").lower()])
    return value


ByteSize = Annotated[int, BeforeValidator(_byte_size), WithJsonSchema({
    "anyOf": [{"type": "integer", "minimum": 0},
              {"type": "string", "pattern": r"^\s*\d+(\.\d*)?\s*([kKmMgGtT][iI]?[bB]|[bB])?\s*$"}],
    "description": "bytes: a number or a size such as 1MiB, 64KiB"})]


class _ListenSettings(ConfigModel):
    listen_address: str = Field(description="host:port to listen on (`0.0.0.0:54526`).")
    add_attributes: bool = Field(False, description="Add `net.*` attributes: transport, peer "
                                 "and host IP, port and name.")
    one_log_per_packet: bool = Field(False, description="One record per read (UDP: per "
                                     "datagram) instead of splitting it into lines.")
    encoding: str = Field("utf-8", description="Character encoding of messages (utf-8, "
                          "utf-16le, utf-16be, ascii, latin-1, ...); invalid bytes are "
                          "replaced.")

    @field_validator("listen_address")
    @classmethod
    def _valid_address(cls, value: str) -> str:
        Endpoint.parse(value)
        return value

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(f"unknown encoding {value!r}") from None
        return value


class SyslogTCPSettings(_ListenSettings):
    """Syslog over TCP (RFC 6587 framing)."""

    max_log_size: ByteSize = Field(1 << 20, ge=1, description="Largest frame; a longer one "
                                   "closes the connection, counted.")
    tls: TLSServerSettings | None = Field(None, description="TLS for the listener (server "
                                          "certificate; `client_ca_file` requires client "
                                          "certificates).")


class UDPAsyncSettings(ConfigModel):
    """How datagrams are processed (the Collector's `udp::async`)."""

    readers: int = Field(1, ge=1, description="Accepted for compatibility; one socket reader "
                         "serves the socket.")
    processors: int = Field(1, ge=1, description="Tasks turning datagrams into records.")
    max_queue_length: int = Field(100, ge=1, description="Datagrams waiting for a processor; "
                                  "when full, new ones are dropped and counted.")


class SyslogUDPSettings(_ListenSettings):
    """Syslog over UDP: one or more messages per datagram."""

    async_: UDPAsyncSettings | None = Field(None, alias="async", description="Datagram "
                                            "queue and processors (default 1 processor, "
                                            "queue of 100).")


class SyslogReceiverConfig(ConfigModel):
    """``receivers: syslog:`` settings."""

    tcp: SyslogTCPSettings | None = Field(None, description="Listen on TCP.")
    udp: SyslogUDPSettings | None = Field(None, description="Listen on UDP.")
    protocol: Literal["rfc3164", "rfc5424"] | None = Field(
        None, description="Message format: `rfc3164` or `rfc5424` (required).")
    location: str = Field("UTC", description="Time zone of RFC 3164 timestamps (an IANA name "
                          "such as `Europe/Berlin`); they carry none.")
    enable_octet_counting: bool = Field(False, description="TCP frames are `LENGTH SP MSG` "
                                        "(RFC 6587 octet counting); RFC 5424 only.")
    max_octets: int = Field(8192, ge=1, description="Longest message with octet counting; "
                            "longer ones are kept raw and counted as unparsed.")
    allow_skip_pri_header: bool = Field(False, description="Accept messages without "
                                        "`<PRI>`; they get no priority, facility or "
                                        "severity.")
    non_transparent_framing_trailer: Literal["LF", "NUL"] | None = Field(
        None, description="TCP frames end with `LF` or `NUL` (RFC 6587 non-transparent "
        "framing); RFC 5424 only. Unset: LF.")
    operators: list[dict[str, Any]] = Field(default_factory=list, description="Stanza "
                                            "operators after the parser: not supported yet "
                                            "by this receiver (refused when not empty).")

    @field_validator("location")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (an IANA name such as "
                             "America/New_York)") from None
        return value

    def validate_config(self) -> list[str]:
        problems = []
        if self.tcp is None and self.udp is None:
            problems.append("need tcp config or udp config")
        if self.protocol is None:
            problems.append("protocol: missing required field (rfc3164 or rfc5424)")
        framed = self.enable_octet_counting or self.non_transparent_framing_trailer
        if framed and self.protocol == "rfc3164":
            problems.append("enable_octet_counting and non_transparent_framing_trailer are "
                            "only compatible with protocol rfc5424")
        if self.enable_octet_counting and self.non_transparent_framing_trailer:
            problems.append("enable_octet_counting and non_transparent_framing_trailer are "
                            "mutually exclusive")
        if framed and self.tcp is None:
            problems.append("octet_counting and non_transparent_framing is not compatible "
                            "with UDP")
        if self.operators:
            problems.append("operators: not supported by the syslog receiver yet")
        return problems

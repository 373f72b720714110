"""The syslog receiver: RFC 3164 / RFC 5424 messages over TCP and UDP, parsed
(:mod:`otelpy.syslog`) into log records as the Collector's syslog receiver makes them.

Each record's body is the message as received (the octet-counting length included, as
the Collector keeps it); the parsed fields are attributes, the message's timestamp is the
record's, and the PRI severity sets severity number and text. A message that does not
parse is still delivered, raw and without parsed attributes, and counted in
``otelpy_receiver_malformed_requests{reason="unparsed"}``.
"""

from __future__ import annotations

import logging
import zoneinfo

from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord

from otelpy.component import ComponentBase, Host, Settings, Signal
from otelpy.consumer import Consumer
from otelpy.errors import PermanentError, RetryableError
from otelpy.pdata.build import RequestBuilder
from otelpy.pdata.values import set_value
from otelpy.receivers.syslog.config import SyslogReceiverConfig
from otelpy.receivers.syslog.transport import (
    PeerNames,
    TCPListener,
    UDPListener,
    splitter_factory,
)
from otelpy.syslog import SyslogError, SyslogParser
from otelpy.tlsbuild import server_ssl_context

SHUTDOWN_GRACE = 1.0
MALFORMED = "otelpy_receiver_malformed_requests"


class SyslogReceiver(ComponentBase):
    """Listens on the configured TCP and/or UDP address; ``start`` binds every socket or
    none (ComponentStartError naming the address); ``shutdown`` is idempotent."""

    def __init__(self, settings: Settings, cfg: SyslogReceiverConfig, consumer: Consumer) -> None:
        self.settings = settings
        self.cfg = cfg
        self._consumer = consumer
        self._malformed = settings.telemetry.counter(
            MALFORMED, "Requests refused or partly dropped because their input was invalid",
            ["receiver", "transport", "reason"])
        assert cfg.protocol is not None  # validate_config requires it
        self.parser = SyslogParser(cfg.protocol, zoneinfo.ZoneInfo(cfg.location),
                                   cfg.allow_skip_pri_header, cfg.enable_octet_counting,
                                   cfg.max_octets)
        name = f"receiver {settings.id}"
        names = PeerNames()
        self.tcp: TCPListener | None = None
        self.udp: UDPListener | None = None
        if cfg.tcp is not None:
            self._tcp_encoding = cfg.tcp.encoding
            splitter = splitter_factory(cfg.enable_octet_counting,
                                        cfg.non_transparent_framing_trailer, cfg.tcp.max_log_size)
            self.tcp = TCPListener(name, cfg.tcp, splitter, self._emit_tcp, self.refuse, names)
        if cfg.udp is not None:
            self._udp_encoding = cfg.udp.encoding
            self.udp = UDPListener(name, cfg.udp, self._emit_udp, self.refuse, names)

    def refuse(self, transport: str, reason: str, detail: str, messages: int) -> None:
        self._malformed.labels(str(self.settings.id), transport, reason).inc(max(messages, 1))
        if self.settings.logger.isEnabledFor(logging.DEBUG):
            self.settings.logger.debug("syslog %s input %s: %s", transport, reason, detail)

    async def _emit_tcp(self, frames: list[bytes], net: dict[str, str]) -> None:
        await self._emit("tcp", self._tcp_encoding, frames, net)

    async def _emit_udp(self, frames: list[bytes], net: dict[str, str]) -> None:
        await self._emit("udp", self._udp_encoding, frames, net)

    async def _emit(self, transport: str, encoding: str, frames: list[bytes],
                    net: dict[str, str]) -> None:
        builder = RequestBuilder(Signal.LOGS)
        records = builder.scope({}).log_records
        observed = self.settings.clock.time_ns()
        for frame in frames:
            self._record(records.add(), frame.decode(encoding, "replace"), net, observed,
                         transport)
        try:
            await self._consumer.consume_logs(builder.batch())
        except (RetryableError, PermanentError) as exc:  # syslog cannot answer: count it
            self.refuse(transport, "refused_by_pipeline", str(exc), len(frames))

    def _record(self, record: LogRecord, text: str, net: dict[str, str], observed: int,
                transport: str) -> None:
        record.observed_time_unix_nano = observed
        record.body.string_value = text
        for key, value in net.items():
            record.attributes.add(key=key).value.string_value = value
        try:
            parsed = self.parser.parse(text)
        except SyslogError as exc:
            self.refuse(transport, "unparsed", f"{exc}: {text[:200]!r}", 1)
            return
        record.time_unix_nano = parsed.timestamp_ns
        record.severity_number = parsed.severity_number  # type: ignore[assignment]
        record.severity_text = parsed.severity_text
        for key, value in parsed.attributes.items():
            set_value(record.attributes.add(key=key).value, value)

    async def start(self, host: Host | None = None) -> None:
        try:
            if self.tcp is not None:
                assert self.cfg.tcp is not None
                tls = self.cfg.tcp.tls
                context = None if tls is None else \
                    server_ssl_context(tls, f"receiver {self.settings.id}: tcp::tls")
                await self.tcp.start(context)
                self.settings.logger.info("receiver %s: syslog %s listening on TCP %s",
                                          self.settings.id, self.cfg.protocol, self.tcp.port)
            if self.udp is not None:
                await self.udp.start()
                self.settings.logger.info("receiver %s: syslog %s listening on UDP %s",
                                          self.settings.id, self.cfg.protocol, self.udp.port)
        except BaseException:
            await self.shutdown()
            raise

    async def shutdown(self) -> None:
        if self.tcp is not None:
            await self.tcp.shutdown(SHUTDOWN_GRACE)
        if self.udp is not None:
            await self.udp.shutdown(SHUTDOWN_GRACE)

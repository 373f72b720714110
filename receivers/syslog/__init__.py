"""The ``syslog`` receiver: RFC 3164 and RFC 5424 over TCP (octet counting or
non-transparent framing, TLS) and UDP into log records, as the Collector's syslogreceiver."""

from __future__ import annotations

from collections.abc import Mapping

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.consumer import Consumer
from otelpy.receivers.syslog.config import SyslogReceiverConfig


def _create(settings: Settings, cfg: SyslogReceiverConfig,
            consumers: Mapping[Signal, Consumer]) -> object:
    from otelpy.receivers.syslog.receiver import SyslogReceiver
    return SyslogReceiver(settings, cfg, consumers[Signal.LOGS])


factory = Factory(
    type="syslog",
    kind=Kind.RECEIVER,
    config_type=SyslogReceiverConfig,
    create=_create,
    stability={Signal.LOGS.value: Stability.ALPHA},
    description="Receives RFC 3164 / RFC 5424 syslog over TCP and UDP",
)

__all__ = ["factory", "SyslogReceiverConfig"]

"""The ``fluentforward`` receiver: the Fluent forward protocol v1 (Message, Forward,
PackedForward, CompressedPackedForward; acks; UDP heartbeat) into log records, as the
Collector's fluentforwardreceiver."""

from __future__ import annotations

from collections.abc import Mapping

from otelpy.component import Factory, Kind, Settings, Signal, Stability, TypeAlias
from otelpy.consumer import Consumer
from otelpy.receivers.fluentforward.config import FluentForwardReceiverConfig


def _create(settings: Settings, cfg: FluentForwardReceiverConfig,
            consumers: Mapping[Signal, Consumer]) -> object:
    from otelpy.receivers.fluentforward.receiver import FluentForwardReceiver
    return FluentForwardReceiver(settings, cfg, consumers[Signal.LOGS])


factory = Factory(
    type="fluentforward",
    kind=Kind.RECEIVER,
    config_type=FluentForwardReceiverConfig,
    create=_create,
    stability={Signal.LOGS.value: Stability.BETA},
    description="Receives logs over the Fluent forward protocol (Fluentd, Fluent Bit)",
    aliases=(TypeAlias("fluent_forward"),),
)

__all__ = ["factory", "FluentForwardReceiverConfig"]

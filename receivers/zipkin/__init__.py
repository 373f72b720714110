"""The ``zipkin`` receiver: Zipkin v2 JSON and protobuf, v1 JSON, into OTLP traces, as the
Collector's zipkinreceiver."""

from __future__ import annotations

from collections.abc import Mapping

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.consumer import Consumer
from otelpy.receivers.zipkin.config import ZipkinReceiverConfig


def _create(settings: Settings, cfg: ZipkinReceiverConfig,
            consumers: Mapping[Signal, Consumer]) -> object:
    from otelpy.receivers.zipkin.receiver import ZipkinReceiver
    return ZipkinReceiver(settings, cfg, consumers[Signal.TRACES])


factory = Factory(
    type="zipkin",
    kind=Kind.RECEIVER,
    config_type=ZipkinReceiverConfig,
    create=_create,
    stability={Signal.TRACES.value: Stability.BETA},
    description="Receives Zipkin spans (v2 JSON and protobuf, v1 JSON) over HTTP",
)

__all__ = ["factory", "ZipkinReceiverConfig"]

"""The ``jaeger`` receiver: Jaeger Thrift (agent UDP compact/binary, collector HTTP) and
protobuf (gRPC ``CollectorService/PostSpans``) into OTLP traces, as the Collector's."""

from __future__ import annotations

from collections.abc import Mapping

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.consumer import Consumer
from otelpy.receivers.jaeger.config import JaegerReceiverConfig


def _create(settings: Settings, cfg: JaegerReceiverConfig,
            consumers: Mapping[Signal, Consumer]) -> object:
    # thrift and the generated types load with the component, not with the factory
    from otelpy.receivers.jaeger.receiver import JaegerReceiver
    return JaegerReceiver(settings, cfg, consumers[Signal.TRACES])


factory = Factory(
    type="jaeger",
    kind=Kind.RECEIVER,
    config_type=JaegerReceiverConfig,
    create=_create,
    stability={Signal.TRACES.value: Stability.BETA},
    description="Receives Jaeger Thrift (UDP agent, HTTP collector) and gRPC spans",
)

__all__ = ["factory", "JaegerReceiverConfig"]

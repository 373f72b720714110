"""The ``otlp`` receiver: OTLP over gRPC and HTTP (protobuf and JSON), as the Collector's."""

from __future__ import annotations

from collections.abc import Mapping

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.consumer import Consumer
from otelpy.receivers.otlp.config import OTLPReceiverConfig
from otelpy.receivers.otlp.receiver import OTLPReceiver


def _create(settings: Settings, cfg: OTLPReceiverConfig,
            consumers: Mapping[Signal, Consumer]) -> OTLPReceiver:
    return OTLPReceiver(settings, cfg, consumers)


factory = Factory(
    type="otlp",
    kind=Kind.RECEIVER,
    config_type=OTLPReceiverConfig,
    create=_create,
    stability={"traces": Stability.STABLE, "metrics": Stability.STABLE,
               "logs": Stability.STABLE},
    description="Receives OTLP over gRPC and HTTP (protobuf and JSON)",
)

__all__ = ["factory", "OTLPReceiverConfig", "OTLPReceiver"]

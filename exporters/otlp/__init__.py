"""The ``otlp_grpc`` exporter (alias ``otlp``, its name before Collector v0.144): OTLP over
gRPC, request bytes passed through, with queue and retries."""

from __future__ import annotations

from collections.abc import Iterable

from otelpy.component import Factory, Kind, Settings, Signal, Stability, TypeAlias
from otelpy.exporters.otlp.config import OTLPConfig
from otelpy.exporters.otlp.otlp import OTLPExporter


def _create(settings: Settings, cfg: OTLPConfig, signals: Iterable[Signal]) -> OTLPExporter:
    return OTLPExporter(settings, cfg, signals)


factory = Factory(
    type="otlp_grpc",
    aliases=(TypeAlias("otlp"),),
    kind=Kind.EXPORTER,
    config_type=OTLPConfig,
    create=_create,
    stability={s.value: Stability.BETA for s in Signal},
    description="Sends OTLP over gRPC with a sending queue and retries",
)

__all__ = ["factory", "OTLPConfig", "OTLPExporter"]

"""The ``otlp_http`` exporter (alias ``otlphttp``, its name before Collector v0.144):
OTLP/HTTP (protobuf or JSON) over aiohttp, with queue and retries."""

from __future__ import annotations

from collections.abc import Iterable

from otelpy.component import Factory, Kind, Settings, Signal, Stability, TypeAlias
from otelpy.exporters.otlphttp.config import OTLPHTTPConfig
from otelpy.exporters.otlphttp.otlphttp import OTLPHTTPExporter


def _create(settings: Settings, cfg: OTLPHTTPConfig,
            signals: Iterable[Signal]) -> OTLPHTTPExporter:
    return OTLPHTTPExporter(settings, cfg, signals)


factory = Factory(
    type="otlp_http",
    aliases=(TypeAlias("otlphttp"),),
    kind=Kind.EXPORTER,
    config_type=OTLPHTTPConfig,
    create=_create,
    stability={s.value: Stability.BETA for s in Signal},
    description="Sends OTLP over HTTP (protobuf or JSON) with a sending queue and retries",
)

__all__ = ["factory", "OTLPHTTPConfig", "OTLPHTTPExporter"]

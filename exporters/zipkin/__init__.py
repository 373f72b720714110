"""The ``zipkin`` exporter: traces as Zipkin v2 JSON or protobuf over HTTP, with queue and
retries, as the Collector's zipkinexporter."""

from __future__ import annotations

from collections.abc import Iterable

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.exporters.zipkin.config import ZipkinExporterConfig


def _create(settings: Settings, cfg: ZipkinExporterConfig, signals: Iterable[Signal]) -> object:
    from otelpy.exporters.zipkin.exporter import ZipkinExporter
    return ZipkinExporter(settings, cfg, signals)


factory = Factory(
    type="zipkin",
    kind=Kind.EXPORTER,
    config_type=ZipkinExporterConfig,
    create=_create,
    stability={Signal.TRACES.value: Stability.BETA},
    description="Sends traces to Zipkin (v2 JSON or protobuf)",
)

__all__ = ["factory", "ZipkinExporterConfig"]

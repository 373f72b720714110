"""The ``loki`` exporter: logs to Loki's push API (snappy protobuf or JSON) with labels from
the Collector's loki hints, tenants and the shared queue and retries, as the Collector's
(deprecated) lokiexporter."""

from __future__ import annotations

from collections.abc import Iterable

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.exporters.loki.config import LokiExporterConfig


def _create(settings: Settings, cfg: LokiExporterConfig, signals: Iterable[Signal]) -> object:
    from otelpy.exporters.loki.exporter import LokiExporter
    return LokiExporter(settings, cfg, signals)


factory = Factory(
    type="loki",
    kind=Kind.EXPORTER,
    config_type=LokiExporterConfig,
    create=_create,
    stability={Signal.LOGS.value: Stability.BETA},
    description="Sends logs to Loki's push API (snappy protobuf or JSON)",
)

__all__ = ["factory", "LokiExporterConfig"]

"""The ``influxdb`` exporter: metrics as InfluxDB line protocol (the Collector's
influxdbexporter layouts), v2 or v1 API, with queue and retries."""

from __future__ import annotations

from collections.abc import Iterable

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.exporters.influxdb.config import InfluxDBConfig
from otelpy.exporters.influxdb.exporter import InfluxDBExporter


def _create(settings: Settings, cfg: InfluxDBConfig,
            signals: Iterable[Signal]) -> InfluxDBExporter:
    return InfluxDBExporter(settings, cfg, signals)


factory = Factory(
    type="influxdb",
    kind=Kind.EXPORTER,
    config_type=InfluxDBConfig,
    create=_create,
    stability={Signal.METRICS.value: Stability.ALPHA},
    description="Writes metrics to InfluxDB (v2 or v1 API) as line protocol",
)

__all__ = ["factory", "InfluxDBConfig", "InfluxDBExporter"]

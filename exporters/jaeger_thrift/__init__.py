"""The ``jaeger_thrift`` exporter: traces as Jaeger Thrift ``Batch`` bodies POSTed to a Jaeger
collector's ``/api/traces``, for Jaeger deployments older than 1.35 (no OTLP intake). The
Collector's own ``jaeger_thrift`` exporter was removed in v0.85; this one keeps its keys."""

from __future__ import annotations

from collections.abc import Iterable

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.exporters.jaeger_thrift.config import JaegerThriftExporterConfig


def _create(settings: Settings, cfg: JaegerThriftExporterConfig,
            signals: Iterable[Signal]) -> object:
    from otelpy.exporters.jaeger_thrift.exporter import JaegerThriftExporter
    return JaegerThriftExporter(settings, cfg, signals)


factory = Factory(
    type="jaeger_thrift",
    kind=Kind.EXPORTER,
    config_type=JaegerThriftExporterConfig,
    create=_create,
    stability={Signal.TRACES.value: Stability.BETA},
    description="Sends traces to a Jaeger collector as Thrift over HTTP (/api/traces)",
)

__all__ = ["factory", "JaegerThriftExporterConfig"]

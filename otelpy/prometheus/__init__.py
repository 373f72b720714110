"""Prometheus naming, series accumulation and text exposition (see README.md).

Shared by the prometheus exporter and, later, remote write, the prometheus receiver and
alert evaluation; nothing here imports a component.
"""

from otelpy.prometheus.exposition import (
    OPENMETRICS,
    TEXT,
    Format,
    go_float,
    negotiate,
    render,
    render_chunks,
)
from otelpy.prometheus.naming import LabelNamer, MetricNamer, MetricType, NameError_, unit_suffix
from otelpy.prometheus.store import Family, SeriesStore, StoreSettings

__all__ = ["OPENMETRICS", "TEXT", "Family", "Format", "LabelNamer", "MetricNamer", "MetricType",
           "NameError_", "SeriesStore", "StoreSettings", "go_float", "negotiate", "render",
           "render_chunks", "unit_suffix"]

"""The ``debug`` exporter: writes telemetry as text for troubleshooting."""

from __future__ import annotations

from collections.abc import Iterable

from otelpy.component import Factory, Kind, Settings, Signal, Stability, TypeAlias
from otelpy.exporters.debug.config import DebugConfig, LoggingConfig
from otelpy.exporters.debug.debug import DebugExporter


def _create(settings: Settings, cfg: DebugConfig, signals: Iterable[Signal]) -> DebugExporter:
    return DebugExporter(settings, cfg, signals)


factory = Factory(
    type="debug",
    kind=Kind.EXPORTER,
    config_type=DebugConfig,
    create=_create,
    stability={s.value: Stability.DEVELOPMENT for s in Signal},
    description="Writes telemetry to the log or stdout: counts, one line per item, or in full",
    aliases=(TypeAlias(
        "logging", config_type=LoggingConfig,
        deprecated='the "logging" exporter was removed from the Collector (v0.111); otelpy runs '
                   'it as the "debug" exporter: rename it to "debug" (and loglevel to '
                   'verbosity)'),),
)

__all__ = ["factory", "DebugConfig", "DebugExporter"]

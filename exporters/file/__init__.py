"""The ``file`` exporter: OTLP/JSON lines or length-prefixed protobuf into a rotated file."""

from __future__ import annotations

from collections.abc import Iterable

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.exporters.file.config import FileConfig, RotationSettings
from otelpy.exporters.file.file import FileExporter


def _create(settings: Settings, cfg: FileConfig, signals: Iterable[Signal]) -> FileExporter:
    return FileExporter(settings, cfg, signals)


factory = Factory(
    type="file",
    kind=Kind.EXPORTER,
    config_type=FileConfig,
    create=_create,
    stability={s.value: Stability.ALPHA for s in Signal},
    description="Writes telemetry to a file as OTLP/JSON lines or length-prefixed protobuf",
)

__all__ = ["factory", "FileConfig", "FileExporter", "RotationSettings"]

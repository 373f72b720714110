"""The ``file_storage`` extension: durable logs on the local file system."""

from __future__ import annotations

from otelpy.component import Factory, Kind, Settings, Stability
from otelpy.extensions.file_storage.config import FileStorageConfig
from otelpy.extensions.file_storage.extension import FileStorageExtension


def _create(settings: Settings, cfg: FileStorageConfig) -> FileStorageExtension:
    return FileStorageExtension(settings, cfg)


factory = Factory(
    type="file_storage",
    kind=Kind.EXTENSION,
    config_type=FileStorageConfig,
    create=_create,
    stability={"extension": Stability.ALPHA},
    description="Keeps persistent sending queues on disk: checksummed append-only segment "
                "logs with a configurable fsync policy",
)

__all__ = ["factory", "FileStorageConfig", "FileStorageExtension"]

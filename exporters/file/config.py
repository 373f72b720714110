"""Configuration of the file exporter: the Collector's fileexporter keys and defaults."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from otelpy.config.types import ConfigModel, Duration
from otelpy.exporterhelper import ExporterHelperSettings, OptInQueueSettings, OptInRetrySettings


class RotationSettings(ConfigModel):
    """``rotation``: roll the file over by size; keep backups by count and age."""

    max_megabytes: int = Field(100, ge=1, description="Size in MiB at which the file is "
                               "rotated.")
    max_days: int = Field(0, ge=0, description="Delete backups older than this many days; "
                          "0 = keep regardless of age.")
    max_backups: int = Field(100, ge=0, description="Backups to keep; 0 = keep all.")
    localtime: bool = Field(False, description="Timestamp backup names in local time "
                            "instead of UTC.")


class FileConfig(ExporterHelperSettings):
    """``exporters: file:`` settings."""

    path: str = Field("", description="File to write to (required).")
    format: Literal["json", "proto"] = Field(
        "json", description="`json`: one OTLP/JSON Export*ServiceRequest per line; `proto`: "
        "each serialized request preceded by its length (4 bytes, big-endian).")
    append: bool = Field(False, description="Append to an existing file instead of starting "
                         "it anew when otelpy starts (with rotation, an existing file is "
                         "rotated to a backup); a config reload always appends.")
    rotation: RotationSettings | None = Field(None, description="Rotate the file by size; "
                                              "unset = never rotate.")
    flush_interval: Duration = Field(1.0, description="How often buffered data is flushed to "
                                     "the file; 0 = after every batch.")
    compression: Literal["", "zstd"] = Field(
        "", description="`zstd` compresses each request separately and writes it "
        "length-prefixed (also with format json); empty = none.")
    timeout: Duration = Field(0.0, description="Time limit of one write; 0 = none.")
    sending_queue: OptInQueueSettings = Field(
        default_factory=lambda: OptInQueueSettings(),
        description="Sending queue; disabled by default (writes keep their order and the "
        "caller waits for the disk).")
    retry_on_failure: OptInRetrySettings = Field(
        default_factory=lambda: OptInRetrySettings(),
        description="Retries of failed writes; disabled by default.")

    def validate_config(self) -> list[str]:
        problems = super().validate_config()
        if not self.path:
            problems.append("path: must be set")
        if self.append and self.compression:
            problems.append("append: cannot be combined with compression")
        return problems

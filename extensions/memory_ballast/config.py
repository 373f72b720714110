"""Configuration of the memory_ballast extension: the removed Collector extension's keys."""

from __future__ import annotations

from pydantic import Field

from otelpy.config.types import ConfigModel


class MemoryBallastConfig(ConfigModel):
    """``extensions: memory_ballast:``; accepted for old configs, no effect."""

    size_mib: int = Field(0, ge=0, description="Ballast size in MiB; accepted, no effect.")
    size_in_percentage: int = Field(0, ge=0, le=100, description="Ballast size as a "
                                    "percentage of total memory; accepted, no effect.")

"""Configuration of the deltatocumulative processor (the Collector's keys)."""

from __future__ import annotations

from pydantic import Field

from otelpy.config.types import ConfigModel, Duration

#: What ``max_streams: 0`` means here (the Collector: no limit).
STREAM_CEILING = 1_000_000


class DeltaToCumulativeConfig(ConfigModel):
    """``processors: deltatocumulative:`` settings."""

    max_stale: Duration = Field(
        300.0, description="A stream that received no sample for this long is forgotten "
                           "(its next sample starts a new cumulative series); counted.")
    max_streams: int = Field(
        0, ge=0, description="Most streams tracked; a sample of a new stream beyond it is "
                             "dropped and counted. 0 = otelpy's ceiling of 1,000,000 (the "
                             "Collector: no limit).")

    def stream_limit(self) -> int:
        return self.max_streams or STREAM_CEILING

    def validate_config(self) -> list[str]:
        if self.max_stale <= 0:
            return ["max_stale: must be a positive duration"]
        return []

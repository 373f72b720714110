"""Configuration of the probabilistic_sampler processor (the Collector's keys and defaults)."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field

from otelpy.config.types import ConfigModel


class ProbabilisticSamplerConfig(ConfigModel):
    """``processors: probabilistic_sampler:`` settings."""

    sampling_percentage: float = Field(
        default=0.0, ge=0,
        description="Percentage of items sampled (a 32-bit float, as in the Collector); >= 100 "
                    "samples everything, 0 nothing. Must not be negative or below 2^-56.")
    hash_seed: int = Field(
        default=0, ge=0, le=2**32 - 1,
        description="Seed of the FNV hash of the hash_seed mode (unsigned 32-bit). Every "
                    "collector of one tier must use the same seed.")
    mode: Literal["", "hash_seed", "proportional", "equalizing"] = Field(
        default="",
        description="hash_seed (the default: FNV hash of the trace ID or of from_attribute), "
                    "proportional (multiplies the arriving OTEP 235 probability), or "
                    "equalizing (lowers arriving probabilities to sampling_percentage).")
    fail_closed: bool = Field(
        default=True,
        description="Drop items whose sampling information is unusable (no randomness, an "
                    "invalid tracestate, an inconsistent threshold); false lets them pass.")
    sampling_precision: int = Field(
        default=4, ge=1, le=14,
        description="Hex digits of the threshold written in tracestate `th` (or the "
                    "sampling.threshold attribute of log records).")
    attribute_source: Literal["traceID", "record"] = Field(
        default="traceID",
        description="Logs: where randomness comes from, the trace ID or the record "
                    "attribute from_attribute (record selects the hash_seed mode).")
    from_attribute: str = Field(
        default="",
        description="Logs: record attribute hashed for randomness when attribute_source is "
                    "record or the record has no trace ID.")
    sampling_priority: str = Field(
        default="",
        description="Logs: record attribute holding a sampling percentage that replaces "
                    "sampling_percentage for that record (non-zero numbers only).")

    def validate_config(self) -> list[str]:
        pct = self.sampling_percentage
        if math.isinf(pct) or math.isnan(pct):
            return [f"sampling_percentage: sampling rate is invalid: {pct}%"]
        if 0 < pct / 100 < 2.0 ** -56:
            return [f"sampling_percentage: sampling rate is too small: {pct:g}%"]
        return []

    @property
    def effective_mode(self) -> str:
        """The mode in force: hash_seed when unset (the Collector's default)."""
        return self.mode or "hash_seed"

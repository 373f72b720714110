"""Configuration of the logspike processor (otelpy's own; the Collector has none)."""

from __future__ import annotations

from pydantic import Field, field_validator

from otelpy.config.types import ConfigModel, Duration, ExtensionID
from otelpy.pdata.severity import parse_level


class LogSpikeConfig(ConfigModel):
    """``processors: logspike:`` settings."""

    window: Duration = Field(
        default=60.0, description="Length of the tumbling windows records are counted in "
                                  "(by arrival time); also the baseline's step.")
    factor: float = Field(
        default=3.0, gt=1,
        description="A window is a spike when its count exceeds this many times the "
                    "pattern's baseline (and reaches min_count).")
    min_count: int = Field(
        default=10, ge=1, description="Fewest records of a pattern in a window for a spike.")
    baseline_windows: int = Field(
        default=30, ge=1,
        description="Span of the baseline's moving average in windows (alpha = 2 / (n + 1)).")
    warmup_windows: int = Field(
        default=5, ge=0,
        description="Closed windows of history a pattern needs before its spikes are "
                    "reported.")
    min_severity: str = Field(
        default="ERROR",
        description="Least severity of the records watched (TRACE, DEBUG, INFO, WARN, ERROR, "
                    "FATAL); others pass untouched.")
    new_patterns: bool = Field(
        default=True, description="Report the first record of each pattern the detector "
                                  "does not hold (new_pattern).")
    max_patterns: int = Field(
        default=10_000, ge=1,
        description="Patterns held; past it the least recently seen is forgotten (counted "
                    "in otelpy_processor_logspike_evicted).")
    max_trace_ids: int = Field(
        default=10, ge=0, le=1000,
        description="Distinct trace IDs kept per pattern and window and put on the event.")
    id_attribute: str = Field(
        default="log.pattern.id", min_length=1,
        description="Record attribute holding the pattern ID (set by the logpattern "
                    "processor). Watched records without it are counted and passed on.")
    template_attribute: str = Field(
        default="log.pattern.template", min_length=1,
        description="Record attribute holding the pattern's template.")
    spike_severity: str = Field(
        default="critical", min_length=1,
        description="`severity` attribute (and label) of error_spike events.")
    new_pattern_severity: str = Field(
        default="warning", min_length=1,
        description="`severity` attribute (and label) of new_pattern events.")

    storage: ExtensionID | None = Field(
        default=None,
        description="ID of a storage extension (`file_storage/<name>`): the baselines, the "
                    "open windows and the patterns already seen are saved there and restored "
                    "at start, so a restart neither relearns the baselines nor reports known "
                    "patterns as new.")
    snapshot_interval: Duration = Field(
        default=30.0,
        description="How often the state is saved to `storage` when it changed (also at "
                    "shutdown). 0: only at shutdown.")

    @field_validator("min_severity")
    @classmethod
    def _level(cls, value: str) -> str:
        level = parse_level(value)
        if level is None or level == "UNSPECIFIED":
            raise ValueError(f"unknown severity {value!r}: use TRACE, DEBUG, INFO, WARN, "
                             "ERROR or FATAL")
        return level

    def validate_config(self) -> list[str]:
        return [] if self.window > 0 else ["window: must be a positive duration"]

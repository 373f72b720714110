"""Configuration of the debug exporter: the Collector's debugexporter keys and defaults."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from otelpy.config.types import Duration
from otelpy.exporterhelper import ExporterHelperSettings, OptInQueueSettings, OptInRetrySettings


class DebugConfig(ExporterHelperSettings):
    """``exporters: debug:`` settings."""

    verbosity: Literal["basic", "normal", "detailed"] = Field(
        "basic", description="`basic`: one line per batch with counts; `normal`: one line "
        "per span, data point or log record; `detailed`: every field of every item.")
    sampling_initial: int = Field(2, ge=1, description="Outputs written each second before "
                                  "sampling starts (internal logger only).")
    sampling_thereafter: int = Field(1, ge=1, description="After sampling_initial in a "
                                     "second, write every Nth output (internal logger only).")
    use_internal_logger: bool = Field(True, description="Write through otelpy's logger "
                                      "(stderr, sampled); false writes to stdout, unsampled.")
    timeout: Duration = Field(0.0, description="Time limit of one write; 0 = none.")
    sending_queue: OptInQueueSettings = Field(
        default_factory=lambda: OptInQueueSettings(),
        description="Sending queue; disabled by default, as in the Collector.")
    retry_on_failure: OptInRetrySettings = Field(
        default_factory=lambda: OptInRetrySettings(),
        description="Retries; disabled by default (writing output does not fail "
        "transiently).")

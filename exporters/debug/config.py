"""Configuration of the debug exporter: the Collector's debugexporter keys and defaults."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

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


_LOGLEVEL_VERBOSITY = {"debug": "detailed", "info": "normal", "warn": "basic", "error": "basic"}


class LoggingConfig(DebugConfig):
    """``exporters: logging:``, the Collector's removed logging exporter, run as ``debug``.

    Its ``loglevel`` (deprecated there too) maps to ``verbosity`` as it did:
    debug -> detailed, info -> normal, warn/error -> basic.
    """

    loglevel: Literal["debug", "info", "warn", "error"] | None = Field(
        None, description="logging exporter only (deprecated): debug = verbosity detailed, "
        "info = normal, warn/error = basic; set verbosity instead.")

    @model_validator(mode="before")
    @classmethod
    def _loglevel(cls, data: Any) -> Any:
        if not isinstance(data, dict) or data.get("loglevel") is None:
            return data
        level = str(data["loglevel"]).lower()
        if "verbosity" in data:
            raise ValueError("loglevel and verbosity are both set; set only verbosity")
        return {**data, "loglevel": level,
                "verbosity": _LOGLEVEL_VERBOSITY.get(level, data["loglevel"])}

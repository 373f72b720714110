"""Configuration of the pprof extension (the Collector's pprofextension keys)."""

from __future__ import annotations

from pydantic import Field

from otelpy.config.server import Endpoint
from otelpy.config.types import ConfigModel, Duration

GO_ONLY = ("block_profile_fraction", "mutex_profile_fraction")


class DialerConfig(ConfigModel):
    """confignet's ``dialer``: part of the Collector's address settings."""

    timeout: Duration = Field(
        default=0.0, description="Accepted for Collector compatibility, no effect: the "
                                 "extension listens, it never dials (as in the Collector).")


class PprofConfig(ConfigModel):
    """``extensions: pprof:`` settings."""

    endpoint: str = Field(
        default="localhost:1777",
        description="host:port serving /debug/pprof/; \":1777\" listens on every interface, "
                    "\"localhost\" binds 127.0.0.1.")
    dialer: DialerConfig = Field(default=DialerConfig(),
                                 description="Accepted for Collector compatibility, no effect.")
    block_profile_fraction: int = Field(
        default=0, description="Go runtime setting (runtime.SetBlockProfileRate). Accepted so "
                               "Collector configs run unchanged; no effect in otelpy, which has "
                               "no block profile (a value above 0 logs a warning at start).")
    mutex_profile_fraction: int = Field(
        default=0, description="Go runtime setting (runtime.SetMutexProfileFraction). Accepted "
                               "so Collector configs run unchanged; no effect in otelpy, which "
                               "has no mutex profile (a value above 0 logs a warning at start).")
    save_to_file: str = Field(
        default="",
        description="Profile the whole run and write it to this file at shutdown (the file is "
                    "created at start). The format follows the name: .html, .txt, "
                    ".speedscope.json (or .speedscope), anything else a pyinstrument session "
                    "(JSON, `pyinstrument --load FILE`). Sampling the whole run costs CPU all "
                    "along. Empty = off.")

    def validate_config(self) -> list[str]:
        try:
            Endpoint.parse(self.endpoint)
        except ValueError as exc:
            return [str(exc)]
        return []

"""Configuration of the filelog receiver: the Collector's filelogreceiver keys, plus
``preset`` (otelpy's: ready-made operators for common formats, run before ``operators``)."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field

from otelpy.component import ComponentID
from otelpy.config.types import ConfigModel, Duration
from otelpy.goregex import compile_go
from otelpy.stanza.config import ByteSize, OperatorConfig
from otelpy.stanza.pipeline import operator_problems
from otelpy.stanza.presets import PRESETS, preset_operators

__all__ = ["FileLogConfig", "MultilineConfig"]

ENCODINGS = ("utf-8", "utf8", "utf-8-raw", "utf8-raw", "ascii", "us-ascii", "latin-1",
             "latin1", "iso-8859-1", "iso8859-1", "utf-16le", "utf16le", "utf-16be",
             "utf16be", "nop")


class MultilineConfig(ConfigModel):
    """Records spanning several lines: exactly one of the two patterns."""

    line_start_pattern: str = Field(default="", description="RE2 regex matching the start "
                                    "of each record.")
    line_end_pattern: str = Field(default="", description="RE2 regex matching the end of "
                                  "each record.")
    omit_pattern: bool = Field(default=False, description="Leave the matched pattern out "
                               "of the record.")


class FileLogConfig(ConfigModel):
    include: list[str] = Field(default_factory=list, description="Glob patterns of the "
                               "files read (required; ** matches directories).")
    exclude: list[str] = Field(default_factory=list, description="Glob patterns of paths "
                               "matched by include that are not read.")
    start_at: Literal["beginning", "end"] = Field(
        default="end", description="Where to start in files found by the first poll "
        "(files that appear later are read from their start).")
    poll_interval: Duration = Field(default=0.2, description="Time between two looks for "
                                    "files and new data.")
    fingerprint_size: ByteSize = Field(default=1000, description="First bytes of a file "
                                       "that identify it (at least 16).")
    max_log_size: ByteSize = Field(default=1024 * 1024, description="Longest record; longer "
                                   "ones are cut to this size and counted.")
    max_concurrent_files: int = Field(default=1024, ge=1, description="Files open at once; "
                                      "more matched files are handled in batches.")
    max_batches: int = Field(default=0, ge=0, description="Batches of max_concurrent_files "
                             "per poll (0 = all).")
    encoding: str = Field(default="utf-8", description="utf-8 (invalid bytes replaced), "
                          "ascii, latin-1 / iso-8859-1, utf-16le, utf-16be, or nop (body as "
                          "bytes).")
    multiline: MultilineConfig | None = Field(default=None, description="Split records on "
                                              "a pattern instead of newlines.")
    force_flush_period: Duration = Field(default=0.5, description="Emit an unterminated "
                                         "last record after this long without new data.")
    preserve_leading_whitespaces: bool = Field(default=False, description="Keep leading "
                                               "whitespace of records.")
    preserve_trailing_whitespaces: bool = Field(default=False, description="Keep trailing "
                                                "whitespace of records.")
    include_file_name: bool = Field(default=True, description="Attribute log.file.name.")
    include_file_path: bool = Field(default=False, description="Attribute log.file.path.")
    include_file_name_resolved: bool = Field(default=False, description="Attribute "
                                             "log.file.name_resolved (symlinks resolved).")
    include_file_path_resolved: bool = Field(default=False, description="Attribute "
                                             "log.file.path_resolved (symlinks resolved).")
    delete_after_read: bool = Field(default=False, description="Delete each file once read "
                                    "to its end and delivered (needs start_at: beginning).")
    attributes: dict[str, Any] = Field(default_factory=dict, description="Attributes added "
                                       "to every record.")
    resource: dict[str, Any] = Field(default_factory=dict, description="Resource attributes "
                                     "of every record.")
    storage: str | None = Field(default=None, description="ID of a storage extension "
                                "(file_storage) keeping file offsets across restarts.")
    preset: Literal["", "nginx_combined", "apache_combined", "json"] = Field(
        default="", description="otelpy's ready-made operators for a format, run before "
        "`operators` (see the README).")
    operators: list[OperatorConfig] = Field(default_factory=list, description="The "
                                            "Collector's operators, applied in order.")

    def all_operators(self) -> list[Any]:
        return preset_operators(self.preset) + list(self.operators)

    def validate_config(self) -> list[str]:
        problems: list[str] = []
        if not self.include:
            problems.append("include: at least one glob pattern is required")
        if self.encoding.lower() not in ENCODINGS:
            problems.append(f"encoding: unsupported encoding {self.encoding!r} (one of "
                            f"{', '.join(ENCODINGS)})")
        if self.fingerprint_size < 16:
            problems.append("fingerprint_size: must be at least 16 bytes")
        if self.max_log_size <= 0:
            problems.append("max_log_size: must be greater than 0")
        if self.delete_after_read and self.start_at == "end":
            problems.append("delete_after_read: cannot be true when start_at is end")
        problems.extend(self._multiline_problems())
        if self.storage is not None:
            try:
                ComponentID.parse(self.storage)
            except ValueError as exc:
                problems.append(f"storage: {exc}")
        if self.preset and self.preset not in PRESETS:
            problems.append(f"preset: unknown preset {self.preset!r}")
        problems.extend(operator_problems(self.all_operators()))
        return problems

    def _multiline_problems(self) -> list[str]:
        ml = self.multiline
        if ml is None:
            return []
        if bool(ml.line_start_pattern) == bool(ml.line_end_pattern):
            return ["multiline: exactly one of line_start_pattern or line_end_pattern is "
                    "required"]
        key = "line_start_pattern" if ml.line_start_pattern else "line_end_pattern"
        try:
            compile_go(getattr(ml, key))
        except re.error as exc:
            return [f"multiline::{key}: invalid regular expression: {exc}"]
        return []

"""Configuration of the file_storage extension: the Collector's filestorage keys plus
otelpy's fsync policy and segment size."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from otelpy.config.types import ConfigModel, Duration
from otelpy.storage import FsyncPolicy, LogOptions


class CompactionConfig(ConfigModel):
    """The Collector's bbolt compaction settings: accepted, no effect in otelpy (a segment
    file is deleted as soon as every record in it is acknowledged)."""

    on_start: bool = Field(False, description="No effect (accepted for Collector "
                           "compatibility).")
    on_rebound: bool = Field(False, description="No effect.")
    directory: str = Field("", description="No effect.")
    max_transaction_size: int = Field(65536, ge=0, description="No effect.")
    rebound_needed_threshold_mib: int = Field(100, ge=0, description="No effect.")
    rebound_trigger_threshold_mib: int = Field(10, ge=0, description="No effect.")
    check_interval: Duration = Field(5.0, description="No effect.")
    cleanup_on_start: bool = Field(False, description="No effect.")


class FileStorageConfig(ConfigModel):
    """``extensions: file_storage[/name]:`` settings."""

    directory: str = Field(..., description="Directory holding the data (one sub-directory "
                           "per component and queue). Required: otelpy has no default "
                           "location.")
    create_directory: bool = Field(False, description="Create `directory` (with "
                                   "`directory_permissions`) when it does not exist; when "
                                   "false, a missing directory fails the start.")
    directory_permissions: str = Field("0750", description="Octal permissions of a directory "
                                       "created because of `create_directory` (minus the "
                                       "umask).")
    timeout: Duration = Field(1.0, description="Longest wait for the lock of a queue "
                              "directory held by another process.")
    fsync: bool = Field(False, description="The Collector's key. true = fsync after every "
                        "write (`fsync_policy: batch`); false given explicitly (and no "
                        "`fsync_policy`) = `fsync_policy: interval`.")
    fsync_policy: Literal["batch", "interval", "never"] = Field(
        "batch", description="When an enqueued batch counts as durable. `batch`: fsync before "
        "the enqueue returns (concurrent enqueues share one fsync); `interval`: the enqueue "
        "returns after write() and a periodic fsync follows within `fsync_interval`: "
        "survives kill -9; a power loss or kernel crash loses at most about the last "
        "`fsync_interval` of acknowledged data; `never`: after write(), never fsynced: "
        "survives kill -9, not a power loss. See docs/guarantees.md.")
    fsync_interval: Duration = Field(1.0, description="With `fsync_policy: interval`, the "
                                     "longest time written data waits for its fsync (at "
                                     "most one fsync per interval, only when something was "
                                     "written): what a power loss can lose.")
    segment_size_mib: int = Field(16, ge=1, description="Size at which a segment file is "
                                  "closed and a new one started (a larger record gets a "
                                  "segment of its own).")
    compaction: CompactionConfig = Field(default_factory=CompactionConfig,
                                         description="Accepted for Collector compatibility; "
                                         "no effect.")

    def effective_policy(self) -> FsyncPolicy:
        """The fsync policy the keys ask for (see ``fsync``)."""
        if "fsync_policy" in self.model_fields_set:
            return FsyncPolicy(self.fsync_policy)
        if "fsync" in self.model_fields_set:
            return FsyncPolicy.BATCH if self.fsync else FsyncPolicy.INTERVAL
        return FsyncPolicy(self.fsync_policy)

    def log_options(self) -> LogOptions:
        return LogOptions(self.effective_policy(), self.fsync_interval,
                          self.segment_size_mib * 1024 * 1024, self.timeout)

    def validate_config(self) -> list[str]:
        problems = []
        if not self.directory.strip():
            problems.append("directory must not be empty")
        explicit = self.model_fields_set
        if "fsync" in explicit and "fsync_policy" in explicit:
            implied = "batch" if self.fsync else ("interval", "never")
            if self.fsync_policy not in implied:
                problems.append(f"fsync: {str(self.fsync).lower()} contradicts fsync_policy: "
                                f"{self.fsync_policy}; set only one of them")
        if self.effective_policy() is FsyncPolicy.INTERVAL and self.fsync_interval <= 0:
            problems.append("fsync_interval must be greater than 0 with fsync_policy: interval")
        try:
            mode = int(self.directory_permissions, 8)
        except ValueError:
            mode = -1
        if not 0 <= mode <= 0o7777:
            problems.append(f"directory_permissions {self.directory_permissions!r} is not an "
                            "octal mode such as 0750")
        return problems

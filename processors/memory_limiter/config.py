"""Configuration of the memory_limiter processor (the Collector's keys and defaults)."""

from __future__ import annotations

from pydantic import Field

from otelpy.config.types import ConfigModel, Duration


class MemoryLimiterConfig(ConfigModel):
    """``processors: memory_limiter:`` settings. Sizes are in MiB, percentages of total
    memory (the cgroup limit when there is one, else the machine's memory)."""

    check_interval: Duration = Field(
        default=0.0,
        description="Time between two measurements of the process memory (RSS). Required: "
                    "must be greater than zero; 1s is the Collector's recommendation.",
    )
    limit_mib: int = Field(
        default=0, ge=0,
        description="Hard limit: the most memory (RSS, MiB) the process should use. Data is "
                    "refused from limit_mib - spike_limit_mib on. Takes precedence over "
                    "limit_percentage.",
    )
    spike_limit_mib: int = Field(
        default=0, ge=0,
        description="Headroom below limit_mib for spikes between two measurements; the soft "
                    "limit is limit_mib - spike_limit_mib. 0 means 20% of limit_mib. Must be "
                    "smaller than limit_mib.",
    )
    limit_percentage: int = Field(
        default=0, ge=0,
        description="Hard limit as a percentage of total memory, used when limit_mib is 0 "
                    "(1-100).",
    )
    spike_limit_percentage: int = Field(
        default=0, ge=0,
        description="Spike headroom as a percentage of total memory, used with "
                    "limit_percentage. 0 means 20% of the limit. Must be smaller than "
                    "limit_percentage.",
    )
    min_gc_interval_when_soft_limited: Duration = Field(
        default=10.0,
        description="Least time between two forced garbage collections (gc.collect) while "
                    "memory is above the soft limit.",
    )
    min_gc_interval_when_hard_limited: Duration = Field(
        default=0.0,
        description="Least time between two forced garbage collections while memory is above "
                    "the hard limit (0: at every check).",
    )

    def validate_config(self) -> list[str]:
        problems = []
        if self.check_interval <= 0:
            problems.append("check_interval must be greater than zero")
        if self.limit_mib == 0 and self.limit_percentage == 0:
            problems.append("limit_mib or limit_percentage must be greater than zero")
        if self.limit_percentage > 100 or self.spike_limit_percentage > 100:
            problems.append("limit_percentage and spike_limit_percentage must be greater than "
                            "zero and less than or equal to 100")
        if self.limit_mib and self.spike_limit_mib >= self.limit_mib:
            problems.append("spike_limit_mib must be smaller than limit_mib")
        if self.limit_percentage and self.spike_limit_percentage >= self.limit_percentage:
            problems.append("spike_limit_percentage must be smaller than limit_percentage")
        if self.min_gc_interval_when_soft_limited < self.min_gc_interval_when_hard_limited:
            problems.append("min_gc_interval_when_soft_limited must be greater than or equal to "
                            "min_gc_interval_when_hard_limited")
        return problems

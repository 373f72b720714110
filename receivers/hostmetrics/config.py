"""Configuration of the hostmetrics receiver (the Collector's hostmetricsreceiver keys).

``scrapers`` names the scrapers to run; a scraper named with no value (YAML null) runs
with its defaults. Each scraper's ``metrics::<name>::enabled`` toggles come from
:mod:`otelpy.receivers.hostmetrics.metadata`, with the Collector's defaults.
"""

from __future__ import annotations

import os
import re
from typing import Any

from pydantic import BaseModel, Field, create_model, model_validator

from otelpy.config.types import ConfigModel, Duration
from otelpy.filtermatch.config import RegexpSettings
from otelpy.goregex import compile_go
from otelpy.receivers.hostmetrics.metadata import PROCESS_RESOURCE, SCRAPERS

__all__ = ["HostMetricsConfig", "MatchSet", "Scrapers"]


class EnabledByDefault(ConfigModel):
    """A metric or resource attribute the Collector emits by default."""

    enabled: bool = Field(default=True, description="Whether it is emitted.")


class DisabledByDefault(ConfigModel):
    """A metric or resource attribute the Collector leaves off by default."""

    enabled: bool = Field(default=False, description="Whether it is emitted.")


def _toggles(model_name: str, entries: list[tuple[str, bool, str]]) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for name, enabled, description in entries:
        kind = EnabledByDefault if enabled else DisabledByDefault
        fields[re.sub(r"\W", "_", name)] = (kind, Field(
            default_factory=kind, alias=name, description=description))
    return create_model(model_name, __base__=ConfigModel, **fields)


METRICS_MODELS: dict[str, type[BaseModel]] = {
    scraper: _toggles(f"{scraper.title()}Metrics",
                      [(m.name, m.enabled, m.description) for m in metrics])
    for scraper, metrics in SCRAPERS.items()}

ProcessResourceAttributes = _toggles(
    "ProcessResourceAttributes", [(a.name, a.enabled, a.description) for a in PROCESS_RESOURCE])


class MatchSet(ConfigModel):
    """Names to match: strict (equal) or regexp (RE2 search), as the Collector's filterset."""

    match_type: str = Field(default="", description="strict or regexp. Required with names.")
    regexp: RegexpSettings | None = Field(default=None, description="Options of regexp.")

    def names(self) -> list[str]:
        raise NotImplementedError

    def problems(self, where: str) -> list[str]:
        if not self.names() and not self.match_type:
            return []
        if self.match_type not in ("strict", "regexp"):
            return [f"{where}::match_type: unrecognized match_type \"{self.match_type}\", "
                    "valid types are: regexp, strict"]
        out = []
        if self.match_type == "regexp":
            for i, pattern in enumerate(self.names()):
                try:
                    compile_go(pattern)
                except re.error as exc:
                    out.append(f'{where}::{i}: invalid regular expression "{pattern}": {exc}')
        return out


class DeviceMatch(MatchSet):
    devices: list[str] = Field(default_factory=list, description="Device names.")

    def names(self) -> list[str]:
        return self.devices


class InterfaceMatch(MatchSet):
    interfaces: list[str] = Field(default_factory=list, description="Interface names.")

    def names(self) -> list[str]:
        return self.interfaces


class FSTypeMatch(MatchSet):
    fs_types: list[str] = Field(default_factory=list, description="Filesystem types.")

    def names(self) -> list[str]:
        return self.fs_types


class MountPointMatch(MatchSet):
    mount_points: list[str] = Field(default_factory=list, description="Mount points.")

    def names(self) -> list[str]:
        return self.mount_points


class NameMatch(MatchSet):
    names_: list[str] = Field(default_factory=list, alias="names",
                              description="Process executable names.")

    def names(self) -> list[str]:
        return self.names_


class ScraperConfig(ConfigModel):
    """Settings every scraper has."""

    @model_validator(mode="before")
    @classmethod
    def _null_toggles(cls, data: Any) -> Any:
        """``metrics: {system.cpu.time: }`` (null) keeps the metric's default."""
        if isinstance(data, dict):
            return {k: ({m: ({} if v is None else v) for m, v in val.items()}
                        if k in ("metrics", "resource_attributes") and isinstance(val, dict)
                        else val) for k, val in data.items()}
        return data

    def filter_problems(self) -> list[str]:
        out: list[str] = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, MatchSet):
                out.extend(value.problems(name))
        return out


def _scraper(name: str, extra: type[ScraperConfig] = ScraperConfig) -> type[ScraperConfig]:
    metrics = METRICS_MODELS[name]
    return create_model(  # type: ignore[no-any-return]
        f"{name.title()}ScraperConfig", __base__=extra,
        metrics=(metrics, Field(default_factory=metrics,
                                description="Per metric: `enabled: true|false`.")))


class _LoadExtra(ScraperConfig):
    cpu_average: bool = Field(
        default=False, description="Divide the load averages by the number of logical CPUs.")


class _DiskExtra(ScraperConfig):
    include: DeviceMatch | None = Field(default=None, description="Only these devices.")
    exclude: DeviceMatch | None = Field(default=None, description="Not these devices.")


class _NetworkExtra(ScraperConfig):
    include: InterfaceMatch | None = Field(default=None, description="Only these interfaces.")
    exclude: InterfaceMatch | None = Field(default=None, description="Not these interfaces.")


class _FilesystemExtra(ScraperConfig):
    include_devices: DeviceMatch | None = Field(default=None, description="Only these devices.")
    exclude_devices: DeviceMatch | None = Field(default=None, description="Not these devices.")
    include_fs_types: FSTypeMatch | None = Field(
        default=None, description="Only these filesystem types.")
    exclude_fs_types: FSTypeMatch | None = Field(
        default=None, description="Not these filesystem types.")
    include_mount_points: MountPointMatch | None = Field(
        default=None, description="Only these mount points.")
    exclude_mount_points: MountPointMatch | None = Field(
        default=None, description="Not these mount points.")
    include_virtual_filesystems: bool = Field(
        default=False,
        description="Also report virtual filesystems (those marked nodev in "
                    "/proc/filesystems: tmpfs, proc, ...).")


class _ProcessExtra(ScraperConfig):
    include: NameMatch | None = Field(default=None, description="Only processes named so.")
    exclude: NameMatch | None = Field(default=None, description="Not processes named so.")
    mute_process_all_errors: bool = Field(
        default=False, description="Report no error reading any process.")
    mute_process_name_error: bool = Field(
        default=False, description="Report no error reading a process's name.")
    mute_process_exe_error: bool = Field(
        default=False,
        description="Report no error reading a process's executable path (kernel threads "
                    "have none).")
    mute_process_io_error: bool = Field(
        default=False, description="Report no error reading a process's I/O counters.")
    mute_process_user_error: bool = Field(
        default=False, description="Report no error resolving a process's owner.")
    mute_process_cgroup_error: bool = Field(
        default=False, description="Report no error reading a process's cgroup.")
    scrape_process_delay: Duration = Field(
        default=0.0, description="Skip processes younger than this.")
    resource_attributes: ProcessResourceAttributes = Field(  # type: ignore[valid-type]
        default_factory=ProcessResourceAttributes,
        description="Per resource attribute: `enabled: true|false`.")


CPUScraper = _scraper("cpu")
MemoryScraper = _scraper("memory")
LoadScraper = _scraper("load", _LoadExtra)
DiskScraper = _scraper("disk", _DiskExtra)
FilesystemScraper = _scraper("filesystem", _FilesystemExtra)
NetworkScraper = _scraper("network", _NetworkExtra)
PagingScraper = _scraper("paging")
ProcessesScraper = _scraper("processes")
ProcessScraper = _scraper("process", _ProcessExtra)

_NULLABLE = tuple(SCRAPERS)


class Scrapers(ConfigModel):
    """The scrapers to run; name one with no value to run it with its defaults."""

    cpu: CPUScraper | None = Field(  # type: ignore[valid-type]
        default=None, description="CPU time per logical CPU and state.")
    memory: MemoryScraper | None = Field(  # type: ignore[valid-type]
        default=None, description="Memory usage by state.")
    load: LoadScraper | None = Field(  # type: ignore[valid-type]
        default=None, description="Load averages.")
    disk: DiskScraper | None = Field(  # type: ignore[valid-type]
        default=None, description="Disk I/O per device (/proc/diskstats).")
    filesystem: FilesystemScraper | None = Field(  # type: ignore[valid-type]
        default=None, description="Filesystem space and inodes per mount point.")
    network: NetworkScraper | None = Field(  # type: ignore[valid-type]
        default=None, description="Network interface I/O and TCP connections.")
    paging: PagingScraper | None = Field(  # type: ignore[valid-type]
        default=None, description="Swap usage, paging operations and page faults.")
    processes: ProcessesScraper | None = Field(  # type: ignore[valid-type]
        default=None, description="Process counts by status and processes created.")
    process: ProcessScraper | None = Field(  # type: ignore[valid-type]
        default=None, description="Per-process CPU, memory and disk I/O.")

    @model_validator(mode="before")
    @classmethod
    def _null_means_defaults(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: ({} if v is None and k in _NULLABLE else v) for k, v in data.items()}
        return data

    def enabled(self) -> dict[str, ScraperConfig]:
        """Configured scrapers by name, in the order above."""
        return {name: value for name in type(self).model_fields
                if (value := getattr(self, name)) is not None}


class HostMetricsConfig(ConfigModel):
    """``receivers: hostmetrics:`` settings."""

    collection_interval: Duration = Field(
        default=60.0, gt=0, description="How often the scrapers run.")
    initial_delay: Duration = Field(
        default=1.0, description="How long after start the first scrape runs.")
    timeout: Duration = Field(
        default=0.0,
        description="Longest a scrape may take before it is counted as failed (0: no limit).")
    root_path: str = Field(
        default="",
        description="Where the host's root filesystem is mounted (containers: e.g. /hostfs); "
                    "/proc, /sys and mount points are read under it. Every hostmetrics "
                    "receiver of a process must use the same root_path.")
    metadata_collection_interval: Duration = Field(
        default=300.0,
        description="The Collector's interval for host entity events (logs); accepted for "
                    "compatibility, otelpy emits no entity events.")
    scrapers: Scrapers = Field(default_factory=Scrapers, description="The scrapers to run.")

    def validate_config(self) -> list[str]:
        problems: list[str] = []
        enabled = self.scrapers.enabled()
        if not enabled:
            problems.append("scrapers: must specify at least one scraper when using "
                            "hostmetrics receiver")
        for name, scraper in enabled.items():
            problems.extend(f"scrapers::{name}::{p}" for p in scraper.filter_problems())
        if self.root_path and not os.path.isdir(self.root_path):
            problems.append(f"root_path: invalid root_path: {self.root_path!r} is not a "
                            "directory")
        return problems


def enabled_flags(toggles: BaseModel) -> dict[str, bool]:
    """``{name: enabled}`` of a ``metrics`` or ``resource_attributes`` block."""
    return {(f.alias or name): bool(getattr(toggles, name).enabled)
            for name, f in type(toggles).model_fields.items()}

"""What each scraper emits: the Collector's metadata.yaml of every hostmetrics scraper.

Names, units, descriptions, sum or gauge, monotonicity, value types, attributes and
which metrics are on by default are those of
``receiver/hostmetricsreceiver/internal/scraper/<name>scraper/metadata.yaml``. Every sum is
cumulative. No psutil here: config models and docs read this module.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MetricDef", "ResourceAttrDef", "SCRAPERS", "PROCESS_RESOURCE", "SCOPE_PREFIX"]

SCOPE_PREFIX = ("github.com/open-telemetry/opentelemetry-collector-contrib/receiver/"
                "hostmetricsreceiver/internal/scraper/")


@dataclass(frozen=True)
class MetricDef:
    """One metric: ``kind`` is ``sum`` or ``gauge``; ``value`` is ``int`` or ``double``."""

    name: str
    unit: str
    kind: str
    value: str
    monotonic: bool
    enabled: bool
    attributes: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class ResourceAttrDef:
    name: str
    type: str
    enabled: bool
    description: str


def _sum(name: str, unit: str, value: str, monotonic: bool, enabled: bool,
         attributes: tuple[str, ...], description: str) -> MetricDef:
    return MetricDef(name, unit, "sum", value, monotonic, enabled, attributes, description)


def _gauge(name: str, unit: str, value: str, enabled: bool, attributes: tuple[str, ...],
           description: str) -> MetricDef:
    return MetricDef(name, unit, "gauge", value, False, enabled, attributes, description)


_CPU = (
    _sum("system.cpu.time", "s", "double", True, True, ("cpu", "state"),
         "Total seconds each logical CPU spent on each mode."),
    _gauge("system.cpu.utilization", "1", "double", False, ("cpu", "state"),
           "Difference in system.cpu.time since the last measurement per logical CPU, divided "
           "by the elapsed time (value in interval [0,1])."),
    _sum("system.cpu.physical.count", "{cpu}", "int", False, False, (),
         "Number of available physical CPUs."),
    _sum("system.cpu.logical.count", "{cpu}", "int", False, False, (),
         "Number of available logical CPUs."),
    _gauge("system.cpu.frequency", "Hz", "double", False, ("cpu",),
           "Current frequency of the CPU core in Hz."),
)

_MEMORY = (
    _sum("system.memory.usage", "By", "int", False, True, ("state",), "Bytes of memory in use."),
    _gauge("system.memory.utilization", "1", "double", False, ("state",),
           "Percentage of memory bytes in use."),
    _sum("system.memory.limit", "By", "int", False, False, (),
         "Total bytes of memory available."),
    _sum("system.linux.memory.available", "By", "int", False, False, (),
         "An estimate of how much memory is available for starting new applications, without "
         "swapping. This is a more accurate alternative than system.memory.usage with "
         "state=free. (Linux only)"),
    _sum("system.linux.memory.dirty", "By", "int", False, False, (),
         "The amount of dirty memory according to `/proc/meminfo`."),
    _sum("system.memory.linux.shared", "By", "int", False, False, (),
         "Shared memory usage, including tmpfs filesystems and System V/POSIX shared memory. "
         "Only supported on Linux."),
    _gauge("system.memory.page_size", "By", "int", False, (),
           "A constant value for the system's configured page size."),
    _sum("system.memory.linux.hugepages.limit", "{page}", "int", False, False, (),
         "Total number of hugepages available."),
    _gauge("system.memory.linux.hugepages.page_size", "By", "int", False, (),
           "System hugepage size in bytes."),
    _gauge("system.memory.linux.hugepages.reserved", "{page}", "int", False, (),
           "Number of reserved hugepages (hugepages for which a commitment to allocate has "
           "been made, but no allocation has yet been made)."),
    _gauge("system.memory.linux.hugepages.surplus", "{page}", "int", False, (),
           "Number of surplus hugepages (overcommitted hugepages beyond the persistent pool)."),
    _sum("system.memory.linux.hugepages.usage", "{page}", "int", False, False,
         ("system.memory.linux.hugepages.state",), "Number of hugepages in use by state."),
    _gauge("system.memory.linux.hugepages.utilization", "1", "double", False,
           ("system.memory.linux.hugepages.state",), "Percentage of hugepages in use by state."),
)

_LOAD = (
    _gauge("system.cpu.load_average.1m", "{thread}", "double", True, (),
           "Average CPU Load over 1 minute."),
    _gauge("system.cpu.load_average.5m", "{thread}", "double", True, (),
           "Average CPU Load over 5 minutes."),
    _gauge("system.cpu.load_average.15m", "{thread}", "double", True, (),
           "Average CPU Load over 15 minutes."),
)

_DISK_DIR = ("device", "direction")
_DISK = (
    _sum("system.disk.io", "By", "int", True, True, _DISK_DIR, "Disk bytes transferred."),
    _sum("system.disk.operations", "{operations}", "int", True, True, _DISK_DIR,
         "Disk operations count."),
    _sum("system.disk.io_time", "s", "double", True, True, ("device",),
         "Time disk spent activated. On Windows, this is calculated as the inverse of disk "
         "idle time."),
    _sum("system.disk.operation_time", "s", "double", True, True, _DISK_DIR,
         "Time spent in disk operations."),
    _sum("system.disk.weighted_io_time", "s", "double", True, True, ("device",),
         "Time disk spent activated multiplied by the queue length."),
    _sum("system.disk.pending_operations", "{operations}", "int", False, True, ("device",),
         "The queue size of pending I/O operations."),
    _sum("system.disk.merged", "{operations}", "int", True, True, _DISK_DIR,
         "The number of disk reads/writes merged into single physical disk access operations."),
)

_FS = ("device", "mode", "mountpoint", "type")
_FILESYSTEM = (
    _sum("system.filesystem.usage", "By", "int", False, True, (*_FS, "state"),
         "Filesystem bytes used."),
    _sum("system.filesystem.inodes.usage", "{inodes}", "int", False, True, (*_FS, "state"),
         "FileSystem inodes used."),
    _gauge("system.filesystem.utilization", "1", "double", False, _FS,
           "Fraction of filesystem bytes used."),
)

_NET_DIR = ("device", "direction")
_NETWORK = (
    _sum("system.network.packets", "{packets}", "int", True, True, _NET_DIR,
         "The number of packets transferred."),
    _sum("system.network.dropped", "{packets}", "int", True, True, _NET_DIR,
         "The number of packets dropped."),
    _sum("system.network.errors", "{errors}", "int", True, True, _NET_DIR,
         "The number of errors encountered."),
    _sum("system.network.io", "By", "int", True, True, _NET_DIR,
         "The number of bytes transmitted and received."),
    _sum("system.network.connections", "{connections}", "int", False, True,
         ("protocol", "state"), "The number of connections."),
    _sum("system.network.conntrack.count", "{entries}", "int", False, False, (),
         "The count of entries in conntrack table."),
    _sum("system.network.conntrack.max", "{entries}", "int", False, False, (),
         "The limit for entries in the conntrack table."),
)

_PAGING = (
    _sum("system.paging.usage", "By", "int", False, True, ("device", "state"),
         "Swap (unix) or pagefile (windows) usage."),
    _sum("system.paging.operations", "{operations}", "int", True, True, ("direction", "type"),
         "The number of paging operations."),
    _sum("system.paging.faults", "{faults}", "int", True, True, ("type",),
         "The number of page faults."),
    _gauge("system.paging.utilization", "1", "double", False, ("device", "state"),
           "Swap (unix) or pagefile (windows) utilization."),
)

_PROCESSES = (
    _sum("system.processes.count", "{processes}", "int", False, True, ("status",),
         "Total number of processes in each state."),
    _sum("system.processes.created", "{processes}", "int", True, True, (),
         "Total number of created processes."),
)

_PROCESS = (
    _sum("process.cpu.time", "s", "double", True, True, ("state",),
         "Total CPU seconds broken down by different states."),
    _gauge("process.cpu.utilization", "1", "double", False, ("state",),
           "Percentage of total CPU time used by the process since last scrape, expressed as "
           "a value between 0 and 1. On the first scrape, no data point is emitted for this "
           "metric."),
    _sum("process.memory.usage", "By", "int", False, True, (),
         "The amount of physical memory in use."),
    _sum("process.memory.virtual", "By", "int", False, True, (), "Virtual memory size."),
    _gauge("process.memory.utilization", "1", "double", False, (),
           "Percentage of total physical memory that is used by the process."),
    _sum("process.disk.io", "By", "int", True, True, ("direction",), "Disk bytes transferred."),
    _sum("process.disk.operations", "{operations}", "int", True, False, ("direction",),
         "Number of disk operations performed by the process."),
    _sum("process.paging.faults", "{faults}", "int", True, False, ("type",),
         "Number of page faults the process has made. This metric is only available on "
         "Linux."),
    _sum("process.signals_pending", "{signals}", "int", False, False, (),
         "Number of pending signals for the process. This metric is only available on Linux."),
    _sum("process.threads", "{threads}", "int", False, False, (), "Process threads count."),
    _sum("process.open_file_descriptors", "{count}", "int", False, False, (),
         "Number of file descriptors in use by the process. This metric is only available on "
         "Linux."),
    _sum("process.handles", "{count}", "int", False, False, (),
         "Number of handles held by the process. This metric is only available on Windows "
         "(never emitted by otelpy, which scrapes Linux)."),
    _sum("process.context_switches", "{count}", "int", True, False, ("type",),
         "Number of times the process has been context switched. This metric is only "
         "available on Linux."),
    _gauge("process.uptime", "s", "double", False, (), "The time the process has been running."),
)

#: scraper name -> its metrics, in the order of the Collector's metadata.yaml
SCRAPERS: dict[str, tuple[MetricDef, ...]] = {
    "cpu": _CPU, "memory": _MEMORY, "load": _LOAD, "disk": _DISK, "filesystem": _FILESYSTEM,
    "network": _NETWORK, "paging": _PAGING, "processes": _PROCESSES, "process": _PROCESS,
}

PROCESS_RESOURCE: tuple[ResourceAttrDef, ...] = (
    ResourceAttrDef("process.pid", "int", True, "Process identifier (PID)."),
    ResourceAttrDef("process.parent_pid", "int", True, "Parent Process identifier (PPID)."),
    ResourceAttrDef("process.executable.name", "string", True,
                    "The name of the process executable (Name in /proc/[pid]/status)."),
    ResourceAttrDef("process.executable.path", "string", True,
                    "The full path to the process executable (target of /proc/[pid]/exe)."),
    ResourceAttrDef("process.command", "string", True,
                    "The command used to launch the process (the zeroth string in "
                    "/proc/[pid]/cmdline)."),
    ResourceAttrDef("process.command_line", "string", True,
                    "The full command used to launch the process as a single string."),
    ResourceAttrDef("process.owner", "string", True,
                    "The username of the user that owns the process."),
    ResourceAttrDef("process.cgroup", "string", False,
                    "cgroup associated with the process (Linux only)."),
)

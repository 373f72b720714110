"""How much memory the process uses and how much the machine (or its cgroup) has."""

from __future__ import annotations

from pathlib import Path

import psutil

MIB = 1024 * 1024

_CGROUP_LIMITS = (
    Path("/sys/fs/cgroup/memory.max"),  # cgroup v2
    Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"),  # cgroup v1
)


def process_rss() -> int:
    """Resident set size of this process, in bytes."""
    return int(psutil.Process().memory_info().rss)


def _cgroup_limit() -> int | None:
    for path in _CGROUP_LIMITS:
        try:
            text = path.read_text().strip()
        except OSError:
            continue
        if text.isdigit():
            return int(text)
    return None


def total_memory() -> int:
    """Bytes available to this process: the machine's memory, or the cgroup's limit
    when that is lower (a v1 "unlimited" limit is a huge number and loses)."""
    total = int(psutil.virtual_memory().total)
    limit = _cgroup_limit()
    return min(total, limit) if limit else total


def limits(limit_mib: int, spike_limit_mib: int, limit_percentage: int,
           spike_limit_percentage: int, total: int) -> tuple[int, int]:
    """(hard, soft) limits in bytes, the Collector's way: limit_mib wins over
    limit_percentage, and a spike of 0 means 20% of the hard limit."""
    if limit_mib:
        hard, spike = limit_mib * MIB, spike_limit_mib * MIB
    else:
        hard, spike = total * limit_percentage // 100, total * spike_limit_percentage // 100
    if spike == 0:
        spike = hard // 5
    return hard, hard - spike

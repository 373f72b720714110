"""Device scrapers: disk (/proc/diskstats), filesystem (mounts + statvfs), network
(psutil's /proc/net/dev counters, /proc/net/tcp{,6} states, conntrack)."""

from __future__ import annotations

import os
import re
from typing import Any

import psutil

from otelpy.receivers.hostmetrics.scrapers.base import HostPaths, NameFilter, Scrape
from otelpy.receivers.hostmetrics.scrapers.system import _Base, boot_time_ns

__all__ = ["DiskScraper", "FilesystemScraper", "NetworkScraper", "mounts"]

_SECTOR = 512
# the Collector's list of TCP states, each reported (0 when absent), plus what gopsutil
# and psutil call the Linux states
_TCP_STATES = ("CLOSE_WAIT", "CLOSE", "CLOSING", "DELETE", "ESTABLISHED", "FIN_WAIT_1",
               "FIN_WAIT_2", "LAST_ACK", "LISTEN", "SYN_SENT", "SYN_RECEIVED", "TIME_WAIT")
_TCP_HEX = {"01": "ESTABLISHED", "02": "SYN_SENT", "03": "SYN_RECV", "04": "FIN_WAIT1",
            "05": "FIN_WAIT2", "06": "TIME_WAIT", "07": "CLOSE", "08": "CLOSE_WAIT",
            "09": "LAST_ACK", "0A": "LISTEN", "0B": "CLOSING"}
_OCTAL = re.compile(r"\\([0-7]{3})")


class DiskScraper(_Base):
    name = "disk"

    def __init__(self, cfg: Any, paths: HostPaths, start_ns: int) -> None:
        super().__init__(cfg, paths, boot_time_ns())
        self.filter = NameFilter(cfg.include, cfg.exclude)

    def scrape(self, now_ns: int) -> Scrape:
        mb = self.builder(now_ns)
        for line in self.paths.read("diskstats").splitlines():
            f = line.split()
            if len(f) < 14 or not self.filter.passes(f[2]):
                continue
            n = [int(x) for x in f[3:14]]
            dev = f[2]
            for direction, ops, merged, sectors, ms in (("read", n[0], n[1], n[2], n[3]),
                                                       ("write", n[4], n[5], n[6], n[7])):
                attrs = {"device": dev, "direction": direction}
                mb.record("system.disk.io", sectors * _SECTOR, attrs)
                mb.record("system.disk.operations", ops, attrs)
                mb.record("system.disk.operation_time", ms / 1000, attrs)
                mb.record("system.disk.merged", merged, attrs)
            mb.record("system.disk.io_time", n[9] / 1000, {"device": dev})
            mb.record("system.disk.weighted_io_time", n[10] / 1000, {"device": dev})
            mb.record("system.disk.pending_operations", n[8], {"device": dev})
        return self.done(mb)


def _unescape(text: str) -> str:
    return _OCTAL.sub(lambda m: chr(int(m[1], 8)), text)


def mounts(paths: HostPaths) -> list[tuple[str, str, str, str]]:
    """(device, mount point, fs type, options) of the host's mounts: those of its init
    process (as gopsutil reads them), else this process's."""
    try:
        text = paths.read("1", "mounts")
    except OSError:
        text = paths.read("self", "mounts")
    out = []
    for line in text.splitlines():
        f = line.split()
        if len(f) >= 4:
            out.append((_unescape(f[0]), _unescape(f[1]), f[2], f[3]))
    return out


def _mode(options: str) -> str:
    opts = options.split(",")
    return "rw" if "rw" in opts else "ro" if "ro" in opts else "unknown"


class FilesystemScraper(_Base):
    name = "filesystem"

    def __init__(self, cfg: Any, paths: HostPaths, start_ns: int) -> None:
        super().__init__(cfg, paths, start_ns)
        self.devices = NameFilter(cfg.include_devices, cfg.exclude_devices)
        self.fs_types = NameFilter(cfg.include_fs_types, cfg.exclude_fs_types)
        self.mount_points = NameFilter(cfg.include_mount_points, cfg.exclude_mount_points)

    def _nodev(self) -> set[str]:
        return {line.split()[1] for line in self.paths.read("filesystems").splitlines()
                if line.startswith("nodev") and len(line.split()) == 2}

    def scrape(self, now_ns: int) -> Scrape:
        mb = self.builder(now_ns)
        nodev = set() if self.cfg.include_virtual_filesystems else self._nodev()
        errors = []
        for device, mountpoint, fstype, options in mounts(self.paths):
            if fstype in nodev or not (self.devices.passes(device)
                                       and self.fs_types.passes(fstype)
                                       and self.mount_points.passes(mountpoint)):
                continue
            try:
                st = os.statvfs(self.paths.under_root(mountpoint))
            except OSError as exc:
                errors.append(f"failed to read usage at {mountpoint}: {exc.strerror or exc}")
                continue
            attrs = {"device": device, "mode": _mode(options), "mountpoint": mountpoint,
                     "type": fstype}
            free = st.f_bavail * st.f_frsize
            used = (st.f_blocks - st.f_bfree) * st.f_frsize
            reserved = st.f_blocks * st.f_frsize - used - free
            for state, value in (("used", used), ("free", free), ("reserved", reserved)):
                mb.record("system.filesystem.usage", value, {**attrs, "state": state})
            for state, value in (("used", st.f_files - st.f_ffree), ("free", st.f_ffree)):
                mb.record("system.filesystem.inodes.usage", value, {**attrs, "state": state})
            mb.record("system.filesystem.utilization",
                      used / (used + free) if used + free else 0.0, attrs)
        return self.done(mb, errors)


class NetworkScraper(_Base):
    name = "network"

    def __init__(self, cfg: Any, paths: HostPaths, start_ns: int) -> None:
        super().__init__(cfg, paths, boot_time_ns())
        self.filter = NameFilter(cfg.include, cfg.exclude)

    def scrape(self, now_ns: int) -> Scrape:
        mb = self.builder(now_ns)
        for nic, c in psutil.net_io_counters(pernic=True, nowrap=False).items():
            if not self.filter.passes(nic):
                continue
            for direction, packets, dropped, errs, octets in (
                    ("transmit", c.packets_sent, c.dropout, c.errout, c.bytes_sent),
                    ("receive", c.packets_recv, c.dropin, c.errin, c.bytes_recv)):
                attrs = {"device": nic, "direction": direction}
                mb.record("system.network.packets", packets, attrs)
                mb.record("system.network.dropped", dropped, attrs)
                mb.record("system.network.errors", errs, attrs)
                mb.record("system.network.io", octets, attrs)
        errors: list[str] = []
        if mb.enabled("system.network.connections"):
            for state, count in self._tcp_states().items():
                mb.record("system.network.connections", count,
                          {"protocol": "tcp", "state": state})
        for what in ("count", "max"):
            name = f"system.network.conntrack.{what}"
            if mb.enabled(name):
                try:
                    value = int(self.paths.read("sys", "net", "netfilter",
                                                f"nf_conntrack_{what}").strip())
                except (OSError, ValueError) as exc:
                    errors.append(f"{name}: {exc}")
                else:
                    mb.record(name, value)
        return self.done(mb, errors)

    def _tcp_states(self) -> dict[str, int]:
        counts = dict.fromkeys(_TCP_STATES, 0)
        for table in ("tcp", "tcp6"):
            try:
                lines = self.paths.read("net", table).splitlines()[1:]
            except FileNotFoundError:  # no IPv6
                continue
            for line in lines:
                f = line.split()
                if len(f) > 3 and f[3] in _TCP_HEX:
                    state = _TCP_HEX[f[3]]
                    counts[state] = counts.get(state, 0) + 1
        return counts

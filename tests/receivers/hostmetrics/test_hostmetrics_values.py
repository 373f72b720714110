"""Values the hostmetrics receiver reports, checked against psutil, os and /proc read in the
same test (not only their presence)."""

from __future__ import annotations

import asyncio
import os
import socket

import psutil
import pytest

from .hostdata import by_name, one, points, read, scrape

ALL = {"cpu": None, "memory": None, "load": None, "disk": None, "filesystem": None,
       "network": None, "paging": None, "processes": None}


def _proc_stat_cpu() -> dict[str, list[float]]:
    tick = os.sysconf("SC_CLK_TCK")
    with open("/proc/stat") as f:
        return {p[0]: [int(x) / tick for x in p[1:]] for p in (line.split() for line in f)
                if p[0].startswith("cpu") and p[0] != "cpu"}


async def test_cpu_time_matches_proc_stat_and_is_monotonic() -> None:
    before = _proc_stat_cpu()
    first = await scrape({"scrapers": {"cpu": None}})
    second = await scrape({"scrapers": {"cpu": None}})
    after = _proc_stat_cpu()
    assert len(by_name(first, "system.cpu.time")) == 8 * len(before)
    # /proc/stat: user nice system idle iowait irq softirq steal
    columns = {"user": 0, "nice": 1, "system": 2, "idle": 3, "wait": 4, "interrupt": 5,
               "softirq": 6, "steal": 7}
    for cpu in before:
        for state, col in columns.items():
            v1 = one(first, "system.cpu.time", cpu=cpu, state=state)
            v2 = one(second, "system.cpu.time", cpu=cpu, state=state)
            assert before[cpu][col] - 0.011 <= v1 <= v2 <= after[cpu][col] + 0.011
    point = by_name(first, "system.cpu.time")[0]
    assert point.metric.sum.is_monotonic and point.metric.sum.aggregation_temporality == 2
    assert point.metric.unit == "s"
    assert point.start_ns == int(psutil.boot_time()) * 1_000_000_000
    assert point.scope.endswith("/hostmetricsreceiver/internal/scraper/cpuscraper")


async def test_memory_total_is_exact_and_states_add_up() -> None:
    pts = await scrape({"scrapers": {"memory": {"metrics": {
        "system.memory.limit": {"enabled": True},
        "system.memory.utilization": {"enabled": True}}}}})
    total = psutil.virtual_memory().total
    assert one(pts, "system.memory.limit") == total
    meminfo = read("/proc/meminfo").splitlines()
    assert total == int(next(ln for ln in meminfo if ln.startswith("MemTotal:")).split()[1]) * 1024
    states = {p.attributes["state"]: p.value for p in by_name(pts, "system.memory.usage")}
    assert set(states) == {"used", "free", "buffered", "cached", "slab_reclaimable",
                           "slab_unreclaimable"}
    # used + free + buffered + cached (which holds slab_reclaimable) is the total, as psutil
    assert states["used"] + states["free"] + states["buffered"] + states["cached"] == total
    util = one(pts, "system.memory.utilization", state="free")
    assert util == pytest.approx(states["free"] / total)
    usage = by_name(pts, "system.memory.usage")[0].metric
    assert usage.unit == "By" and not usage.sum.is_monotonic


async def test_filesystem_sizes_equal_statvfs() -> None:
    pts = await scrape({"scrapers": {"filesystem": {"include_mount_points": {
        "mount_points": ["/"], "match_type": "strict"}}}})
    st = os.statvfs("/")
    assert {p.attributes["mountpoint"] for p in pts} == {"/"}
    assert one(pts, "system.filesystem.usage", state="free") == st.f_bavail * st.f_frsize
    assert one(pts, "system.filesystem.usage", state="used") == \
        (st.f_blocks - st.f_bfree) * st.f_frsize
    total = sum(p.value for p in by_name(pts, "system.filesystem.usage"))
    assert total == st.f_blocks * st.f_frsize
    assert one(pts, "system.filesystem.inodes.usage", state="free") == st.f_ffree
    root = next(p for p in psutil.disk_partitions() if p.mountpoint == "/")
    attrs = by_name(pts, "system.filesystem.usage")[0].attributes
    assert attrs["type"] == root.fstype and attrs["device"] == root.device
    assert attrs["mode"] in ("rw", "ro")


def _proc_net_dev() -> dict[str, tuple[int, int]]:
    with open("/proc/net/dev") as f:
        rows = [line.split(":", 1) for line in f.readlines()[2:]]
    return {name.strip(): (int(v.split()[0]), int(v.split()[8])) for name, v in rows}


async def test_network_bytes_are_monotonic_and_at_least_proc_net_dev() -> None:
    before = _proc_net_dev()
    first = await scrape({"scrapers": {"network": {"include": {
        "interfaces": ["lo"], "match_type": "strict"}}}})
    with socket.create_server(("127.0.0.1", 0)) as server:  # move bytes over lo
        with socket.create_connection(server.getsockname()) as client:
            conn, _ = server.accept()
            client.sendall(b"x" * 100_000)
            got = 0
            while got < 100_000:
                got += len(conn.recv(65536))
            conn.close()
    second = await scrape({"scrapers": {"network": {"include": {
        "interfaces": ["lo"], "match_type": "strict"}}}})
    assert {p.attributes["device"] for p in by_name(first, "system.network.io")} == {"lo"}
    rx1 = one(first, "system.network.io", device="lo", direction="receive")
    rx2 = one(second, "system.network.io", device="lo", direction="receive")
    assert rx1 >= before["lo"][0]
    assert rx2 >= rx1 + 100_000
    assert one(second, "system.network.io", device="lo", direction="transmit") >= \
        before["lo"][1] + 100_000
    states = {p.attributes["state"] for p in by_name(second, "system.network.connections")}
    assert {"LISTEN", "ESTABLISHED", "FIN_WAIT_1", "SYN_RECEIVED"} <= states


async def test_disk_counters_match_proc_diskstats() -> None:
    rows = {p[2]: [int(x) for x in p[3:14]]
            for p in (line.split() for line in read("/proc/diskstats").splitlines())}
    pts = await scrape({"scrapers": {"disk": None}})
    assert {p.attributes["device"] for p in pts} == set(rows)
    dev = max(rows, key=lambda d: rows[d][0])
    assert rows[dev][2] * 512 <= one(pts, "system.disk.io", device=dev, direction="read")
    assert one(pts, "system.disk.operations", device=dev, direction="read") >= rows[dev][0]
    after = {p[2]: int(p[5]) for p in (line.split() for line in
                                       read("/proc/diskstats").splitlines())}
    # the scrape lies between the two readings (sectors of 512 bytes, as the Collector)
    assert one(pts, "system.disk.io", device=dev, direction="read") <= after[dev] * 512
    pending = by_name(pts, "system.disk.pending_operations", device=dev)[0].metric
    assert not pending.sum.is_monotonic


async def test_load_paging_processes() -> None:
    pts = await scrape({"scrapers": {"load": {"cpu_average": True}, "paging": None,
                                     "processes": None}})
    load1 = float(read("/proc/loadavg").split()[0])
    cpus = psutil.cpu_count()
    assert one(pts, "system.cpu.load_average.1m") == pytest.approx(load1 / cpus, abs=0.5)
    assert by_name(pts, "system.cpu.load_average.1m")[0].metric.HasField("gauge")
    stat = dict(ln.split()[:2] for ln in read("/proc/stat").splitlines() if len(ln.split()) >= 2)
    assert one(pts, "system.processes.created") >= int(stat["processes"])
    assert one(pts, "system.processes.count", status="running") >= 1
    vmstat = {k: int(v) for k, v in (ln.split() for ln in read("/proc/vmstat").splitlines())}
    assert one(pts, "system.paging.faults", type="major") >= vmstat["pgmajfault"] * 4096


async def test_child_process_appears_and_is_excluded_when_excluded() -> None:
    child = await asyncio.create_subprocess_exec("sleep", "300")
    try:
        proc = psutil.Process(child.pid)
        doc = {"scrapers": {"process": {"include": {"names": ["sleep"], "match_type": "strict"},
                                        "mute_process_exe_error": True}}}
        pts = await scrape(doc)
        mine = [p for p in pts if p.resource.get("process.pid") == child.pid]
        assert mine, "the child is not reported"
        res = mine[0].resource
        assert res["process.executable.name"] == "sleep"
        assert res["process.executable.path"] == proc.exe()
        assert res["process.command_line"] == "sleep 300"
        assert res["process.parent_pid"] == os.getpid()
        assert {p.resource["process.executable.name"] for p in pts} == {"sleep"}
        rss = one(mine, "process.memory.usage")
        assert abs(rss - proc.memory_info().rss) <= 1 << 20
        assert mine[0].start_ns == int(proc.create_time() * 1e9)
        excluded = await scrape({"scrapers": {"process": {
            "exclude": {"names": ["^sle+p$"], "match_type": "regexp"},
            "mute_process_all_errors": True}}})
        assert child.pid not in {p.resource.get("process.pid") for p in excluded}
        assert os.getpid() in {p.resource.get("process.pid") for p in excluded}
        me = [p for p in excluded if p.resource.get("process.pid") == os.getpid()]
        assert me[0].resource["process.executable.path"] == psutil.Process().exe()
    finally:
        child.kill()
        await child.wait()


def test_points_helper_reads_nothing_from_nothing() -> None:
    assert points([]) == []

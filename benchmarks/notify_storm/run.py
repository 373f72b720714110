"""An alert storm: 10,000 alerts within one second across 200 groups (issue 13), through
otelpy's notify exporter and through a real Alertmanager 0.25, with the same route.

    python benchmarks/notify_storm/run.py [--alerts N] [--groups G] [--quick] [--no-readme]

Route on both sides: group_by [service], group_wait 5s, group_interval 5m, repeat_interval
4h, one webhook receiver pointing at recorder.py (a separate process, not charged).
Alert i has labels alertname=StormAlert, service=svc-<i mod G>, instance=inst-<i>; the
storm is sent in 20 requests, back to back: to otelpy as OTLP/HTTP logs (alert events,
``event.name`` = alert, a ``labels`` map, ``state`` firing) into its otlp receiver, and to
Alertmanager as JSON on /api/v2/alerts. Each side then has group_wait + 10 s to notify,
and 3 s more to show a duplicate. A side passes when every group got exactly one
notification, holding all its alerts, no later than group_wait + 1 s after its first alert
was sent. CPU is utime+stime of the server's process group from just before the storm to
the end of the wait; peak RSS is VmHWM. Exit status 1 when a side fails.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PASSTHROUGH = HERE.parent / "otlp_passthrough"
_VENV_PY = HERE.parents[1] / ".venv" / "bin" / "python"

if _VENV_PY.exists() and Path(sys.prefix).resolve() != _VENV_PY.parents[1].resolve():
    os.execv(str(_VENV_PY), [str(_VENV_PY), *sys.argv])  # the project's venv, always
sys.path.insert(0, str(PASSTHROUGH))

import prereqs  # noqa: E402
from procs import (  # noqa: E402
    Managed,
    free_port,
    group_cpu_seconds,
    http_get,
    peak_rss_mib,
    port_open,
    wait_until,
)

from otelpy.component import Signal  # noqa: E402
from otelpy.pdata.build import RequestBuilder  # noqa: E402
from otelpy.pdata.values import Attributes  # noqa: E402

GROUP_WAIT, SLACK, REQUESTS = 5.0, 1.0, 20
BEGIN, END = "<!-- BEGIN notify_storm RESULTS -->", "<!-- END notify_storm RESULTS -->"
ROUTE = ("route: {receiver: hook, group_by: [service], group_wait: 5s, group_interval: 5m, "
         "repeat_interval: 4h}\n"
         "receivers:\n  - name: hook\n    webhook_configs: [{url: '%s', send_resolved: false}]\n")


def alert_labels(i: int, groups: int) -> dict[str, str]:
    return {"alertname": "StormAlert", "service": f"svc-{i % groups:03d}",
            "instance": f"inst-{i:05d}", "severity": "warning"}


def otlp_body(indices: range, groups: int) -> bytes:
    builder = RequestBuilder(Signal.LOGS)
    records = builder.scope({"service.name": "storm"}, "notify_storm").log_records
    now_ns = time.time_ns()
    for i in indices:
        record = records.add(time_unix_nano=now_ns, observed_time_unix_nano=now_ns)
        record.body.string_value = f"alert {i}"
        attrs = Attributes(record.attributes)
        attrs["event.name"] = "alert"
        attrs["state"] = "firing"
        attrs["labels"] = dict(alert_labels(i, groups))
        attrs["annotations"] = {"summary": f"storm alert {i}"}
    return bytes(builder.request.SerializeToString())


def am_body(indices: range, groups: int) -> bytes:
    return json.dumps([{"labels": alert_labels(i, groups),
                        "annotations": {"summary": f"storm alert {i}"}}
                       for i in indices]).encode()


def post(url: str, body: bytes, content_type: str) -> None:
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"Content-Type": content_type})
    with urllib.request.urlopen(req, timeout=30) as reply:
        if reply.status not in (200, 202, 204):
            raise RuntimeError(f"{url} answered {reply.status}")


@dataclass
class Side:
    key: str
    label: str
    status: str = "ok"
    storm_seconds: float = 0.0
    cpu: float = 0.0
    rss: float = 0.0
    notified_groups: int = 0
    notifications: int = 0
    late: int = 0
    incomplete: int = 0
    first: float = 0.0  # seconds from the first send to the first / last notification
    last: float = 0.0
    problems: list[str] = field(default_factory=list)


def storm(url: str, content_type: str, encode: Any, alerts: int, groups: int,
          side: Side) -> float:
    """Sends the storm (bodies built first); returns the wall time of the first send."""
    step = -(-alerts // REQUESTS)
    bodies = [encode(range(s, min(s + step, alerts)), groups) for s in range(0, alerts, step)]
    t0, m0 = time.time(), time.monotonic()
    for body in bodies:
        post(url, body, content_type)
    side.storm_seconds = time.monotonic() - m0
    return t0


def records(recorder: str, key: str) -> list[dict[str, Any]]:
    body = http_get(recorder + "/records", timeout=10.0)
    if body is None:
        raise RuntimeError("the recorder stopped answering")
    return [r for r in json.loads(body) if r["side"] == key]


def judge(side: Side, got: list[dict[str, Any]], t0: float, alerts: int, groups: int) -> None:
    per_group: dict[str, list[dict[str, Any]]] = {}
    for rec in got:
        per_group.setdefault(str(rec["group_labels"].get("service", "?")), []).append(rec)
    side.notified_groups, side.notifications = len(per_group), len(got)
    expected = {f"svc-{g:03d}": len(range(g, alerts, groups)) for g in range(groups)}
    for name, recs in per_group.items():
        if recs[0]["at"] - t0 > GROUP_WAIT + SLACK:
            side.late += 1
        if len(recs) != 1 or recs[0]["alerts"] != expected.get(name, -1):
            side.incomplete += 1
    if got:
        times = sorted(r["at"] - t0 for r in got)
        side.first, side.last = times[0], times[-1]
    missing = groups - len(set(per_group) & set(expected))
    if missing:
        side.problems.append(f"{missing} groups never notified")
    if side.late:
        side.problems.append(f"{side.late} groups notified later than {GROUP_WAIT + SLACK:.0f} s")
    if side.incomplete:
        side.problems.append(f"{side.incomplete} groups not exactly one complete notification")
    if side.problems:
        side.status = "FAIL: " + "; ".join(side.problems)


def observe(proc: Managed, side: Side, recorder: str, t0: float, cpu0: float,
            args: argparse.Namespace) -> None:
    deadline = time.monotonic() + GROUP_WAIT + 10.0
    while time.monotonic() < deadline and len(records(recorder, side.key)) < args.groups:
        if not proc.alive():
            raise RuntimeError(f"{proc.name} exited:\n{proc.log_tail()}")
        time.sleep(0.1)
    time.sleep(3.0)  # room for a duplicate notification to show up
    side.cpu = group_cpu_seconds(proc.pid)[0] - cpu0
    side.rss = peak_rss_mib(proc.pid)
    judge(side, records(recorder, side.key), t0, args.alerts, args.groups)


def run_otelpy(args: argparse.Namespace, work: Path, recorder: str) -> Side:
    side = Side("otelpy", "otelpy (otlp receiver -> notify exporter)")
    http_port, tel_port = free_port(), free_port()
    route = ROUTE % f"{recorder}/hook/otelpy"
    config = work / "otelpy-notify.yaml"
    config.write_text(
        "receivers:\n  otlp:\n    protocols:\n      http:\n"
        f"        endpoint: 127.0.0.1:{http_port}\n"
        "exporters:\n  notify:\n" + "".join("    " + line + "\n" for line in
                                            route.splitlines()) +
        f"service:\n  telemetry:\n    metrics:\n      address: 127.0.0.1:{tel_port}\n"
        "  pipelines:\n    logs:\n      receivers: [otlp]\n      exporters: [notify]\n")
    proc = Managed("otelpy", [str(args.otelpy), "--config", str(config)],
                   prereqs.WORK / "logs" / "notify_storm-otelpy.log", cwd=prereqs.REPO)
    try:
        wait_until(lambda: port_open(http_port), 120, "otelpy's OTLP/HTTP port", proc)
        cpu0 = group_cpu_seconds(proc.pid)[0]
        t0 = storm(f"http://127.0.0.1:{http_port}/v1/logs", "application/x-protobuf",
                   otlp_body, args.alerts, args.groups, side)
        observe(proc, side, recorder, t0, cpu0, args)
    finally:
        proc.stop()
    return side


def run_alertmanager(args: argparse.Namespace, work: Path, recorder: str) -> Side:
    side = Side("alertmanager", "Alertmanager 0.25 (/api/v2/alerts)")
    exe = shutil.which("prometheus-alertmanager")
    if exe is None:
        side.status = "not run: prometheus-alertmanager is missing (make system-deps)"
        return side
    port = free_port()
    (work / "am.yml").write_text(ROUTE % f"{recorder}/hook/alertmanager")
    proc = Managed("alertmanager", [exe, f"--config.file={work / 'am.yml'}",
                                    f"--storage.path={work / 'am-data'}",
                                    f"--web.listen-address=127.0.0.1:{port}",
                                    "--cluster.listen-address="],
                   prereqs.WORK / "logs" / "notify_storm-alertmanager.log")
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: http_get(url + "/-/ready") is not None, 60, "alertmanager ready",
                   proc)
        cpu0 = group_cpu_seconds(proc.pid)[0]
        t0 = storm(url + "/api/v2/alerts", "application/json", am_body, args.alerts,
                   args.groups, side)
        observe(proc, side, recorder, t0, cpu0, args)
    finally:
        proc.stop()
    return side


def report(args: argparse.Namespace, sha: str, sides: list[Side]) -> str:
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    cmd = " ".join(["python benchmarks/notify_storm/run.py", *sys.argv[1:]])
    lines = [f"Run {when}: `{cmd}`", "", f"- machine: {prereqs.machine()}; otelpy {sha}",
             f"- {args.alerts:,} alerts across {args.groups} groups in {REQUESTS} requests; "
             f"group_wait {GROUP_WAIT:.0f}s, deadline group_wait + {SLACK:.0f} s", "",
             "| server | storm sent in s | groups notified | notifications | first / last "
             "notification s | late groups | not exactly one complete | CPU s | peak RSS MiB "
             "| result |", "|---|--:|--:|--:|--:|--:|--:|--:|--:|---|"]
    for s in sides:
        lines.append(f"| {s.label} | {s.storm_seconds:.2f} | {s.notified_groups} "
                     f"| {s.notifications} | {s.first:.2f} / {s.last:.2f} | {s.late} "
                     f"| {s.incomplete} | {s.cpu:.2f} | {s.rss:.0f} | {s.status} |")
    return "\n".join(lines)


def update_readme(text: str) -> bool:
    readme = HERE.parent / "README.md"
    current = readme.read_text()
    start, end = current.find(BEGIN), current.find(END)
    if start < 0 or end < start:
        return False
    readme.write_text(current[: start + len(BEGIN)] + "\n" + text + "\n" + current[end:])
    return True


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--alerts", type=int, default=10_000)
    p.add_argument("--groups", type=int, default=200)
    p.add_argument("--quick", action="store_true",
                   help="smoke test: 1,000 alerts, 20 groups, README untouched")
    p.add_argument("--no-readme", action="store_true", help="do not touch benchmarks/README.md")
    p.add_argument("--otelpy", type=Path, default=HERE.parents[1] / ".venv" / "bin" / "otelpy")
    args = p.parse_args(argv)
    if args.quick:
        args.alerts, args.groups, args.no_readme = 1000, 20, True
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    (prereqs.WORK / "logs").mkdir(parents=True, exist_ok=True)
    sha = prereqs.otelpy_version()
    rec_port = free_port()
    recorder = Managed("recorder", [sys.executable, str(HERE / "recorder.py"), str(rec_port)],
                       prereqs.WORK / "logs" / "notify_storm-recorder.log")
    sides: list[Side] = []
    try:
        wait_until(lambda: port_open(rec_port), 60, "the recorder's port", recorder)
        url = f"http://127.0.0.1:{rec_port}"
        with tempfile.TemporaryDirectory(prefix="notify_storm-") as tmp:
            for run in (run_otelpy, run_alertmanager):
                sides.append(run(args, Path(tmp), url))
                print(f"  {sides[-1].label}: {sides[-1].status}", flush=True)
    finally:
        recorder.stop()
    text = report(args, sha, sides)
    print("\n" + text)
    if not args.no_readme and update_readme(text):
        print("\nupdated benchmarks/README.md")
    return 0 if all(s.status == "ok" for s in sides) else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted; every process started was stopped", file=sys.stderr)
        sys.exit(130)

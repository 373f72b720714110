"""The prometheus receiver scraping 100 local targets of 1,000 series each every 5 s and
remote-writing them to a sink, against vmagent doing the same in the same run.

    python benchmarks/scrape_remote_write/run.py [--window 60] [--repeat 3] [--quick]

Targets: one process (targets.py) serving every target's /metrics, counters growing on
every scrape. Each row runs alone with its own sink (sink.py, counting samples of
snappy-compressed remote write requests). After a warm-up (one full round of every
target at the sink), the window measures samples received by the sink per CPU-second of
the collector's process group, and compares samples received with what the scrape rate
should deliver (targets x series x window / interval): `kept up` is that ratio. Exit
status 1 when a row failed or fell behind.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

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
    free_ports,
    group_cpu_seconds,
    http_get,
    peak_rss_mib,
)

WORK = prereqs.WORK / "scrape_remote_write"
TARGET_RATIO = 0.5  # issue 8: >= 0.5x vmagent's samples per CPU-second
BEGIN = "<!-- BEGIN scrape_remote_write RESULTS -->"
END = "<!-- END scrape_remote_write RESULTS -->"


@dataclass
class Row:
    key: str
    label: str
    status: str = "ok"
    samples: int = 0
    cpu: float = 0.0
    rate: float = 0.0
    kept_up: float = 0.0
    rss: float = 0.0


def _wait(check, timeout: float, what: str, proc: Managed | None = None) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and not proc.alive():
            raise RuntimeError(f"{proc.name} exited:\n{proc.log_tail()}")
        if check():
            return
        time.sleep(0.2)
    raise TimeoutError(f"timed out waiting for {what}")


def _count(port: int) -> int:
    body = http_get(f"http://127.0.0.1:{port}/count")
    if body is None:
        raise RuntimeError("the sink stopped answering")
    return int(json.loads(body)["samples"])


def _targets_yaml(ports: list[int], interval: str) -> str:
    targets = ", ".join(f'"127.0.0.1:{p}"' for p in ports)
    return (f"scrape_configs:\n  - job_name: bench\n    scrape_interval: {interval}\n"
            f"    scrape_timeout: {interval}\n"
            f"    static_configs:\n      - targets: [{targets}]\n")


def _launch(key: str, ports: list[int], sink: int, interval: str, otelpy: Path) -> Managed:
    logs = WORK / "logs"
    if key == "vmagent":
        (WORK / "vmagent.yml").write_text(_targets_yaml(ports, interval))
        tmp = WORK / "vmagent-data"
        shutil.rmtree(tmp, ignore_errors=True)
        return Managed("vmagent", [
            shutil.which("vmagent") or "vmagent", f"-promscrape.config={WORK / 'vmagent.yml'}",
            f"-remoteWrite.url=http://127.0.0.1:{sink}/api/v1/write",
            f"-remoteWrite.tmpDataPath={tmp}", f"-httpListenAddr=127.0.0.1:{free_port()}",
            "-remoteWrite.flushInterval=1s", "-loggerLevel=ERROR"], logs / "vmagent.log")
    scrape = _targets_yaml(ports, interval).replace("\n", "\n        ")
    config = (f"receivers:\n  prometheus:\n    config:\n        {scrape}\n"
              f"exporters:\n  prometheusremotewrite:\n"
              f"    endpoint: http://127.0.0.1:{sink}/api/v1/write\n"
              f"service:\n  telemetry:\n    metrics:\n      address: 127.0.0.1:{free_port()}\n"
              f"  pipelines:\n    metrics:\n      receivers: [prometheus]\n"
              f"      exporters: [prometheusremotewrite]\n")
    (WORK / "otelpy.yaml").write_text(config)
    return Managed("otelpy", [str(otelpy), "--config", str(WORK / "otelpy.yaml")],
                   logs / "otelpy.log")


def measure(row: Row, args: argparse.Namespace, ports: list[int]) -> None:
    sink_port = free_port()
    sink = Managed("sink", [sys.executable, str(HERE / "sink.py"), "--port", str(sink_port)],
                   WORK / "logs" / "sink.log")
    proc: Managed | None = None
    try:
        _wait(lambda: http_get(f"http://127.0.0.1:{sink_port}/count") is not None, 60,
              "the sink", sink)
        proc = _launch(row.key, ports, sink_port, f"{args.interval:g}s", args.otelpy)
        round_ = args.targets * args.series
        _wait(lambda: _count(sink_port) >= 2 * round_, 120, "a full scrape round", proc)
        cpu0, n0, t0 = group_cpu_seconds(proc.pid)[0], _count(sink_port), time.monotonic()
        time.sleep(args.window)
        cpu1, n1, t1 = group_cpu_seconds(proc.pid)[0], _count(sink_port), time.monotonic()
        row.samples, row.cpu = n1 - n0, cpu1 - cpu0
        row.rate = row.samples / max(row.cpu, 1e-9)
        row.kept_up = row.samples / (round_ * (t1 - t0) / args.interval)
        row.rss = peak_rss_mib(proc.pid)
    finally:
        if proc is not None:
            proc.stop()
        sink.stop()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--targets", type=int, default=100)
    p.add_argument("--series", type=int, default=1000)
    p.add_argument("--interval", type=float, default=5.0)
    p.add_argument("--window", type=float, default=60.0, help="seconds measured per run")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--quick", action="store_true", help="20 s window, 1 run, README untouched")
    p.add_argument("--no-readme", action="store_true")
    p.add_argument("--otelpy", type=Path, default=HERE.parents[1] / ".venv" / "bin" / "otelpy")
    args = p.parse_args(argv)
    if args.quick:
        args.window, args.repeat, args.no_readme = 20.0, 1, True
    return args


def report(args: argparse.Namespace, runs: dict[str, list[Row]]) -> str:
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    cmd = " ".join(["python benchmarks/scrape_remote_write/run.py", *sys.argv[1:]])
    lines = [f"Run {when}: `{cmd}`", "", f"- machine: {prereqs.machine()}; otelpy "
             f"{prereqs.otelpy_version()}",
             f"- {args.targets} targets x {args.series} series every {args.interval:g} s, "
             f"{args.window:g} s window, {args.repeat} run(s) per row interleaved (median)", "",
             "| collector | samples/CPU-s | vs vmagent | CPU s | samples | kept up "
             "| peak RSS MiB |",
             "|---|--:|--:|--:|--:|--:|--:|"]
    medians: dict[str, Row] = {}
    for key, rows in runs.items():
        ok = sorted((r for r in rows if r.status == "ok"), key=lambda r: r.rate)
        medians[key] = ok[(len(ok) - 1) // 2] if ok else rows[0]
    base = medians["vmagent"].rate if medians["vmagent"].status == "ok" else 0.0
    for row in medians.values():
        if row.status != "ok":
            lines.append(f"| {row.label} | {row.status} | | | | | |")
            continue
        ratio = f"{row.rate / base:.2f}x" if base else "-"
        lines.append(f"| {row.label} | {row.rate:,.0f} | {ratio} | {row.cpu:.2f} | "
                     f"{row.samples:,} | {row.kept_up:.2f} | {row.rss:.0f} |")
    mine = medians["otelpy"]
    if base and mine.status == "ok":
        verdict = "PASS" if mine.rate / base >= TARGET_RATIO and mine.kept_up > 0.95 else "FAIL"
        lines += ["", f"- otelpy / vmagent samples per CPU-second: {mine.rate / base:.2f}x "
                      f"(target >= {TARGET_RATIO}x, keeping up): {verdict}"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    (WORK / "logs").mkdir(parents=True, exist_ok=True)
    if not shutil.which("vmagent"):
        print("vmagent is required (Debian package victoria-metrics)", file=sys.stderr)
        return 1
    ports = free_ports(args.targets)
    targets = Managed("targets", [sys.executable, str(HERE / "targets.py"), "--ports",
                                  ",".join(map(str, ports)), "--series", str(args.series)],
                      WORK / "logs" / "targets.log")
    runs: dict[str, list[Row]] = {"otelpy": [], "vmagent": []}
    labels = {"otelpy": "otelpy (prometheus -> prometheusremotewrite)",
              "vmagent": "vmagent (Debian victoria-metrics)"}
    try:
        _wait(lambda: all(http_get(f"http://127.0.0.1:{p}/metrics") for p in ports[:1]), 60,
              "the targets", targets)
        for i in range(args.repeat):
            for key in runs:
                row = Row(key, labels[key])
                print(f"[{i + 1}/{args.repeat}] {row.label} ...", flush=True)
                try:
                    measure(row, args, ports)
                except (RuntimeError, TimeoutError, OSError) as exc:
                    row.status = "failed: " + (str(exc).strip().splitlines() or ["?"])[0][:200]
                print(f"  {row.status}: {row.rate:,.0f} samples/CPU-s, cpu {row.cpu:.2f}s, "
                      f"{row.samples:,} samples, kept up {row.kept_up:.2f}, "
                      f"RSS {row.rss:.0f} MiB", flush=True)
                runs[key].append(row)
    finally:
        targets.stop()
    text = report(args, runs)
    print("\n" + text)
    if not args.no_readme:
        readme = HERE.parent / "README.md"
        current = readme.read_text()
        start, end = current.find(BEGIN), current.find(END)
        if 0 <= start < end:
            readme.write_text(current[: start + len(BEGIN)] + "\n" + text + "\n" + current[end:])
            print("\nupdated benchmarks/README.md")
    bad = [r for rows in runs.values() for r in rows if r.status != "ok" or r.kept_up < 0.95]
    return 1 if bad else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted; every process started was stopped", file=sys.stderr)
        sys.exit(130)

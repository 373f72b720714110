"""1,000 HTTP checks at a 1 s interval through the healthcheck receiver (issue 14).

    python benchmarks/healthcheck_scale/run.py [--checks N] [--window S] [--quick] [--no-readme]

A local nginx (Debian's, on 127.0.0.1, its own temp dir) serves a static file; otelpy runs
the healthcheck receiver with N http checks of it (each its own URL, interval 1s) into the
debug exporter (basic verbosity, one line a second: the cheapest exporter). After a warm-up (every
check has run at least twice), the CPU of otelpy's process group is read over a window of
``--window`` seconds, with otelpy's own histogram otelpy_healthcheck_start_lateness_seconds
(actual start minus scheduled start of each run) and its run counter, both as deltas over
the window. Target: < 20% of one core, p99 lateness < 50 ms, every run healthy.
Exit status 1 when a target is missed or a run is not healthy.
"""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
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
    group_cpu_seconds,
    http_get,
    peak_rss_mib,
    port_open,
    wait_until,
)

TARGET_CPU, TARGET_P99 = 0.20, 0.050  # issue 14: share of one core, seconds
LATENESS = "otelpy_healthcheck_start_lateness_seconds"
RUNS = "otelpy_healthcheck_runs_total"
BEGIN, END = "<!-- BEGIN healthcheck_scale RESULTS -->", "<!-- END healthcheck_scale RESULTS -->"

NGINX_CONF = """daemon off; worker_processes 1; pid {d}/nginx.pid; error_log {d}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off; keepalive_requests 1000000; keepalive_timeout 75s;
  client_body_temp_path {d}/body; proxy_temp_path {d}/proxy; fastcgi_temp_path {d}/fcgi;
  uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;
  server {{ listen 127.0.0.1:{port}; root {d}/www; location / {{ try_files /ok.txt =404; }} }}
}}
"""


@dataclass
class Sample:
    """otelpy's own counters at one moment."""

    buckets: dict[float, float] = field(default_factory=dict)  # le -> cumulative count
    count: float = 0.0
    runs: dict[str, float] = field(default_factory=dict)  # status -> runs


def scrape(url: str) -> Sample:
    body = http_get(url, timeout=10.0)
    if body is None:
        raise RuntimeError(f"otelpy's {url} did not answer")
    out = Sample()
    for line in body.decode().splitlines():
        if line.startswith(LATENESS + "_bucket{"):
            le = line.split('le="', 1)[1].split('"', 1)[0]
            out.buckets[float(le)] = float(line.rsplit(" ", 1)[1])
        elif line.startswith(LATENESS + "_count{"):
            out.count = float(line.rsplit(" ", 1)[1])
        elif line.startswith(RUNS + "{"):
            status = line.split('status="', 1)[1].split('"', 1)[0]
            out.runs[status] = out.runs.get(status, 0.0) + float(line.rsplit(" ", 1)[1])
    return out


def quantile(q: float, before: Sample, after: Sample) -> float:
    """histogram_quantile over the window's bucket deltas (linear within a bucket)."""
    total = after.count - before.count
    if total <= 0:
        return float("nan")
    rank, lower, below = q * total, 0.0, 0.0
    for le in sorted(after.buckets):
        cum = after.buckets[le] - before.buckets.get(le, 0.0)
        if cum >= rank:
            if le == float("inf"):
                return lower
            return lower + (le - lower) * (rank - below) / max(cum - below, 1e-12)
        lower, below = le, cum
    return lower


def start_nginx(work: Path) -> tuple[Managed, int]:
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(binary).exists():
        raise RuntimeError("nginx is missing: apt-get install nginx")
    (work / "www").mkdir(parents=True)
    (work / "www" / "ok.txt").write_text("ok\n")
    port = free_port()
    (work / "nginx.conf").write_text(NGINX_CONF.format(d=work, port=port))
    proc = Managed("nginx", [binary, "-p", str(work), "-c", str(work / "nginx.conf")],
                   work / "nginx.log")
    wait_until(lambda: port_open(port), 30, "nginx's port", proc)
    return proc, port


def write_config(work: Path, checks: int, nginx_port: int, tel_port: int) -> Path:
    lines = ["receivers:", "  healthcheck:", "    checks:"]
    for i in range(checks):
        lines.append(f"      web{i:04d}: {{type: http, url: 'http://127.0.0.1:{nginx_port}"
                     f"/svc/{i}', interval: 1s, timeout: 5s}}")
    lines += ["exporters:", "  debug:", "    verbosity: basic", "    sampling_initial: 1",
              "    sampling_thereafter: 1000000", "service:", "  telemetry:",
              "    metrics:", f"      address: 127.0.0.1:{tel_port}", "  pipelines:",
              "    metrics:", "      receivers: [healthcheck]", "      exporters: [debug]"]
    path = work / "otelpy-healthcheck.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


@dataclass
class Result:
    checks: int
    window: float
    cpu: float = 0.0
    p50: float = 0.0
    p99: float = 0.0
    runs: dict[str, float] = field(default_factory=dict)
    rss: float = 0.0

    @property
    def share(self) -> float:
        return self.cpu / self.window

    @property
    def ok(self) -> bool:
        unhealthy = sum(v for k, v in self.runs.items() if k != "healthy")
        return self.share < TARGET_CPU and self.p99 < TARGET_P99 and not unhealthy


def measure(args: argparse.Namespace, work: Path) -> Result:
    nginx, nginx_port = start_nginx(work / "nginx")
    tel_port = free_port()
    config = write_config(work, args.checks, nginx_port, tel_port)
    url = f"http://127.0.0.1:{tel_port}/metrics"
    otelpy = Managed("otelpy", [str(args.otelpy), "--config", str(config)],
                     prereqs.WORK / "logs" / "healthcheck_scale.log", cwd=prereqs.REPO)
    try:
        wait_until(lambda: http_get(url) is not None, 120, "otelpy's /metrics", otelpy)
        wait_until(lambda: scrape(url).count >= 2 * args.checks, 120,
                   "every check to run twice", otelpy, interval=0.5)
        time.sleep(args.warmup)  # runs settle into their phases (outside the event loop)
        before, cpu0, t0 = scrape(url), group_cpu_seconds(otelpy.pid)[0], time.monotonic()
        time.sleep(args.window)
        cpu1, t1, after = group_cpu_seconds(otelpy.pid)[0], time.monotonic(), scrape(url)
        if not otelpy.alive():
            raise RuntimeError(f"otelpy exited:\n{otelpy.log_tail()}")
        res = Result(args.checks, t1 - t0, cpu=cpu1 - cpu0,
                     p50=quantile(0.5, before, after), p99=quantile(0.99, before, after),
                     runs={k: v - before.runs.get(k, 0.0) for k, v in after.runs.items()},
                     rss=peak_rss_mib(otelpy.pid))
        return res
    finally:
        otelpy.stop()
        nginx.stop()


def report(args: argparse.Namespace, sha: str, res: Result) -> str:
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    cmd = " ".join(["python benchmarks/healthcheck_scale/run.py", *sys.argv[1:]])
    runs = sum(res.runs.values())
    unhealthy = runs - res.runs.get("healthy", 0.0)
    verdict = "PASS" if res.ok else "FAIL"
    return "\n".join([
        f"Run {when}: `{cmd}`", "", f"- machine: {prereqs.machine()}; otelpy {sha}",
        f"- {res.checks:,} http checks, interval 1s, against nginx on loopback; healthcheck "
        f"-> debug (basic, one line/s); window {res.window:.1f} s after a "
        f"{args.warmup:.0f} s warm-up", "",
        "| checks | runs in window | runs/s | not healthy | otelpy CPU s | CPU share of one core "
        "| lateness p50 ms | lateness p99 ms | peak RSS MiB |",
        "|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
        f"| {res.checks:,} | {runs:,.0f} | {runs / res.window:,.0f} | {unhealthy:,.0f} "
        f"| {res.cpu:.2f} | {res.share:.1%} | {res.p50 * 1000:.1f} | {res.p99 * 1000:.1f} "
        f"| {res.rss:.0f} |", "",
        f"- target: CPU < {TARGET_CPU:.0%} of one core, p99 lateness < {TARGET_P99 * 1000:.0f} "
        f"ms, every run healthy: {verdict}"])


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
    p.add_argument("--checks", type=int, default=1000, help="http checks (default 1000)")
    p.add_argument("--window", type=float, default=60.0, help="measured seconds (default 60)")
    p.add_argument("--warmup", type=float, default=5.0, help="seconds after every check ran "
                                                             "twice before the window")
    p.add_argument("--quick", action="store_true",
                   help="smoke test: 100 checks, 10 s window, README untouched")
    p.add_argument("--no-readme", action="store_true", help="do not touch benchmarks/README.md")
    p.add_argument("--otelpy", type=Path, default=HERE.parents[1] / ".venv" / "bin" / "otelpy")
    args = p.parse_args(argv)
    if args.quick:
        args.checks, args.window, args.no_readme = 100, 10.0, True
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    (prereqs.WORK / "logs").mkdir(parents=True, exist_ok=True)
    problem = prereqs.check_otelpy(args.otelpy)
    if problem:
        print(problem, file=sys.stderr)
        return 1
    sha = prereqs.otelpy_version()
    with tempfile.TemporaryDirectory(prefix="healthcheck_scale-") as tmp:
        os.chmod(tmp, 0o755)  # nginx workers (nobody) read the static file
        res = measure(args, Path(tmp))
    text = report(args, sha, res)
    print("\n" + text)
    if not args.no_readme and update_readme(text):
        print("\nupdated benchmarks/README.md")
    return 0 if res.ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted; every process started was stopped", file=sys.stderr)
        sys.exit(130)

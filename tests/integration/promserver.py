"""A real Prometheus server (Debian's ``prometheus``) on 127.0.0.1 for end-to-end tests.

Started with a generated scrape config, polled for readiness (never slept on), queried
through its HTTP API, stopped with SIGTERM.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from otelpy.testing.process import wait_until

__all__ = ["PrometheusServer"]


class PrometheusServer:
    """One prometheus process scraping ``targets`` (job name -> host:port) every second,
    or running ``config`` (a whole prometheus.yml text) when given; with
    ``remote_write_receiver``, also taking remote write on ``/api/v1/write``."""

    def __init__(self, base: Path, port: int, targets: dict[str, str],
                 features: tuple[str, ...] = (), remote_write_receiver: bool = False,
                 config: str | None = None) -> None:
        exe = shutil.which("prometheus")
        assert exe, "the prometheus binary is required (Debian package prometheus; make " \
                    "system-deps installs it)"
        self.base, self.port, self.url = base, port, f"http://127.0.0.1:{port}"
        base.mkdir(parents=True, exist_ok=True)
        jobs = "\n".join(
            f"  - job_name: {job}\n    honor_labels: true\n"
            f"    static_configs: [{{targets: [\"{target}\"]}}]"
            for job, target in targets.items())
        (base / "prometheus.yml").write_text(
            config if config is not None else
            "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
            + (f"scrape_configs:\n{jobs}\n" if jobs else ""))
        args = [exe, f"--config.file={base / 'prometheus.yml'}",
                f"--storage.tsdb.path={base / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}"]
        if remote_write_receiver:
            args.append("--web.enable-remote-write-receiver")
        if features:
            args.append(f"--enable-feature={','.join(features)}")
        self._log = (base / "prometheus.log").open("wb")
        self.proc = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT)
        wait_until(self._ready, 60.0, "prometheus /-/ready")

    def _ready(self) -> bool:
        assert self.proc.poll() is None, f"prometheus exited:\n{self.log_tail()}"
        try:
            with urllib.request.urlopen(f"{self.url}/-/ready", timeout=5) as reply:
                return bool(reply.status == 200)
        except OSError:
            return False

    def log_tail(self, lines: int = 40) -> str:
        self._log.flush()
        return "\n".join((self.base / "prometheus.log").read_text(
            errors="replace").splitlines()[-lines:])

    def api(self, path: str, **params: str) -> Any:
        """GET ``/api/v1/<path>``; returns ``data`` (asserts status success)."""
        query = urllib.parse.urlencode(params)
        with urllib.request.urlopen(f"{self.url}/api/v1/{path}?{query}", timeout=20) as reply:
            body = json.loads(reply.read())
        assert body["status"] == "success", body
        return body["data"]

    def query(self, expr: str) -> list[tuple[dict[str, str], str]]:
        """An instant query: (labels, value as the API writes it) per series."""
        data = self.api("query", query=expr)
        return [(r["metric"], r["value"][1]) for r in data["result"]]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        self._log.close()

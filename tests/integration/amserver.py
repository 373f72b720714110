"""A real Alertmanager (Debian ``prometheus-alertmanager`` 0.25) on 127.0.0.1 for tests:
started with a given config, polled for readiness, fed through its API v2, stopped."""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

from otelpy.testing.process import free_ports, wait_until

__all__ = ["AlertmanagerServer"]


class AlertmanagerServer:
    def __init__(self, base: Path, config: str) -> None:
        exe = shutil.which("prometheus-alertmanager")
        assert exe, "prometheus-alertmanager is required (Debian package " \
                    "prometheus-alertmanager; make system-deps installs it)"
        base.mkdir(parents=True, exist_ok=True)
        (base / "am.yml").write_text(config)
        (port,) = free_ports(1)
        self.url = f"http://127.0.0.1:{port}"
        self._log = (base / "am.log").open("wb")
        self.base = base
        self.proc = subprocess.Popen(
            [exe, f"--config.file={base / 'am.yml'}", f"--storage.path={base / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
            stdout=self._log, stderr=subprocess.STDOUT)
        wait_until(self._ready, 60.0, "alertmanager /-/ready")

    def _ready(self) -> bool:
        assert self.proc.poll() is None, f"alertmanager exited:\n{self.log_tail()}"
        try:
            with urllib.request.urlopen(f"{self.url}/-/ready", timeout=5) as reply:
                return bool(reply.status == 200)
        except OSError:
            return False

    def log_tail(self) -> str:
        return (self.base / "am.log").read_text(errors="replace")[-3000:]

    def post_alerts(self, alerts: list[dict[str, Any]]) -> None:
        req = urllib.request.Request(f"{self.url}/api/v2/alerts",
                                     data=json.dumps(alerts).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as reply:
            assert reply.status == 200

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(15)
        self._log.close()

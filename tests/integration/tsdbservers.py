"""Real VictoriaMetrics and InfluxDB 1.x servers (Debian's ``victoria-metrics`` and
``influxdb``) on 127.0.0.1 for exporter tests: started on free ports, polled for readiness
(never slept on), queried through their HTTP APIs, stopped with SIGTERM."""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from otelpy.testing.process import free_ports, wait_until

__all__ = ["InfluxDB1Server", "VictoriaMetricsServer"]


def _get(url: str, data: bytes | None = None) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, data=data, timeout=20) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


class _Server:
    name = ""

    def __init__(self, base: Path, args: list[str], ready_url: str) -> None:
        exe = shutil.which(args[0])
        assert exe, f"the {args[0]} binary is required (Debian package; make system-deps " \
                    "installs it)"
        base.mkdir(parents=True, exist_ok=True)
        self.base = base
        self._log = (base / "server.log").open("wb")
        self.proc = subprocess.Popen([exe, *args[1:]], stdout=self._log,
                                     stderr=subprocess.STDOUT)
        wait_until(lambda: self._ready(ready_url), 60.0, f"{args[0]} ready")

    def _ready(self, url: str) -> bool:
        assert self.proc.poll() is None, f"server exited:\n{self.log_tail()}"
        try:
            return _get(url)[0] in (200, 204)
        except OSError:
            return False

    def log_tail(self, lines: int = 40) -> str:
        self._log.flush()
        return "\n".join((self.base / "server.log").read_text(
            errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        self._log.close()


class VictoriaMetricsServer(_Server):
    """victoria-metrics: Influx line protocol (v1 /write, v2 /api/v2/write) and the Datadog
    v1 series API in; export API out."""

    def __init__(self, base: Path) -> None:
        (port,) = free_ports(1)
        self.url = f"http://127.0.0.1:{port}"
        super().__init__(base, ["victoria-metrics", f"-storageDataPath={base / 'data'}",
                                f"-httpListenAddr=127.0.0.1:{port}", "-retentionPeriod=100y",
                                "-search.latencyOffset=0s", "-search.disableCache"],
                         f"{self.url}/health")

    def export(self, match: str) -> dict[str, tuple[dict[str, str], list[float], list[int]]]:
        """Every series matching ``match`` after a flush: name + sorted labels -> (labels,
        values, timestamps in ms)."""
        _get(f"{self.url}/internal/force_flush")
        query = urllib.parse.urlencode({"match[]": match, "start": "0"})
        status, body = _get(f"{self.url}/api/v1/export?{query}")
        assert status == 200, body
        out = {}
        for line in body.decode().splitlines():
            doc = json.loads(line)
            labels = doc["metric"]
            key = labels["__name__"] + str(sorted((k, v) for k, v in labels.items()
                                                  if k != "__name__"))
            out[key] = (labels, doc["values"], doc["timestamps"])
        return out

    def export_eventually(self, match: str, count: int
                          ) -> dict[str, tuple[dict[str, str], list[float], list[int]]]:
        """:meth:`export` polled until it holds ``count`` series (new series take a moment
        to become searchable)."""
        return wait_until(lambda: (lambda e: e if len(e) >= count else None)(
            self.export(match)), 60.0, f"{count} series matching {match}")


class InfluxDB1Server(_Server):
    """influxd 1.x: the v1 write API and InfluxQL."""

    def __init__(self, base: Path) -> None:
        http, rpc = free_ports(2)
        self.url = f"http://127.0.0.1:{http}"
        base.mkdir(parents=True, exist_ok=True)
        conf = base / "influxdb.conf"
        conf.write_text(
            f'reporting-disabled = true\nbind-address = "127.0.0.1:{rpc}"\n'
            f'[meta]\n  dir = "{base}/meta"\n[data]\n  dir = "{base}/data"\n'
            f'  wal-dir = "{base}/wal"\n[monitor]\n  store-enabled = false\n'
            f'[http]\n  bind-address = "127.0.0.1:{http}"\n  log-enabled = false\n')
        super().__init__(base, ["influxd", "run", "-config", str(conf)], f"{self.url}/ping")

    def query(self, q: str, db: str = "") -> Any:
        """One InfluxQL statement; the ``results`` of the answer (times in ns)."""
        params = {"q": q, "epoch": "ns", **({"db": db} if db else {})}
        status, body = _get(f"{self.url}/query",
                            data=urllib.parse.urlencode(params).encode())
        assert status == 200, body
        return json.loads(body)["results"]

"""A real ``otelpy`` process for end-to-end tests: start, wait until ready, scrape, stop.

:class:`OtelpyProcess` writes a YAML config into a directory, runs the installed
``otelpy`` console script as a subprocess in its own process group (stderr goes to
a file), and waits until every endpoint named in the config accepts TCP
connections and the own-telemetry endpoint answers ``GET /metrics``. ``stop()``
sends SIGTERM and requires exit code 0 within a bound; anything left running is
killed. Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from prometheus_client.parser import text_string_to_metric_families

from otelpy.testing.polling import eventually, wait_until

__all__ = [
    "OtelpyProcess",
    "OtelpyProcessError",
    "free_ports",
    "eventually",
    "free_port",
    "metric_value",
    "otelpy_executable",
    "port_is_free",
    "wait_until",
]

HOST = "127.0.0.1"


class OtelpyProcessError(AssertionError):
    """The process did not start, did not become ready, or did not stop cleanly."""


def otelpy_executable() -> Path:
    """The ``otelpy`` console script of the interpreter running the tests."""
    path = Path(sys.executable).parent / "otelpy"
    if not path.exists():
        raise OtelpyProcessError(f"otelpy console script not found at {path}")
    return path


def free_ports(count: int) -> list[int]:
    """``count`` distinct TCP ports on 127.0.0.1 that were free a moment ago."""
    socks: list[socket.socket] = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((HOST, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def free_port() -> int:
    return free_ports(1)[0]


def port_is_free(port: int) -> bool:
    """True when nothing listens on ``port`` on 127.0.0.1 (nor on the wildcard address).

    SO_REUSEADDR as servers set it: connections in TIME_WAIT do not make a port busy.
    """
    for host in (HOST, "0.0.0.0"):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind((host, port))
            except OSError:
                return False
    return True


def _connects(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _split_endpoint(endpoint: str) -> tuple[str, int]:
    rest = endpoint.split("://", 1)[-1].split("/", 1)[0]
    host, _, port = rest.rpartition(":")
    return host or HOST, int(port)


def config_endpoints(config: Mapping[str, Any]) -> list[tuple[str, int]]:
    """Every ``endpoint`` under ``receivers`` that names a port (recursively)."""
    found: list[tuple[str, int]] = []

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                if key == "endpoint" and isinstance(value, str) and ":" in value:
                    found.append(_split_endpoint(value))
                else:
                    walk(value)

    walk(config.get("receivers") or {})
    return found


def telemetry_address(config: Mapping[str, Any]) -> tuple[str, int] | None:
    """``service.telemetry.metrics.address`` of a config, if set."""
    try:
        address = config["service"]["telemetry"]["metrics"]["address"]
    except (KeyError, TypeError):
        return None
    return _split_endpoint(str(address))


def metric_samples(text: str, name: str) -> Iterator[tuple[dict[str, str], float]]:
    """(labels, value) of every sample called ``name`` in Prometheus exposition ``text``."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                yield dict(sample.labels), float(sample.value)


def metric_value(text: str, name: str, labels: Mapping[str, str] | None = None) -> float:
    """Sum of the samples called ``name`` whose labels include ``labels`` (0 when none)."""
    want = dict(labels or {})
    return sum(
        value
        for got, value in metric_samples(text, name)
        if all(got.get(k) == v for k, v in want.items())
    )


class OtelpyProcess:
    """One ``otelpy`` subprocess running a config written into ``workdir``.

    ``config`` is a mapping (dumped as YAML) or YAML text. Ports to wait for are read
    from the config (receiver ``endpoint`` keys and ``service.telemetry.metrics.address``);
    ``extra_ports`` adds more; ``metrics_address`` (``host:port``) names the telemetry
    endpoint when the config does not (e.g. the built-in default config).
    """

    def __init__(
        self,
        workdir: Path,
        config: Mapping[str, Any] | str | None,
        name: str = "otelpy",
        args: Sequence[str] = (),
        extra_ports: Sequence[int] = (),
        env: Mapping[str, str] | None = None,
        metrics_address: str | None = None,
    ) -> None:
        self.name = name
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.config_path: Path | None = (
            self.workdir / f"{name}.yaml" if config is not None else None)
        self.stderr_path = self.workdir / f"{name}.stderr.log"
        self.stdout_path = self.workdir / f"{name}.stdout.log"
        self.args = list(args)
        self.extra_ports = list(extra_ports)
        self.env = dict(env) if env is not None else None
        self.metrics_address = metrics_address
        self.proc: subprocess.Popen[bytes] | None = None
        self.started_at: float | None = None
        self.ended_at: float | None = None
        self.config: dict[str, Any] = {}
        if config is not None:
            self.write_config(config)

    # -- config ---------------------------------------------------------------------------
    def write_config(self, config: Mapping[str, Any] | str) -> None:
        """(Re)write the config file; a running process sees it on SIGHUP."""
        assert self.config_path is not None, "process was created without a config file"
        text = config if isinstance(config, str) else yaml.safe_dump(dict(config), sort_keys=False)
        tmp = self.config_path.with_suffix(".tmp")
        tmp.write_text(text)
        tmp.replace(self.config_path)
        try:
            loaded = yaml.safe_load(text)
        except yaml.YAMLError:
            loaded = None
        if isinstance(loaded, dict):
            self.config = loaded

    @property
    def metrics_url(self) -> str | None:
        addr = (_split_endpoint(self.metrics_address) if self.metrics_address
                else telemetry_address(self.config))
        return f"http://{addr[0]}:{addr[1]}/metrics" if addr else None

    # -- lifecycle ------------------------------------------------------------------------
    def command(self) -> list[str]:
        cmd = [str(otelpy_executable())]
        if self.config_path is not None:
            cmd += ["--config", str(self.config_path)]
        return cmd + self.args

    def start(self, ready_timeout: float = 30.0) -> OtelpyProcess:
        """Start the process and wait until it serves every configured port.

        Raises OtelpyProcessError (with stderr) if it exits or is not ready in time.
        """
        env = dict(os.environ if self.env is None else self.env)
        env.setdefault("PYTHONUNBUFFERED", "1")
        # the process under test runs as in production: asyncio debug mode (which the test
        # suite turns on for in-process loops) costs CPU and distorts timing-based tests
        env.pop("PYTHONASYNCIODEBUG", None)
        with open(self.stderr_path, "wb") as err, open(self.stdout_path, "wb") as out:
            self.proc = subprocess.Popen(
                self.command(), cwd=self.workdir, stdout=out, stderr=err,
                stdin=subprocess.DEVNULL, env=env, start_new_session=True,
            )
        self.started_at = time.monotonic()
        self.wait_ready(ready_timeout)
        return self

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Wait until every configured port accepts connections and /metrics answers 200."""
        ports = config_endpoints(self.config) + [(HOST, p) for p in self.extra_ports]
        deadline = time.monotonic() + timeout
        pending = list(ports)
        while True:
            self._fail_if_exited("while starting")
            pending = [hp for hp in pending if not _connects(*hp)]
            if not pending and (self.metrics_url is None or self._scrape_or_none() is not None):
                return
            if time.monotonic() > deadline:
                self.kill()
                raise OtelpyProcessError(
                    f"{self.name} not ready after {timeout:.0f}s (waiting for ports {pending}, "
                    f"metrics {self.metrics_url})\n{self.stderr_tail()}"
                )
            time.sleep(0.05)

    def _fail_if_exited(self, when: str) -> None:
        assert self.proc is not None
        code = self.proc.poll()
        if code is not None:
            self.ended_at = self.ended_at or time.monotonic()
            raise OtelpyProcessError(
                f"{self.name} exited with code {code} {when}\n{self.stderr_tail()}"
            )

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def send_signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def stop(self, timeout: float = 15.0, expect_code: int | None = 0) -> int:
        """SIGTERM, then wait up to ``timeout`` s; kill the group on timeout.

        Returns the exit code; raises OtelpyProcessError if it differs from ``expect_code``
        (None accepts any) or the process had to be killed.
        """
        assert self.proc is not None, "not started"
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise OtelpyProcessError(
                f"{self.name} did not exit within {timeout:.0f}s of SIGTERM\n{self.stderr_tail()}"
            ) from None
        finally:
            self.ended_at = self.ended_at or time.monotonic()
        self._kill_group()  # stray children, if any
        if expect_code is not None and code != expect_code:
            raise OtelpyProcessError(
                f"{self.name} exited with code {code} after SIGTERM, expected {expect_code}\n"
                f"{self.stderr_tail()}"
            )
        return code

    def wait_exit(self, timeout: float) -> int:
        """Wait for the process to exit by itself; kill and raise on timeout."""
        assert self.proc is not None
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise OtelpyProcessError(
                f"{self.name} still running after {timeout:.0f}s\n{self.stderr_tail()}"
            ) from None
        finally:
            self.ended_at = self.ended_at or time.monotonic()

    def _kill_group(self) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)

    def kill(self) -> None:
        """SIGKILL the whole process group (no-op when already gone)."""
        if self.proc is None:
            return
        self._kill_group()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(5)
        self.ended_at = self.ended_at or time.monotonic()

    # -- observation ----------------------------------------------------------------------
    def stderr(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stderr_tail(self, lines: int = 60) -> str:
        text = self.stderr().splitlines()[-lines:]
        return f"--- {self.name} stderr ({self.stderr_path}) ---\n" + "\n".join(text)

    def error_lines(self) -> list[str]:
        """stderr lines logged at ERROR or CRITICAL, and the first line of each traceback."""
        return [ln for ln in self.stderr().splitlines()
                if " ERROR " in ln or " CRITICAL " in ln or ln.startswith("Traceback")]

    def assert_no_errors(self) -> None:
        """A happy path logs no errors and no tracebacks."""
        errors = self.error_lines()
        assert not errors, f"{self.name} logged errors:\n" + "\n".join(errors[:20]) + (
            f"\n{self.stderr_tail()}")

    def _scrape_or_none(self) -> str | None:
        url = self.metrics_url
        if url is None:
            return None
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status != 200:
                    return None
                return bytes(resp.read()).decode()
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            return None

    def scrape(self) -> str:
        """The current /metrics text; raises OtelpyProcessError when unavailable."""
        text = self._scrape_or_none()
        if text is None:
            raise OtelpyProcessError(f"GET {self.metrics_url} failed\n{self.stderr_tail()}")
        return text

    def metric(self, name: str, labels: Mapping[str, str] | None = None) -> float:
        """One metric value from /metrics, e.g.
        ``metric("otelcol_receiver_accepted_spans_total", {"receiver": "otlp"})``."""
        return metric_value(self.scrape(), name, labels)

    def __enter__(self) -> OtelpyProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.alive:
            self.kill()

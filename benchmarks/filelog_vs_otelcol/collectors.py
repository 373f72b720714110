"""The two collectors under test and their configuration, built from one filelog block.

Both get the same ``filelog`` receiver settings (include, start_at, poll_interval and, in
the regex case, the same ``operators:`` list), ``batch`` (8192 records or 200 ms) and
``otlphttp`` to the sink with gzip (both collectors' default), everything else default.
The configuration is written as JSON, which both read as YAML.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accesslog import COMBINED_REGEX
from procs import Managed, free_port, http_get, wait_until

READY_TIMEOUT = 60.0
CASES = ("raw", "regex")


def filelog_block(log_dir: Path, case: str) -> dict[str, Any]:
    """The receiver's settings, identical for both collectors."""
    block: dict[str, Any] = {
        "include": [str(log_dir / "*.log")],
        "start_at": "beginning",
        "poll_interval": "200ms",
    }
    if case == "regex":
        block["operators"] = [{"type": "regex_parser", "regex": COMBINED_REGEX}]
    return block


def pipeline_config(log_dir: Path, case: str, sink_port: int) -> dict[str, Any]:
    """filelog -> batch -> otlphttp, without the service.telemetry / extensions parts."""
    return {
        "receivers": {"filelog": filelog_block(log_dir, case)},
        "processors": {"batch": {"send_batch_size": 8192, "timeout": "200ms"}},
        "exporters": {"otlphttp": {"endpoint": f"http://127.0.0.1:{sink_port}",
                                   "compression": "gzip"}},
        "service": {"pipelines": {"logs": {"receivers": ["filelog"], "processors": ["batch"],
                                           "exporters": ["otlphttp"]}}},
    }


@dataclass
class Collector:
    """One collector: ``key`` selects it, ``label`` names its row."""

    key: str
    label: str
    binary: Path
    version: str

    def config(self, base: dict[str, Any], ready_port: int) -> tuple[dict[str, Any], str]:
        """The full config and the URL that answers 200 once it runs."""
        raise NotImplementedError

    def command(self, config: Path) -> list[str]:
        return [str(self.binary), "--config", str(config)]

    def launch(self, log_dir: Path, case: str, sink_port: int, work: Path) -> Managed:
        """Start it with an empty ``log_dir`` and wait until it is ready. Raises on failure."""
        cfg, ready_url = self.config(pipeline_config(log_dir, case, sink_port), free_port())
        path = work / f"{self.key}-{case}.yaml"
        path.write_text(json.dumps(cfg, indent=2) + "\n")
        proc = Managed(self.key, self.command(path), work / f"{self.key}-{case}.log")
        try:
            wait_until(lambda: http_get(ready_url) is not None, READY_TIMEOUT,
                       f"{self.label} ready ({ready_url})", proc)
        except (RuntimeError, TimeoutError):
            proc.stop()
            raise
        return proc


class Otelpy(Collector):
    def config(self, base: dict[str, Any], ready_port: int) -> tuple[dict[str, Any], str]:
        base["service"]["telemetry"] = {"metrics": {"address": f"127.0.0.1:{ready_port}"}}
        return base, f"http://127.0.0.1:{ready_port}/metrics"


class Otelcol(Collector):
    def config(self, base: dict[str, Any], ready_port: int) -> tuple[dict[str, Any], str]:
        # this build has no extensions: its own Prometheus telemetry endpoint is the signal
        reader = {"pull": {"exporter": {"prometheus": {"host": "127.0.0.1",
                                                       "port": ready_port}}}}
        base["service"]["telemetry"] = {"metrics": {"level": "basic", "readers": [reader]},
                                        "logs": {"level": "warn"}}
        return base, f"http://127.0.0.1:{ready_port}/metrics"

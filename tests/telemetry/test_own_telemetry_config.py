"""service::telemetry in the Collector's current form, in a real otelpy process and through
validation: a pull reader sets the metrics endpoint (scraped over HTTP), upper-case
levels, own logs to a file with initial_fields, sampling, and clear refusals."""

from __future__ import annotations

import json
import logging
import urllib.request
from pathlib import Path

import pytest

from otelpy.config import load, validate
from otelpy.config.telemetry import LogsSamplingConfig, TelemetryConfig
from otelpy.errors import ConfigError
from otelpy.ownlogs import LogSampler
from otelpy.registry import default_registry
from otelpy.testing.process import OtelpyProcess, free_ports


def config(grpc: int, telemetry: str) -> str:
    return f"""
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:{grpc}
exporters:
  debug:
service:
  telemetry:
{telemetry}
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [debug]
"""


def test_pull_reader_serves_own_metrics_and_logs_go_to_the_file(tmp_path: Path) -> None:
    grpc, metrics = free_ports(2)
    log_file = tmp_path / "own.log"
    telemetry = f"""    logs:
      level: DEBUG
      encoding: json
      output_paths: ["{log_file}"]
      initial_fields:
        instance: gw-1
    metrics:
      level: detailed
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: {metrics}
"""
    with OtelpyProcess(tmp_path, config(grpc, telemetry),
                       metrics_address=f"127.0.0.1:{metrics}") as proc:
        proc.start()
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics}/metrics", timeout=10) as r:
            body = r.read().decode()
        assert r.status == 200
        assert "otelcol_process_uptime" in body
        proc.stop()
    lines = [json.loads(line) for line in log_file.read_text().splitlines()]
    assert any(line["msg"].startswith("everything is ready") for line in lines)
    assert all(line["instance"] == "gw-1" for line in lines)
    assert any(line["level"] == "DEBUG" for line in lines)  # the upper-case level applies


def validated(tmp_path: Path, telemetry: str) -> TelemetryConfig:
    (tmp_path / "p.yaml").write_text(config(4317, telemetry))
    return validate(load([str(tmp_path / "p.yaml")], env={}), default_registry()).telemetry


def refused(tmp_path: Path, telemetry: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        validated(tmp_path, telemetry)
    return info.value.problems


def test_upper_and_lower_case_levels(tmp_path: Path) -> None:
    cfg = validated(tmp_path, "    logs:\n      level: WARN\n    metrics:\n      level: BASIC\n")
    assert (cfg.logs.level, cfg.metrics.level) == ("warn", "basic")
    cfg = validated(tmp_path, "    logs:\n      level: Debug\n    traces:\n      level: None\n")
    assert (cfg.logs.level, cfg.traces.level) == ("debug", "none")
    problems = refused(tmp_path, "    logs:\n      level: Verbose\n")
    assert len(problems) == 1
    assert problems[0].endswith(": service::telemetry::logs::level: expected 'debug', "
                                "'info', 'warn', 'error', 'dpanic', 'panic' or 'fatal' "
                                '(got "Verbose")'), problems[0]


@pytest.mark.parametrize(("telemetry", "where", "why"), [
    ("    metrics:\n      readers:\n        - periodic:\n            exporter:\n"
     "              otlp:\n                endpoint: http://x:4318\n",
     "service::telemetry::metrics::readers::0::periodic",
     "not supported by otelpy: otelpy serves its own metrics for scraping only"),
    ("    logs:\n      processors:\n        - batch:\n            exporter:\n"
     "              otlp:\n                endpoint: http://x:4318\n",
     "service::telemetry::logs", "processors: not supported by otelpy: otelpy writes its "
     "own logs to output_paths only"),
    ("    metrics:\n      level: detailed\n      views:\n        - selector:\n"
     "            instrument_name: x\n",
     "service::telemetry::metrics", "views: not supported by otelpy"),
    ("    metrics:\n      address: 127.0.0.1:9999\n      readers:\n        - pull:\n"
     "            exporter:\n              prometheus:\n                port: 9998\n",
     "service::telemetry::metrics", "readers: set either address or a pull reader"),
], ids=["periodic-reader", "log-processors", "views", "address-and-reader"])
def test_refused_clearly(tmp_path: Path, telemetry: str, where: str, why: str) -> None:
    problems = refused(tmp_path, telemetry)
    assert len(problems) == 1, problems
    assert f": {where}: " in problems[0] and why in problems[0], problems[0]
    assert "unknown key" not in problems[0]


def test_pull_reader_sets_the_address_and_traces_are_accepted(tmp_path: Path) -> None:
    cfg = validated(tmp_path, "    metrics:\n      readers:\n        - pull:\n"
                              "            exporter:\n              prometheus:\n"
                              "                host: 0.0.0.0\n                port: 8899\n"
                              "    traces:\n      level: none\n"
                              "      propagators: tracecontext,b3\n")
    assert cfg.metrics.address == "0.0.0.0:8899"
    assert cfg.traces.propagators == ["tracecontext", "b3"]  # one string, split as Go does


def test_sampler_passes_initial_then_every_nth() -> None:
    sampler = LogSampler(LogsSamplingConfig(tick=3600, initial=2, thereafter=3))
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "same %s", ("a",), None)
    other = logging.LogRecord("x", logging.INFO, __file__, 1, "other", (), None)
    passed = [sampler.filter(record) for _ in range(8)]
    assert passed == [True, True, False, False, True, False, False, True]
    assert sampler.filter(other)  # counted per message template

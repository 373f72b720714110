"""service::shutdown_timeout bounds how long exporters drain on shutdown; drops are counted."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import aiohttp
import pytest

from otelpy import config as otelconfig
from otelpy.errors import ConfigError
from otelpy.registry import default_registry
from otelpy.service import Service
from otelpy.testing.samples import traces_request


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _config(http: int, dead: int, timeout: str) -> str:
    return f"""
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:{http}
exporters:
  otlphttp:
    endpoint: http://127.0.0.1:{dead}
    retry_on_failure:
      initial_interval: 50ms
      max_interval: 100ms
service:
  shutdown_timeout: {timeout}
  telemetry:
    metrics:
      level: none
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [otlphttp]
"""


@pytest.mark.parametrize("drain", ["300ms", "1s"], ids=["300ms", "1s"])
async def test_shutdown_drains_for_the_configured_time_and_counts_drops(
        tmp_path: Path, drain: str, caplog: pytest.LogCaptureFixture) -> None:
    http = _port()
    # a backend that takes connections but never answers: every send hangs
    backend = socket.socket()
    backend.bind(("127.0.0.1", 0))
    backend.listen(64)
    cfg = tmp_path / "otelpy.yaml"
    cfg.write_text(_config(http, backend.getsockname()[1], drain))
    service = Service([str(cfg)])
    loaded = service.load()
    assert loaded.shutdown_timeout == otelconfig.types.parse_duration(drain)
    await service.start(loaded)
    async with aiohttp.ClientSession() as session:
        for n in (4, 6):
            async with session.post(f"http://127.0.0.1:{http}/v1/traces",
                                    data=traces_request(n).SerializeToString(),
                                    headers={"Content-Type": "application/x-protobuf"}) as r:
                assert r.status == 200  # accepted into the sending queue
    started = time.monotonic()
    await service.shutdown()
    took = time.monotonic() - started
    backend.close()
    limit = loaded.shutdown_timeout
    assert limit <= took < limit + 10.0, took  # waited the drain; bounded at 10x slower
    assert service.telemetry.value("otelcol_exporter_send_failed_spans_total",
                                   {"exporter": "otlphttp"}) == 10
    lines = [r.getMessage() for r in caplog.records if "shutdown dropped" in r.getMessage()]
    assert lines == [f"shutdown dropped 10 spans (not delivered while draining; "
                     f"drain_timeout {limit:g}s)"]


def test_shutdown_timeout_is_validated(tmp_path: Path) -> None:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(_config(1, 2, "soon"))
    with pytest.raises(ConfigError, match=r"bad.yaml:\d+:\d+: service::shutdown_timeout"):
        otelconfig.validate(otelconfig.load([str(cfg)]), default_registry())


def test_default_is_five_seconds() -> None:
    cfg = otelconfig.validate(otelconfig.load([], default_yaml=otelconfig.DEFAULT_CONFIG),
                              default_registry())
    assert cfg.shutdown_timeout == 5.0

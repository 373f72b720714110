"""A third-party component installs through the ``otelpy.components`` entry point group.

The example plugin (tests/plugin/otelpy_example_plugin) is pip-installed into a
temporary directory that is put on PYTHONPATH of a real otelpy process, so the
test's own environment is not changed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from otelpy.testing.process import OtelpyProcess, free_ports, otelpy_executable, wait_until
from otelpy.testing.samples import traces_request

PLUGIN = Path(__file__).parent / "plugin" / "otelpy_example_plugin"


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("plugin-site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(PLUGIN)],
        check=True, capture_output=True, timeout=120,
    )
    return target


def _env(plugin_path: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(plugin_path)}


@pytest.mark.integration
def test_plugin_is_listed(plugin_path: Path) -> None:
    out = subprocess.run([str(otelpy_executable()), "components"], env=_env(plugin_path),
                         capture_output=True, text=True, check=True, timeout=60).stdout
    assert any(line.split()[:2] == ["exporter", "item_count"] for line in out.splitlines())
    plain = subprocess.run([str(otelpy_executable()), "components"], capture_output=True,
                           text=True, check=True, timeout=60).stdout
    assert "item_count" not in plain


@pytest.mark.integration
def test_plugin_runs_in_a_pipeline(plugin_path: Path, tmp_path: Path) -> None:
    http, metrics = free_ports(2)
    out = tmp_path / "counts.txt"
    config = {
        "receivers": {"otlp": {"protocols": {"http": {"endpoint": f"127.0.0.1:{http}"}}}},
        "exporters": {"item_count": {"path": str(out)}},
        "service": {
            "telemetry": {"metrics": {"address": f"127.0.0.1:{metrics}"}},
            "pipelines": {"traces": {"receivers": ["otlp"], "exporters": ["item_count"]}},
        },
    }
    proc = OtelpyProcess(tmp_path, config, env=_env(plugin_path)).start()
    try:
        for n in (3, 11):
            req = urllib.request.Request(
                f"http://127.0.0.1:{http}/v1/traces", data=traces_request(n).SerializeToString(),
                headers={"Content-Type": "application/x-protobuf"}, method="POST")
            with urllib.request.urlopen(req, timeout=10) as resp:
                assert resp.status == 200
        wait_until(lambda: out.exists() and len(out.read_text().splitlines()) == 2, 10,
                   "plugin output")
        assert out.read_text().splitlines() == ["traces 3", "traces 11"]
    finally:
        proc.stop()

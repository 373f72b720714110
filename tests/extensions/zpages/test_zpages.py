"""zpages in a real otelpy process: every page over HTTP shows the running pipelines and
extensions (escaped), follows a reload, and expvarz only when enabled; in-process: auth,
TLS-free refusals, a host that cannot describe itself, config errors."""

from __future__ import annotations

import base64
import html
import json
import re
import signal
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from otelpy.component import Kind
from otelpy.errors import ComponentStartError
from otelpy.extensions.zpages import ZPagesConfig, ZPagesExtension
from otelpy.telemetry import Telemetry
from otelpy.testing.authhost import create_component, extension_host, stop_extensions
from otelpy.testing.process import OtelpyProcess, free_ports, wait_until
from otelpy.testing.sink import FakeHost

ODD_PIPELINE = "traces/<i>odd</i>&co"
ODD_PROCESSOR = "batch/a<b>&\"q\""


def _config(tmp: Path, ports: list[int], extra_pipeline: bool = False) -> dict[str, Any]:
    otlp, zpages, zplain, health, metrics = ports
    pipelines: dict[str, Any] = {
        "traces": {"receivers": ["otlp"], "processors": ["batch", ODD_PROCESSOR],
                   "exporters": ["forward"]},
        "traces/out": {"receivers": ["forward"], "exporters": ["file"]},
        ODD_PIPELINE: {"receivers": ["otlp"], "exporters": ["file"]},
    }
    if extra_pipeline:
        pipelines["logs/added"] = {"receivers": ["otlp"], "exporters": ["file"]}
    return {
        "receivers": {"otlp": {"protocols": {"http": {"endpoint": f"127.0.0.1:{otlp}"}}}},
        "processors": {"batch": {"timeout": "50ms"}, ODD_PROCESSOR: {}},
        "exporters": {"file": {"path": str(tmp / "out.jsonl")}},
        "connectors": {"forward": {}},
        "extensions": {
            "zpages": {"endpoint": f"127.0.0.1:{zpages}", "expvar": {"enabled": True}},
            "zpages/plain": {"endpoint": f"127.0.0.1:{zplain}"},
            "health_check": {"endpoint": f"127.0.0.1:{health}"},
        },
        "service": {
            "extensions": ["health_check", "zpages", "zpages/plain"],
            "telemetry": {"metrics": {"address": f"127.0.0.1:{metrics}"}},
            "pipelines": pipelines,
        },
    }


def _get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.headers["Content-Type"], resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read().decode()


def _rows(page: str) -> list[list[str]]:
    """The data rows of the page's tables: each cell's text, tags removed, unescaped."""
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", page, flags=re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
        if cells:
            rows.append([re.sub(r"<[^>]+>", " ", c).split() for c in cells])
    return [[html.unescape(" ".join(words)) for words in row] for row in rows]


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[OtelpyProcess, list[int]]]:
    ports = free_ports(5)
    proc = OtelpyProcess(tmp_path, _config(tmp_path, ports), extra_ports=ports[1:4])
    proc.start()
    yield proc, ports
    proc.stop()


def test_pipelinez_lists_every_pipeline_with_its_components(
        running: tuple[OtelpyProcess, list[int]]) -> None:
    _, ports = running
    status, ctype, page = _get(f"http://127.0.0.1:{ports[1]}/debug/pipelinez")
    assert status == 200 and ctype == "text/html; charset=utf-8"
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    rows = {r[0]: r[1:] for r in _rows(page)}
    assert set(rows) == {"traces", "traces/out", ODD_PIPELINE}
    assert rows["traces"] == ["traces", "false", "otlp", f"→ batch → {ODD_PROCESSOR} →",
                              "forward (connector)", "ok"]
    assert rows["traces/out"] == ["traces", "false", "forward (connector)", "→", "file", "ok"]
    assert rows[ODD_PIPELINE] == ["traces", "false", "otlp", "→", "file", "ok"]
    # nothing from the config becomes markup
    assert "<i>odd" not in page and "<b>&" not in page
    assert ">traces/&lt;i&gt;odd&lt;/i&gt;&amp;co<" in page


def test_pipelinez_component_detail(running: tuple[OtelpyProcess, list[int]]) -> None:
    base = f"http://127.0.0.1:{running[1][1]}/debug/pipelinez"
    _, _, page = _get(base + "?zpipelinename=traces&zcomponentname=batch"
                             "&zcomponentkind=processor")
    assert "<h6>processor: traces/batch</h6>" in page
    assert "in pipeline traces (status: ok)" in page
    _, _, page = _get(base + "?zpipelinename=traces%2Fout&zcomponentname=batch"
                             "&zcomponentkind=processor")
    assert "pipeline &#x27;traces/out&#x27; has no processor &#x27;batch&#x27;" in page


def test_servicez_extensionz_featurez_tracez(running: tuple[OtelpyProcess, list[int]]) -> None:
    proc, ports = running
    base = f"http://127.0.0.1:{ports[1]}/debug/"
    _, _, page = _get(base + "servicez")
    props = {r[0]: r[1] for r in _rows(page)}
    assert props["Command"] == "otelpy" and props["Version"] == "0.1.0"
    assert props["Sources"] == str(proc.config_path)
    assert props["PID"] == str(proc.pid)
    assert (props["Receivers"], props["Processors"], props["Exporters"], props["Connectors"],
            props["Extensions"], props["Pipelines"]) == ("1", "2", "1", "1", "3", "3")
    assert props["OwnMetrics"] == f"127.0.0.1:{ports[4]}"
    assert props["Reloads"] == "0"
    for link in ("pipelinez", "extensionz", "featurez", "tracez", "expvarz"):
        assert f'href="{link}"' in page
    _, _, page = _get(base + "extensionz")
    assert _rows(page) == [["health_check", "running"], ["zpages", "running"],
                           ["zpages/plain", "running"]]
    _, _, page = _get(base + "extensionz?zextensionname=nope")
    assert "no extension &#x27;nope&#x27; is enabled" in page
    _, _, page = _get(base + "featurez")
    assert _rows(page) == [] and "otelpy has no feature gates" in page
    status, _, page = _get(base + "tracez")
    assert status == 200 and _rows(page) == []
    assert "otelpy records no spans about its own work" in page


def test_expvarz_only_when_enabled(running: tuple[OtelpyProcess, list[int]]) -> None:
    proc, ports = running
    status, ctype, body = _get(f"http://127.0.0.1:{ports[1]}/debug/expvarz")
    assert status == 200 and ctype.startswith("application/json")
    doc = json.loads(body)
    assert doc["cmdline"][-2:] == ["--config", str(proc.config_path)]
    assert doc["otelpy"]["pid"] == proc.pid
    assert doc["rusage"]["user_cpu_seconds"] > 0 and doc["asyncio_tasks"] > 0
    assert _get(f"http://127.0.0.1:{ports[2]}/debug/expvarz")[0] == 404
    _, _, page = _get(f"http://127.0.0.1:{ports[2]}/debug/servicez")
    assert 'href="expvarz"' not in page


def test_pages_follow_a_reload(tmp_path: Path,
                               running: tuple[OtelpyProcess, list[int]]) -> None:
    proc, ports = running
    proc.write_config(_config(tmp_path, ports, extra_pipeline=True))
    proc.send_signal(signal.SIGHUP)
    url = f"http://127.0.0.1:{ports[1]}/debug/pipelinez"
    rows = wait_until(lambda: [r for r in _rows(_get(url)[2]) if r[0] == "logs/added"], 30,
                      "the reloaded pipeline on pipelinez")
    assert rows == [["logs/added", "logs", "false", "otlp", "→", "file", "ok"]]
    _, _, page = _get(f"http://127.0.0.1:{ports[1]}/debug/servicez")
    props = {r[0]: r[1] for r in _rows(page)}
    assert props["Reloads"] == "1" and props["Pipelines"] == "4"


# -- in-process -----------------------------------------------------------------------------
async def test_behind_basic_auth() -> None:
    tel = Telemetry()
    host = await extension_host({"basicauth/ops": {"htpasswd": {"inline": "ops:pw"}}}, tel)
    ext: ZPagesExtension = create_component(
        Kind.EXTENSION, "zpages", {"endpoint": "127.0.0.1:0",
                                   "auth": {"authenticator": "basicauth/ops"}}, tel)
    await ext.start(host)
    good = {"authorization": "Basic " + base64.b64encode(b"ops:pw").decode()}
    try:
        async with aiohttp.ClientSession() as session:
            for path in ("servicez", "pipelinez", "tracez"):
                url = f"http://127.0.0.1:{ext.port}/debug/{path}"
                async with session.get(url) as resp:
                    assert resp.status == 401
                async with session.get(url, headers=good) as resp:
                    assert resp.status == 200
                    assert "<!DOCTYPE html>" in await resp.text()
    finally:
        await ext.shutdown()
        await stop_extensions(host)


async def test_a_host_that_cannot_describe_the_service() -> None:
    ext: ZPagesExtension = create_component(Kind.EXTENSION, "zpages",
                                            {"endpoint": "127.0.0.1:0"}, Telemetry())
    await ext.start(FakeHost({"traces": "ok"}))
    try:
        async with aiohttp.ClientSession() as session:
            for path in ("pipelinez", "extensionz", "servicez"):
                async with session.get(f"http://127.0.0.1:{ext.port}/debug/{path}") as resp:
                    assert resp.status == 200
                    assert "does not describe the running service" in await resp.text()
    finally:
        await ext.shutdown()
        await ext.shutdown()  # idempotent


async def test_taken_port_fails_start() -> None:
    first: ZPagesExtension = create_component(Kind.EXTENSION, "zpages",
                                              {"endpoint": "127.0.0.1:0"}, Telemetry())
    await first.start(FakeHost())
    second: ZPagesExtension = create_component(
        Kind.EXTENSION, "zpages", {"endpoint": f"127.0.0.1:{first.port}"}, Telemetry())
    try:
        with pytest.raises(ComponentStartError, match=f"cannot listen on 127.0.0.1:{first.port}"):
            await second.start(FakeHost())
    finally:
        await first.shutdown()


@pytest.mark.parametrize(("raw", "problem"), [
    ({"endpoint": ""}, '"endpoint" is required when using the "zpages" extension'),
    ({"endpoint": "localhost"}, "must be host:port"),
], ids=["empty", "no-port"])
def test_config_problems(raw: dict[str, Any], problem: str) -> None:
    problems = ZPagesConfig.model_validate(raw).validate_config()
    assert len(problems) == 1 and problem in problems[0]


def test_defaults_match_the_collector() -> None:
    cfg = ZPagesConfig()
    assert (cfg.endpoint, cfg.expvar.enabled, cfg.tls, cfg.auth) == (
        "localhost:55679", False, None, None)

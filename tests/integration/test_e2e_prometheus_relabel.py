"""Relabelling compared with Prometheus itself: one real Prometheus and otelpy's scrape engine
run the same scrape configs (every relabel action, on targets and on samples, honor_labels
both ways, file_sd) against the same target; the series label sets must be identical."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from otelpy.clock import SYSTEM_CLOCK
from otelpy.prometheus.manager import ScrapeManager
from otelpy.prometheus.scrape import ScrapeResult
from otelpy.prometheus.scrapeconfig import PromConfig
from otelpy.testing.process import free_ports, wait_until
from tests.integration.promserver import PrometheusServer

METRICS = """# TYPE requests_total counter
requests_total{method="get",code="200",path="/a",secret_token="x"} 1
requests_total{method="post",code="503",path="/b"} 2
old_name{x="1"} 3
drop_me_total 4
conflict{job="exposed",instance="inst",env="inner",exported_job="pre"} 5
empty_value{a=""} 6
# TYPE lat histogram
lat_bucket{le="1"} 1
lat_bucket{le="+Inf"} 2
lat_sum 3
lat_count 2
"""

TARGET_RULES = r"""
    relabel_configs:
      - {source_labels: [__address__], regex: '(.*):(\d+)', target_label: port, replacement: '${2}'}
      - {source_labels: [env], regex: '(\w+)', target_label: 'env_${1}', replacement: 'yes'}
      - {source_labels: [env], target_label: quirk, replacement: '$1_suffix'}
      - {source_labels: [env, __tmp_team], separator: '|', target_label: joined}
      - {source_labels: [__tmp_team], target_label: team_lower, action: lowercase}
      - {source_labels: [__tmp_team], target_label: team_upper, action: uppercase}
      - {source_labels: [__address__], target_label: shard, modulus: 7, action: hashmod}
      - {regex: '__tmp_(.+)', replacement: 'mapped_$1', action: labelmap}
      - {source_labels: [nothing], regex: '', target_label: defaulted, replacement: 'was-empty'}
      - {source_labels: [env], regex: 'DEV', target_label: never, replacement: x}
      - {source_labels: [env], regex: '(?i)DEV', target_label: case_insensitive, replacement: x}
"""


def _config(port: int, sd_file: Path) -> str:
    groups = (f"""
      - targets: ['127.0.0.1:{port}']
        labels: {{env: prod, __tmp_team: Core, a: same, b: same}}
      - targets: ['localhost:{port}']
        labels: {{env: dev, __tmp_team: Ops, a: one, b: two}}""")
    static = f"    static_configs:{groups}\n"
    one = f"    static_configs:\n      - targets: ['127.0.0.1:{port}']\n"
    return f"""global: {{scrape_interval: 1s, scrape_timeout: 1s, external_labels: {{site: lab}}}}
scrape_configs:
  - job_name: targets
{static}{TARGET_RULES}
  - job_name: keepequal
{static}    relabel_configs: [{{source_labels: [a], target_label: b, action: keepequal}}]
  - job_name: dropequal
{static}    relabel_configs: [{{source_labels: [a], target_label: b, action: dropequal}}]
  - job_name: keepdrop
{static}    relabel_configs:
      - {{source_labels: [env], regex: 'prod|dev', action: keep}}
      - {{source_labels: [env], regex: 'dev', action: drop}}
  - job_name: labelkeepdrop
{static}    relabel_configs:
      - {{regex: 'a|b', action: labeldrop}}
      - {{regex: '__.*|env', action: labelkeep}}
  - job_name: metrics
{one}    metric_relabel_configs:
      - {{source_labels: [__name__], regex: 'drop_me.*', action: drop}}
      - {{source_labels: [__name__], regex: 'old_(.*)', target_label: __name__,
          replacement: 'new_$1'}}
      - {{regex: 'secret.*', action: labeldrop}}
      - {{source_labels: [code], regex: '5..', target_label: error, replacement: 'true'}}
      - {{source_labels: [method], target_label: method, action: uppercase}}
      - {{source_labels: [path], target_label: bucket, modulus: 3, action: hashmod}}
      - {{source_labels: [le], regex: '1', target_label: small, replacement: 'yes'}}
  - job_name: metrics_keep
{one}    metric_relabel_configs:
      - {{source_labels: [__name__, method], separator: '@',
          regex: 'requests_total@(get|post)', action: keep}}
  - job_name: honor
    honor_labels: true
{one}  - job_name: files
    file_sd_configs: [{{files: ['{sd_file}'], refresh_interval: 1s}}]
    relabel_configs: [{{regex: '__meta_(.*)', replacement: 'sd_$1', action: labelmap}}]
"""


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    root = tmp_path_factory.mktemp("target")
    (root / "metrics").write_text(METRICS)
    (port,) = free_ports(1)
    proc = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind",
                             "127.0.0.1", "--directory", str(root)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: _get(f"http://127.0.0.1:{port}/metrics"), 30, "target up")
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _get(url: str) -> bool:
    import urllib.request
    try:
        with urllib.request.urlopen(url, timeout=5) as reply:
            return bool(reply.status == 200)
    except OSError:
        return False


def _prometheus_series(prom: PrometheusServer) -> set[frozenset[tuple[str, str]]]:
    return {frozenset(labels.items()) for labels, _ in prom.query('{__name__=~".+"}')}


def _otelpy_series(results: dict[object, ScrapeResult]) -> set[frozenset[tuple[str, str]]]:
    """Our series without the external label: Prometheus keeps external_labels out of its
    TSDB (they go on remote write and alerts); the Collector adds them to every sample."""
    out = set()
    for result in results.values():
        for s in (*result.kept(), *result.report):
            assert s.labels["site"] == "lab"
            labels = {k: v for k, v in s.labels.items() if k != "site"}
            out.add(frozenset({**labels, "__name__": s.name}.items()))
    return out


async def test_relabelling_matches_prometheus(target: int, tmp_path: Path) -> None:
    sd_file = tmp_path / "targets.json"
    sd_file.write_text(json.dumps([{"targets": [f"127.0.0.1:{target}"],
                                    "labels": {"fs": "yes"}}]))
    text = _config(target, sd_file)
    cfg = PromConfig.model_validate(yaml.safe_load(text))
    assert cfg.validate_config() == []
    results: dict[object, ScrapeResult] = {}

    async def deliver(result: ScrapeResult) -> None:
        if result.report:
            results[result.target.key] = result

    manager = ScrapeManager(cfg, deliver, SYSTEM_CLOCK, logging.getLogger("relabel-test"))
    (prom_port,) = free_ports(1)
    prom = PrometheusServer(tmp_path / "prom", prom_port, {}, config=text)
    await manager.start()
    try:
        ours: set[frozenset[tuple[str, str]]] = set()
        theirs: set[frozenset[tuple[str, str]]] = set()
        for _ in range(600):
            ours = _otelpy_series(results)
            theirs = await asyncio.to_thread(_prometheus_series, prom)
            if ours and ours == theirs and len(results) == 11:
                break
            await asyncio.sleep(0.1)
        missing = sorted(sorted(s) for s in theirs - ours)
        extra = sorted(sorted(s) for s in ours - theirs)
        assert (missing, extra) == ([], []), "\n".join(
            ["only in Prometheus:", *map(str, missing[:8]), "only in otelpy:",
             *map(str, extra[:8])])
        assert len(ours) > 60
        assert len(results) == 11
        names = {dict(s).get("__name__") for s in ours if dict(s).get("job") == "metrics"}
        assert "new_name" in names and "drop_me_total" not in names
    finally:
        await manager.stop()
        prom.stop()

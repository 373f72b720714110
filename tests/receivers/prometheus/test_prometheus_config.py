"""Config errors of the prometheus receiver name file:line and the YAML path; Prometheus keys
otelpy does not implement are refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from otelpy.config import load, validate
from otelpy.errors import ConfigError
from otelpy.registry import default_registry as make_registry

HEAD = """receivers:
  prometheus:
    config:
"""
TAIL = """exporters:
  debug:
service:
  pipelines:
    metrics: {receivers: [prometheus], exporters: [debug]}
"""

CASES = [
    ("kubernetes_sd", """      scrape_configs:
        - job_name: k
          kubernetes_sd_configs: [{role: pod}]
""", "p.yaml:5:11: receivers::prometheus::config::scrape_configs::0: kubernetes_sd_configs: "
     "service discovery other than static_configs and file_sd_configs is not supported by "
     "otelpy's prometheus receiver"),
    ("rule_files", """      rule_files: [a.yml]
      scrape_configs: [{job_name: a}]
""", "p.yaml:3:5: receivers::prometheus::config: rule_files: is not supported by otelpy's "
     "prometheus receiver"),
    ("bad_action", """      scrape_configs:
        - job_name: a
          relabel_configs:
            - {action: explode}
""", "p.yaml:7:16: receivers::prometheus::config::scrape_configs::0::relabel_configs::0::"
     "action: unknown relabel action 'explode' (one of replace, keep, drop, keepequal, "
     "dropequal, hashmod, labelmap, labeldrop, labelkeep, lowercase, uppercase)"),
    ("timeout_over_interval", """      scrape_configs:
        - {job_name: a, scrape_interval: 5s, scrape_timeout: 10s}
""", "p.yaml:5:46: receivers::prometheus::config::scrape_configs::0::scrape_timeout: scrape "
     "timeout greater than scrape interval for scrape config with job name 'a'"),
    ("duplicate_job", """      scrape_configs:
        - {job_name: a}
        - {job_name: a}
""", "p.yaml:6:12: receivers::prometheus::config::scrape_configs::1::job_name: found "
     "multiple scrape configs with job name 'a'"),
    ("prom_duration", """      global: {scrape_interval: 1.5m}
      scrape_configs: [{job_name: a}]
""", "p.yaml:4:16: receivers::prometheus::config::global::scrape_interval: not a valid "
     "duration string: '1.5m' (e.g. 15s, 1m, 1h30m, 1d)"),
    ("no_scrape_configs", """      global: {scrape_interval: 1m}
""", "p.yaml:3:5: receivers::prometheus::config: no Prometheus scrape_configs or "
     "target_allocator set"),
]


@pytest.mark.parametrize("body,expected", [(b, e) for _, b, e in CASES],
                         ids=[i for i, _, _ in CASES])
def test_config_error(body: str, expected: str, tmp_path: Path,
                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("p.yaml").write_text(HEAD + body + TAIL)
    with pytest.raises(ConfigError) as info:
        validate(load(["p.yaml"], env={}), make_registry())
    assert expected in info.value.problems, info.value.problems


def test_a_full_config_validates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("p.yaml").write_text(HEAD + """      global:
        scrape_interval: 15s
        external_labels: {dc: eu}
      scrape_configs:
        - job_name: app
          scrape_interval: 1m30s
          metrics_path: /m
          params: {format: [prometheus]}
          scheme: https
          honor_labels: true
          basic_auth: {username: u, password: p}
          tls_config: {insecure_skip_verify: true, min_version: TLS12}
          static_configs: [{targets: ['a:9100'], labels: {team: x}}]
          file_sd_configs: [{files: ['/etc/targets/*.json'], refresh_interval: 1m}]
          relabel_configs:
            - {source_labels: [__address__], regex: '(.*):.*', target_label: host}
          metric_relabel_configs:
            - {regex: 'tmp_.*', action: labeldrop}
          sample_limit: 1000
    trim_metric_suffixes: true
""" + TAIL)
    valid = validate(load(["p.yaml"], env={}), make_registry())
    assert valid is not None



"""Validation of healthcheck configs (every problem with its YAML path), and the spec's
health_config validating and running as written in a real otelpy process."""

from __future__ import annotations

import json
import shutil
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from otelpy import config as otelconfig
from otelpy.errors import ConfigError
from otelpy.registry import load_registry
from otelpy.testing.dbservers import PostgresServer
from otelpy.testing.polling import wait_until
from otelpy.testing.process import OtelpyProcess, free_port

HERE = Path(__file__).parent
SPEC = HERE / "spec_health_config.yaml"
EXAMPLES = HERE.parents[2] / "config-examples"
REGISTRY = load_registry(include_plugins=False)
ENV = {"POSTGRES_URL": "postgresql://postgres@127.0.0.1:5432/postgres",
       "SPOTIFY_TOKEN": "tok", "HEALTH_PORT": "13133", "STATUS_PORT": "55679"}


def problems(tmp_path: Path, checks: dict[str, Any], **extra: Any) -> list[str]:
    doc = {"receivers": {"healthcheck": {"checks": checks, **extra}},
           "exporters": {"debug": {}},
           "service": {"pipelines": {"metrics": {"receivers": ["healthcheck"],
                                                 "exporters": ["debug"]}}}}
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(doc))
    try:
        otelconfig.validate(otelconfig.load([str(path)], env={}), REGISTRY)
    except ConfigError as exc:
        return [str(p) for p in exc.problems]
    return []


def test_spec_config_validates_as_written() -> None:
    cfg = otelconfig.validate(otelconfig.load([str(SPEC)], env=ENV), REGISTRY)
    checks = cfg.receivers[next(iter(cfg.receivers))].checks
    assert checks["database_postgresql"].every == 30
    assert checks["redis_cache"].cutoff == 2
    assert checks["spotify_web_api"].headers["Authorization"].reveal() == "Bearer tok"
    assert checks["kubernetes_cluster"].namespace == "spotify-ai-agent"
    assert checks["kubernetes_cluster"].resources == ["deployments", "services", "pods"]


CASES = [
    ("both-intervals", {"c": {"type": "tcp", "endpoint": "a:1", "interval": "5s",
                              "interval_seconds": 5}},
     "checks::c: interval and interval_seconds are the same setting"),
    ("zero-timeout", {"c": {"type": "tcp", "endpoint": "a:1", "timeout": "0s"}},
     "checks::c: timeout must be greater than zero"),
    ("unknown-type", {"c": {"type": "mongodb"}}, "checks::c"),
    ("http-url", {"c": {"type": "http", "url": "ftp://x"}}, "must be an http:// or https://"),
    ("http-regex", {"c": {"type": "http", "url": "http://x", "body_regex": "("}},
     "body_regex: invalid regular expression"),
    ("tcp-endpoint", {"c": {"type": "tcp", "endpoint": "nope"}}, "endpoint 'nope' must be"),
    ("custom-ref", {"c": {"type": "custom", "check_function": "a b:c"}},
     "check_function 'a b:c': expected module:function"),
    ("pg-dsn", {"c": {"type": "postgresql", "connection_string": "mysql://x"}},
     "connection_string must be a postgresql:// URI"),
    ("dns-type", {"c": {"type": "dns", "name": "x", "record_type": "ZZ"}},
     "record_type 'ZZ' is not one of"),
    ("unknown-key", {"c": {"type": "redis", "hots": "x"}}, "hots"),
    ("grpc-skip-verify", {"c": {"type": "grpc", "endpoint": "a:1",
                                "tls": {"insecure_skip_verify": True}}},
     "tls::insecure_skip_verify is not supported by grpc checks yet"),
    ("http-tls-reload", {"c": {"type": "http", "url": "https://x",
                               "tls": {"reload_interval": "1m"}}},
     "tls::reload_interval is not supported by http checks yet"),
    ("k8s-resources", {"c": {"type": "kubernetes", "resources": ["nodes"]}},
     "resources: 'nodes' not one of"),
    ("no-checks", {}, "at least one check is required"),
]


@pytest.mark.parametrize(("checks", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_validation_problems(tmp_path: Path, checks: dict[str, Any], expected: str) -> None:
    found = problems(tmp_path, checks)
    assert any(expected in p for p in found), found


def test_bad_threshold(tmp_path: Path) -> None:
    found = problems(tmp_path, {"c": {"type": "tcp", "endpoint": "a:1"}},
                     alerting={"critical_failure_threshold": 0})
    assert any("alerting::critical_failure_threshold" in p for p in found), found


def _get(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_spec_config_runs_in_otelpy(tmp_path: Path) -> None:
    base = Path(tempfile.mkdtemp(prefix="otelpy-pg-"))
    base.chmod(0o755)
    pg = PostgresServer(base / "pg")
    pg.start()
    hport, sport = free_port(), free_port()
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(EXAMPLES), "POSTGRES_URL": pg.dsn,
           "SPOTIFY_TOKEN": "tok", "HEALTH_PORT": str(hport), "STATUS_PORT": str(sport)}
    proc = OtelpyProcess(tmp_path, SPEC.read_text(), env=env,
                         extra_ports=[hport, sport])
    try:
        proc.start()
        url = f"http://127.0.0.1:{hport}/health/checks"

        def all_ran() -> dict[str, Any] | None:
            _, body = _get(url)
            return body if body["summary"]["pending"] == 0 else None

        body = wait_until(all_ran, 60, "every check ran once")
        code, _ = _get(url)
        assert code == 503  # redis_cache (host "redis" does not resolve here) is critical
        assert body["overall_status"] == "critical"
        checks = body["checks"]
        assert checks["database_postgresql"]["status"] == "healthy"
        assert checks["database_postgresql"]["details"]["max_connections"] == 100
        assert checks["redis_cache"]["status"] in ("critical", "failed")
        assert checks["ml_recommendation_model"]["status"] == "healthy"
        assert checks["ml_recommendation_model"]["details"]["accuracy"] == 0.95
        assert checks["spotify_web_api"]["status"] != "pending"
        assert set(body["summary"]) >= {"total_checks", "healthy", "warning", "critical",
                                        "failed"}
        # no in-cluster service account here: the kubernetes check runs and fails
        assert checks["kubernetes_cluster"]["status"] == "failed"
        assert body["summary"]["total_checks"] == 5
        code, api = _get(f"http://127.0.0.1:{sport}/api/health")
        assert code == 200 and set(api["checks"]) == set(checks)
    finally:
        proc.stop()
        pg.stop()
        shutil.rmtree(base, ignore_errors=True)

"""The ``otelpy`` command line as a user runs it: validate, schema, components, print-config,
--version. Every invocation is a real subprocess of the installed console script."""

from __future__ import annotations

import json
import re
import subprocess
from importlib.metadata import version
from pathlib import Path

import jsonschema
import pytest
import yaml

pytestmark = pytest.mark.integration

GOOD_CONFIG = """\
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:14317
      http:
        endpoint: 127.0.0.1:14318
processors:
  batch:
    timeout: 1s
exporters:
  otlphttp:
    endpoint: http://127.0.0.1:14319
    headers:
      Authorization: "Bearer s3cr3t-t0ken-value"
      X-Tenant: visible-tenant
  file:
    path: out.jsonl
  debug:
service:
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [otlphttp, file]
    logs:
      receivers: [otlp]
      exporters: [debug]
"""


def otelpy(bin_path: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(bin_path), *args], capture_output=True, text=True, timeout=60,
                          cwd=cwd)


def _write(tmp_path: Path, text: str, name: str = "cfg.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _position(text: str, needle: str) -> tuple[int, int]:
    """1-based line and column of the first occurrence of ``needle`` in ``text``."""
    for n, line in enumerate(text.splitlines(), 1):
        col = line.find(needle)
        if col >= 0:
            return n, col + 1
    raise AssertionError(f"{needle!r} not in config text")


def test_version(otelpy_bin: Path) -> None:
    res = otelpy(otelpy_bin, "--version")
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == f"otelpy {version('otelpy')}"


def test_validate_good_config(otelpy_bin: Path, tmp_path: Path) -> None:
    cfg = _write(tmp_path, GOOD_CONFIG)
    res = otelpy(otelpy_bin, "validate", "--config", str(cfg))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "error" not in res.stderr.lower()


BAD_CASES = {
    # id: (text replacement in GOOD_CONFIG, misspelt word, YAML path, suggestion)
    "unknown-key": (("        endpoint: 127.0.0.1:14317", "        endpont: 127.0.0.1:14317"),
                    "endpont", "receivers::otlp::protocols::grpc", "endpoint"),
    "misspelt-exporter-type": (("  otlphttp:\n    endpoint", "  otlphtp:\n    endpoint"),
                               "otlphtp", "exporters::otlphtp", "otlphttp"),
    "misspelt-processor-key": (("    timeout: 1s", "    timout: 1s"),
                               "timout", "processors::batch", "timeout"),
}


@pytest.mark.parametrize("case", list(BAD_CASES))
def test_validate_reports_position_path_and_suggestion(otelpy_bin: Path, tmp_path: Path,
                                                       case: str) -> None:
    (old, new), word, ypath, suggestion = BAD_CASES[case]
    assert old in GOOD_CONFIG
    text = GOOD_CONFIG.replace(old, new)
    if case == "misspelt-exporter-type":  # the pipeline names the exporter by its new ID too
        text = text.replace("exporters: [otlphttp, file]", "exporters: [otlphtp, file]")
    cfg = _write(tmp_path, text)
    res = otelpy(otelpy_bin, "validate", "--config", str(cfg))
    out = res.stdout + res.stderr
    assert res.returncode == 1, f"exit {res.returncode}\n{out}"
    line, col = _position(text, word)
    located = [ln for ln in out.splitlines() if f"{cfg}:{line}:{col}" in ln]
    assert located, f"no finding at {cfg}:{line}:{col}:\n{out}"
    finding = located[0]
    assert re.search(re.escape(ypath) + r"(::" + re.escape(word) + r")?\b", finding), finding
    assert word in finding, finding
    assert re.search(r"did you mean\W+" + re.escape(suggestion) + r"\b", finding), finding


def test_validate_reports_every_error_at_once(otelpy_bin: Path, tmp_path: Path) -> None:
    text = GOOD_CONFIG.replace("    timeout: 1s", "    timout: 1s").replace(
        "        endpoint: 127.0.0.1:14317", "        endpont: 127.0.0.1:14317")
    cfg = _write(tmp_path, text)
    res = otelpy(otelpy_bin, "validate", "--config", str(cfg))
    out = res.stdout + res.stderr
    assert res.returncode == 1
    for word in ("endpont", "timout"):
        line, col = _position(text, word)
        assert f"{cfg}:{line}:{col}" in out, f"{word} not reported:\n{out}"


def test_schema_is_valid_draft_2020_12(otelpy_bin: Path, tmp_path: Path) -> None:
    res = otelpy(otelpy_bin, "schema")
    assert res.returncode == 0, res.stderr
    schema = json.loads(res.stdout)
    assert schema.get("$schema") == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    good = yaml.safe_load(GOOD_CONFIG)
    assert not list(validator.iter_errors(good)), [e.message for e in validator.iter_errors(good)]
    bad = yaml.safe_load(GOOD_CONFIG.replace("endpoint: 127.0.0.1:14317", "endpont: x"))
    assert list(validator.iter_errors(bad)), "schema accepts an unknown key"
    bad_type = yaml.safe_load(GOOD_CONFIG.replace("timeout: 1s", "timeout: [1]"))
    assert list(validator.iter_errors(bad_type)), "schema accepts a list as batch timeout"


def test_components_lists_builtins(otelpy_bin: Path) -> None:
    res = otelpy(otelpy_bin, "components")
    assert res.returncode == 0, res.stderr
    rows = [ln.split() for ln in res.stdout.splitlines() if ln.strip()]
    pairs = {(r[0], r[1]) for r in rows if len(r) >= 2}
    for kind, type_ in (("receiver", "otlp"), ("processor", "batch"), ("exporter", "otlp_grpc"),
                        ("exporter", "otlp_http"), ("exporter", "debug"), ("exporter", "file")):
        assert (kind, type_) in pairs, f"{kind} {type_} missing from:\n{res.stdout}"
    aliases = {(r[0], r[1]): r[2] for r in rows if len(r) >= 3}
    assert aliases[("exporter", "otlp_grpc")] == "otlp"
    assert aliases[("exporter", "otlp_http")] == "otlphttp"
    res_json = otelpy(otelpy_bin, "components", "--json")
    assert res_json.returncode == 0, res_json.stderr
    listed = {(c["kind"], c["type"]): c for c in json.loads(res_json.stdout)}
    assert set(listed["receiver", "otlp"]["signals"]) == {"traces", "metrics", "logs"}
    assert set(listed["exporter", "file"]["signals"]) == {"traces", "metrics", "logs"}


def test_print_config_redacts_authorization(otelpy_bin: Path, tmp_path: Path) -> None:
    cfg = _write(tmp_path, GOOD_CONFIG)
    res = otelpy(otelpy_bin, "print-config", "--config", str(cfg))
    assert res.returncode == 0, res.stderr
    assert "s3cr3t-t0ken-value" not in res.stdout + res.stderr
    doc = yaml.safe_load(res.stdout)
    headers = doc["exporters"]["otlphttp"]["headers"]
    assert headers["Authorization"] == "[REDACTED]", headers
    assert headers["X-Tenant"] == "visible-tenant", headers
    assert doc["exporters"]["otlphttp"]["endpoint"] == "http://127.0.0.1:14319"
    assert doc["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"] == "127.0.0.1:14317"
    assert doc["service"]["pipelines"]["traces"]["exporters"] == ["otlphttp", "file"]


def test_print_config_redacts_env_expanded_secret(otelpy_bin: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTELPY_IT_TOKEN", "env-s3cr3t")
    text = GOOD_CONFIG.replace('"Bearer s3cr3t-t0ken-value"', '"Bearer ${env:OTELPY_IT_TOKEN}"')
    cfg = _write(tmp_path, text)
    res = otelpy(otelpy_bin, "print-config", "--config", str(cfg))
    assert res.returncode == 0, res.stderr
    assert "env-s3cr3t" not in res.stdout + res.stderr
    headers = yaml.safe_load(res.stdout)["exporters"]["otlphttp"]["headers"]
    assert headers["Authorization"] == "[REDACTED]", headers

"""The alerting connector's config: rule file errors with file:line:col (and the PromQL
column), inline rule errors at their YAML key, the spec's alerting_config as written."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from otelpy.testing.process import otelpy_executable

EXAMPLE = Path(__file__).resolve().parents[3] / "config-examples" / "alerting.yaml"
PIPELINES = """
receivers:
  otlp:
    protocols: {grpc: {endpoint: localhost:4317}}
exporters:
  debug: {}
service:
  pipelines:
    metrics: {receivers: [otlp], exporters: [alerting]}
    logs: {receivers: [alerting], exporters: [debug]}
"""


def validate(tmp_path: Path, connector: str) -> tuple[int, str]:
    (tmp_path / "c.yaml").write_text("connectors:\n  alerting:\n" + connector + PIPELINES)
    out = subprocess.run([str(otelpy_executable()), "validate", "--config", "c.yaml"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=60)
    return out.returncode, out.stdout + out.stderr


def test_rule_file_and_inline_rule_errors_name_file_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "bad.yml").write_text("groups:\n- name: g\n  rules:\n  - alert: Broken\n"
                                      "    expr: sum(rate(x[5m]) by (job)\n")
    code, out = validate(tmp_path, """\
    rule_files: [bad.yml, missing.yml, "none-*.yml"]
    alert_rules:
      a: {metric: m, threshold_type: static}
      b: {metric: m, threshold_type: adaptive, threshold: 3, annotations: {x: "{{ .Foo"}}
""")
    assert code == 1
    lines = [line for line in out.splitlines() if line.startswith("error:")]
    assert lines == [
        'error: c.yaml:3:18: connectors::alerting::rule_files::0: bad.yml: 5:11: group "g", '
        'rule 1, "Broken": could not parse expression: 1:17: parse error: unexpected <by> '
        "in aggregation",
        "error: c.yaml:3:27: connectors::alerting::rule_files::1: missing.yml: no such file",
        "error: c.yaml:5:7: connectors::alerting::alert_rules::a::threshold: required with "
        "threshold_type static",
        "error: c.yaml:6:48: connectors::alerting::alert_rules::b::threshold: only for "
        "threshold_type static (adaptive rules take base_threshold)",
        "error: c.yaml:6:62: connectors::alerting::alert_rules::b::annotations: x: unclosed "
        "action"], out


def test_unknown_threshold_type_is_refused_at_its_key(tmp_path: Path) -> None:
    code, out = validate(tmp_path, "    alert_rules:\n      c: {metric: m, threshold_type: "
                                   "magic}\n")
    assert code == 1 and "c.yaml:4:22: connectors::alerting::alert_rules::c::threshold_type: " \
        'expected one of "static", "adaptive", "anomaly_detection" (got "magic")' in out, out


def test_no_rules_at_all_is_an_error(tmp_path: Path) -> None:
    code, out = validate(tmp_path, "    evaluation_interval: 15s\n")
    assert code == 1 and "no rules: set rule_files or alert_rules" in out


def test_the_spec_alerting_config_validates_as_written(tmp_path: Path) -> None:
    spec = yaml.safe_load(EXAMPLE.read_text())["connectors"]["alerting"]
    for key in ("evaluation_interval", "storage", "external_labels"):
        del spec[key]
    del spec["alert_rules"]["ml_model_accuracy_drop"]["direction"]  # not in the spec
    spec["notification_channels"]["slack"]["webhook_url"] = "https://hooks.slack.test/T0/B0/x"
    body = yaml.safe_dump(spec, sort_keys=False)
    code, out = validate(tmp_path, "".join("    " + line + "\n" for line in body.splitlines()))
    assert code == 0 and "config is valid" in out, out

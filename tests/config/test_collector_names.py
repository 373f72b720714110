"""The Collector's component names in otelpy configs: renamed types and their old names,
removed components kept as deprecated aliases or no-ops, and string lists given as one
string (split on commas, as the Collector's decoder does)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from otelpy import cli, docs
from otelpy.component import ComponentID, Factory, Kind, TypeAlias
from otelpy.config import load, validate
from otelpy.config.validate import ValidatedConfig
from otelpy.errors import ConfigError
from otelpy.exporters.debug.config import LoggingConfig
from otelpy.exporters.otlp import OTLPConfig
from otelpy.exporters.otlphttp import OTLPHTTPConfig
from otelpy.registry import BUILTIN, Registry, default_registry

HEAD = "receivers:\n  otlp:\n    protocols:\n      http:\n"


def check(tmp_path: Path, text: str) -> ValidatedConfig:
    (tmp_path / "p.yaml").write_text(text)
    return validate(load([str(tmp_path / "p.yaml")], env={}), default_registry())


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        check(tmp_path, text)
    return [p.split("p.yaml:", 1)[1] for p in info.value.problems]


def test_new_and_old_names_in_ids_and_pipelines(tmp_path: Path) -> None:
    cfg = check(tmp_path, HEAD + """exporters:
  otlp_grpc/backend:
    endpoint: backend:4317
  otlp/legacy:
    endpoint: legacy:4317
  otlp_http:
    endpoint: http://backend:4318
  otlphttp/legacy:
    endpoint: http://legacy:4318
service:
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [otlp_grpc/backend, otlp/legacy, otlp_http, otlphttp/legacy]
""")
    assert cfg.warnings == ()  # the Collector keeps both names; otelpy does not nag
    exporters = cfg.exporters
    assert isinstance(exporters[ComponentID("otlp_grpc", "backend")], OTLPConfig)
    assert isinstance(exporters[ComponentID("otlp", "legacy")], OTLPConfig)
    assert isinstance(exporters[ComponentID("otlp_http")], OTLPHTTPConfig)
    assert isinstance(exporters[ComponentID("otlphttp", "legacy")], OTLPHTTPConfig)


def test_logging_runs_as_debug_with_a_deprecation_warning(tmp_path: Path) -> None:
    cfg = check(tmp_path, HEAD + """exporters:
  logging/verbose:
    loglevel: debug
  logging:
extensions:
  memory_ballast:
    size_mib: 683
service:
  extensions: [memory_ballast]
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [logging/verbose, logging]
""")
    verbose = cfg.exporters[ComponentID("logging", "verbose")]
    assert isinstance(verbose, LoggingConfig) and verbose.verbosity == "detailed"
    assert [str(w).split("p.yaml:", 1)[1] for w in cfg.warnings] == [
        '6:3: exporters::logging/verbose: the "logging" exporter was removed from the '
        'Collector (v0.111); otelpy runs it as the "debug" exporter: rename it to "debug" '
        "(and loglevel to verbosity)",
        '8:3: exporters::logging: the "logging" exporter was removed from the Collector '
        '(v0.111); otelpy runs it as the "debug" exporter: rename it to "debug" (and '
        "loglevel to verbosity)",
        '10:3: extensions::memory_ballast: the "memory_ballast" extension was removed from '
        "the Collector (v0.109); otelpy accepts it and does nothing: remove it (limit memory "
        "with the memory_limiter processor)",
    ]


def test_loglevel_and_verbosity_together_are_refused(tmp_path: Path) -> None:
    assert problems(tmp_path, HEAD + """exporters:
  logging:
    loglevel: info
    verbosity: basic
service:
  pipelines:
    logs: {receivers: [otlp], exporters: [logging]}
""") == ["6:3: exporters::logging: loglevel and verbosity are both set; set only verbosity"]


def test_unknown_type_suggests_new_and_old_names(tmp_path: Path) -> None:
    assert problems(tmp_path, HEAD + """exporters:
  otlphtp:
service:
  pipelines:
    logs: {receivers: [otlp], exporters: [otlphtp]}
""") == ['6:3: exporters::otlphtp: unknown exporter type "otlphtp"; did you mean '
         '"otlphttp"?']


def test_an_alias_may_not_shadow_another_type() -> None:
    reg = Registry(default_registry())
    clash = Factory(type="mine", kind=Kind.EXPORTER, config_type=OTLPConfig,
                    create=lambda *a: None, aliases=(TypeAlias("debug"),))
    with pytest.raises(ValueError, match="duplicate exporter type 'debug'"):
        reg.add(clash)


@pytest.mark.parametrize(("given", "expected"), [
    ('"http://a.example.com"', ["http://a.example.com"]),
    ('"https://a.example.com,https://b.example.com"',
     ["https://a.example.com", "https://b.example.com"]),
    ('""', []),
    ("[http://a.example.com]", ["http://a.example.com"]),
], ids=["one-string", "comma-separated", "empty-string", "list"])
def test_a_string_where_a_string_list_is_expected(tmp_path: Path, given: str,
                                                  expected: list[str]) -> None:
    cfg = check(tmp_path, f"""receivers:
  otlp:
    protocols:
      http:
        cors:
          allowed_origins: {given}
exporters:
  debug:
service:
  pipelines:
    logs: {{receivers: [otlp], exporters: [debug]}}
""")
    http = cfg.receivers[ComponentID("otlp")].protocols.http  # type: ignore[attr-defined]
    assert http.cors.allowed_origins == expected


def test_pipeline_lists_stay_lists(tmp_path: Path) -> None:
    """The Collector splits strings only into []string, never into lists of component IDs."""
    found = problems(tmp_path, HEAD + "exporters:\n  debug:\nservice:\n  pipelines:\n"
                     "    logs: {receivers: otlp, exporters: [debug]}\n")
    assert '9:12: service::pipelines::logs::receivers: expected a list (got "otlp")' in found


def test_components_command_lists_canonical_names_and_aliases(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["components", "--json"]) == 0
    rows = {(r["kind"], r["type"]): r for r in json.loads(capsys.readouterr().out)}
    assert rows[("exporter", "otlp_grpc")]["aliases"] == ["otlp"]
    assert rows[("exporter", "otlp_http")]["aliases"] == ["otlphttp"]
    assert rows[("exporter", "debug")]["aliases"] == ["logging"]
    assert rows[("extension", "memory_ballast")]["deprecated"] is True
    assert ("exporter", "otlp") not in rows


def test_readme_components_table_is_current() -> None:
    table = docs.components_table()
    readme = (docs.ROOT / "README.md").read_text()
    assert table in readme
    assert "| exporter | `otlp_grpc` | `otlp` | traces, metrics, logs |" in table
    assert "| exporter | `debug` | `logging` (deprecated) |" in table
    assert len(table.splitlines()) == 2 + len(BUILTIN)

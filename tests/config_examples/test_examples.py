"""Every file in config-examples/ is valid, documented, and the checked-in schema is current."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

from otelpy import config as otelconfig
from otelpy.registry import load_registry
from otelpy.testing.process import otelpy_executable

EXAMPLES = Path(__file__).resolve().parents[2] / "config-examples"
FILES = sorted(EXAMPLES.glob("*.yaml"))
SCHEMA_FILE = EXAMPLES / "otelpy.schema.json"
REGISTRY = load_registry(include_plugins=False)


def test_there_are_examples() -> None:
    assert len(FILES) >= 4


def test_checked_in_schema_is_current() -> None:
    current = otelconfig.document_schema(REGISTRY)
    assert json.loads(SCHEMA_FILE.read_text()) == current, (
        "config-examples/otelpy.schema.json is stale: run `make schema`")
    jsonschema.Draft202012Validator.check_schema(current)


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_example_matches_schema(path: Path) -> None:
    schema = json.loads(SCHEMA_FILE.read_text())
    # env references are expanded the way otelpy does before schema validation
    loaded = otelconfig.load([str(path)], env={})
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(loaded.document))
    assert errors == []


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_example_validates_and_has_a_purpose_comment(path: Path) -> None:
    text = path.read_text()
    assert text.startswith("# "), f"{path.name} must start with a comment saying what it is for"
    cfg = otelconfig.validate(otelconfig.load([str(path)], env={}), REGISTRY)
    assert cfg.warnings == (), cfg.warnings
    assert yaml.safe_load(text)["service"]["pipelines"]


def test_cli_validate_accepts_every_example() -> None:
    for path in FILES:
        out = subprocess.run([str(otelpy_executable()), "validate", "--config", str(path)],
                             capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin"})
        assert out.returncode == 0, f"{path.name}: {out.stderr}"
        assert "config is valid" in out.stdout


def test_default_config_validates_against_real_components() -> None:
    cfg = otelconfig.validate(otelconfig.load([], default_yaml=otelconfig.DEFAULT_CONFIG),
                              REGISTRY)
    assert {str(p) for p in cfg.pipelines} == {"traces", "metrics", "logs"}
    assert cfg.warnings == ()

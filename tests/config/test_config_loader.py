"""YAML reading: positions, duplicate keys, syntax errors, scalar typing."""

from __future__ import annotations

from typing import Any

import pytest

from otelpy.config import load
from otelpy.config.loader import parse_yaml
from otelpy.errors import ConfigError


def load_errors(*paths: str, **kwargs: Any) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load(list(paths), **kwargs)
    return info.value.problems


def test_positions_of_keys_and_list_items(write: Any) -> None:
    name = write("pipeline.yaml", """
        receivers:
          otlp:
            protocols:
              grpc:
                endpoint: localhost:4317
        service:
          pipelines:
            traces:
              receivers: [otlp]
              exporters:
                - debug
        """)
    loaded = load([name], env={})
    assert loaded.where(()) == "pipeline.yaml:1:1"
    assert loaded.where(("receivers",)) == "pipeline.yaml:1:1"
    assert loaded.where(("receivers", "otlp")) == "pipeline.yaml:2:3"
    assert loaded.where(("receivers", "otlp", "protocols", "grpc", "endpoint")) == (
        "pipeline.yaml:5:9")
    assert loaded.where(("service", "pipelines", "traces", "receivers", 0)) == (
        "pipeline.yaml:9:19")
    assert loaded.where(("service", "pipelines", "traces", "exporters", 0)) == (
        "pipeline.yaml:11:11")
    # a path that does not exist is placed at its nearest known ancestor
    assert loaded.where(("receivers", "otlp", "protocols", "http", "endpoint")) == (
        "pipeline.yaml:3:5")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("receivers:\n  otlp:\n  otlp:\n",
         'cfg.yaml:3:3: receivers::otlp: duplicate key "otlp" (first defined at line 2)'),
        ("a:\n  b:\n    c: 1\n    d: 2\n    c: 3\n",
         'cfg.yaml:5:5: a::b::c: duplicate key "c" (first defined at line 3)'),
        ("a: {x: 1, x: 2}\n",
         'cfg.yaml:1:11: a::x: duplicate key "x" (first defined at line 1)'),
        ("a: 1\nb: 2\na: 3\n",
         'cfg.yaml:3:1: a: duplicate key "a" (first defined at line 1)'),
    ],
    ids=["component-id", "nested", "flow-mapping", "top-level"],
)
def test_duplicate_keys_are_errors(write: Any, text: str, expected: str) -> None:
    assert load_errors(write("cfg.yaml", text), env={}) == [expected]


def test_every_duplicate_is_reported(write: Any) -> None:
    name = write("cfg.yaml", """
        exporters:
          debug:
          debug:
        processors:
          batch:
            timeout: 1s
            timeout: 2s
        """)
    assert load_errors(name, env={}) == [
        'cfg.yaml:3:3: exporters::debug: duplicate key "debug" (first defined at line 2)',
        'cfg.yaml:7:5: processors::batch::timeout: duplicate key "timeout" '
        "(first defined at line 6)",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("exporters:\n  file:\n    include: [${env:X}]\n",
         "cfg.yaml:3:16: YAML syntax error: while parsing a flow sequence (line 3): "
         "expected ',' or ']', but got '{'; inside [...] or {...} a ${...} reference must "
         "be quoted (\"${env:X}\"), or use block style (one \"- ${env:X}\" or "
         '"key: ${env:X}" per line)'),
        ("a: {port: ${env:PORT}}\n",
         "cfg.yaml:1:12: YAML syntax error: while parsing a flow mapping (line 1): "
         "expected ',' or '}', but got '{'; inside [...] or {...} a ${...} reference must "
         "be quoted (\"${env:X}\"), or use block style (one \"- ${env:X}\" or "
         '"key: ${env:X}" per line)'),
        ("a: b: c\n", "cfg.yaml:1:5: YAML syntax error: mapping values are not allowed here"),
        ("a:\n\tb: 1\n",
         "cfg.yaml:2:1: YAML syntax error: found character '\\t' that cannot start any token "
         "(indent YAML with spaces, not tabs)"),
        ("a: 1\n---\nb: 2\n",
         "cfg.yaml:2:1: YAML syntax error: expected a single document in the stream (line 1): "
         "but found another document"),
        ("a: !vault 1\n",
         "cfg.yaml:1:4: a: could not determine a constructor for the tag '!vault'"),
        ("- a\n- b\n",
         "cfg.yaml:1:1: the configuration must be a mapping of sections (receivers, processors, "
         "exporters, connectors, extensions, service), got a list"),
    ],
    ids=["flow-sequence-with-reference", "flow-mapping-with-reference",
         "nested-mapping-on-one-line", "tab-indent", "two-documents", "unknown-tag",
         "root-is-a-list"],
)
def test_yaml_errors_name_file_line_column(write: Any, text: str, expected: str) -> None:
    assert load_errors(write("cfg.yaml", text), env={}) == [expected]


def test_quoted_reference_in_flow_sequence_parses(write: Any) -> None:
    name = write("cfg.yaml", 'exporters:\n  file:\n    include: ["${env:X}", b]\n')
    assert load([name], env={"X": "a"}).document["exporters"]["file"]["include"] == ["a", "b"]


def test_errors_from_several_files_are_all_reported(write: Any) -> None:
    one = write("one.yaml", "a: [\n")
    two = write("two.yaml", "b: 1\nb: 2\n")
    problems = load_errors(one, two, env={})
    assert len(problems) == 2
    assert problems[0].startswith("one.yaml:2:1: YAML syntax error")
    assert problems[1] == 'two.yaml:2:1: b: duplicate key "b" (first defined at line 1)'


def test_missing_file_is_an_error(workdir: Any) -> None:
    assert load_errors("nope.yaml", env={}) == [
        "nope.yaml: cannot read config file: No such file or directory"]


def test_no_config_at_all_is_an_error() -> None:
    assert load_errors(env={}) == ["no configuration given: pass at least one --config file"]


def test_empty_file_is_an_empty_config(write: Any) -> None:
    assert load([write("empty.yaml", "# nothing\n")], env={}).document == {}


@pytest.mark.parametrize(
    ("scalar", "value"),
    [
        ("true", True), ("False", False), ("on", "on"), ("yes", "yes"), ("off", "off"),
        ("8080", 8080), ("-3", -3), ("0x1f", 31), ("0o17", 15), ("0123", 83), ("1_000", 1000),
        ("1.5", 1.5), ("1e3", 1000.0), (".inf", float("inf")), ("~", None), ("null", None),
        ("", None), ("1:30", "1:30"), ("2024-01-02", "2024-01-02"), ("'0123'", "0123"),
        ("!!str 12", "12"), ("localhost:4317", "localhost:4317"), ("200ms", "200ms"),
    ],
    ids=lambda v: repr(v),
)
def test_scalars_follow_yaml_1_2_as_go_reads_them(scalar: str, value: Any) -> None:
    parsed = parse_yaml(f"v: {scalar}\n", "x.yaml")
    assert parsed.problems == []
    assert parsed.value == {"v": value}
    assert type(parsed.value["v"]) is type(value)


def test_merge_keys_keep_explicit_values_and_positions() -> None:
    parsed = parse_yaml(
        "base: &b\n  endpoint: a\n  timeout: 1s\nexporters:\n  x:\n    <<: *b\n    endpoint: b\n",
        "m.yaml",
    )
    assert parsed.problems == []
    assert parsed.value["exporters"]["x"] == {"endpoint": "b", "timeout": "1s"}
    assert str(parsed.positions[("exporters", "x", "endpoint")]) == "m.yaml:7:5"
    assert str(parsed.positions[("exporters", "x", "timeout")]) == "m.yaml:3:3"


def test_recursive_alias_is_an_error_not_a_hang() -> None:
    parsed = parse_yaml("a: &x [*x]\n", "r.yaml")
    assert [str(p) for p in parsed.problems] == [
        "r.yaml:1:4: a::0: recursive YAML alias (an anchor that contains itself)"]

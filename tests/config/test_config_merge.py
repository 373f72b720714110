"""Several --config files merged left to right, then --set overrides."""

from __future__ import annotations

from typing import Any

import pytest

from otelpy.config import load
from otelpy.errors import ConfigError

BASE = """
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: localhost:4317
      http:
        endpoint: localhost:4318
processors:
  batch:
    timeout: 1s
    send_batch_size: 100
service:
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [debug, otlp]
"""

OVERLAY = """
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 0.0.0.0:4317
processors:
  batch:
    timeout: 5s
service:
  pipelines:
    traces:
      exporters: [debug]
"""


def test_maps_merge_deeply_lists_and_scalars_are_replaced(write: Any) -> None:
    loaded = load([write("base.yaml", BASE), write("overlay.yaml", OVERLAY)], env={})
    doc = loaded.document
    assert doc["receivers"]["otlp"]["protocols"] == {
        "grpc": {"endpoint": "0.0.0.0:4317"},
        "http": {"endpoint": "localhost:4318"},
    }
    assert doc["processors"]["batch"] == {"timeout": "5s", "send_batch_size": 100}
    assert doc["service"]["pipelines"]["traces"] == {
        "receivers": ["otlp"], "processors": ["batch"], "exporters": ["debug"]}


def test_positions_follow_the_file_that_set_the_value(write: Any) -> None:
    loaded = load([write("base.yaml", BASE), write("overlay.yaml", OVERLAY)], env={})
    assert loaded.where(("receivers", "otlp", "protocols", "grpc", "endpoint")) == (
        "overlay.yaml:5:9")
    assert loaded.where(("receivers", "otlp", "protocols", "http", "endpoint")) == (
        "base.yaml:7:9")
    assert loaded.where(("processors", "batch", "send_batch_size")) == "base.yaml:11:5"
    assert loaded.where(("processors", "batch", "timeout")) == "overlay.yaml:8:5"
    assert loaded.where(("service", "pipelines", "traces", "exporters", 0)) == (
        "overlay.yaml:12:19")
    # the replaced list's second item no longer exists; its position is gone too
    assert loaded.where(("service", "pipelines", "traces", "exporters", 1)) == (
        "overlay.yaml:12:7")
    assert loaded.where(()) == "base.yaml:1:1"


def test_null_in_a_later_file_replaces_the_earlier_value(write: Any) -> None:
    later = write("later.yaml", "processors:\n  batch:\n")
    doc = load([write("base.yaml", BASE), later], env={}).document
    assert doc["processors"] == {"batch": None}


def test_a_later_file_can_override_an_unresolvable_reference(write: Any) -> None:
    first = write("a.yaml", "exporters:\n  otlp:\n    endpoint: ${env:UNSET}\n")
    second = write("b.yaml", "exporters:\n  otlp:\n    endpoint: backend:4317\n")
    assert load([first, second], env={}).document == {
        "exporters": {"otlp": {"endpoint": "backend:4317"}}}


def test_file_references_resolve_against_their_own_file(write: Any) -> None:
    write("a/key.txt", "from-a")
    write("b/key.txt", "from-b")
    first = write("a/one.yaml", "x:\n  a: ${file:key.txt}\n")
    second = write("b/two.yaml", "x:\n  b: ${file:key.txt}\n")
    assert load([first, second], env={}).document == {"x": {"a": "from-a", "b": "from-b"}}


@pytest.mark.parametrize(
    ("sets", "path", "expected"),
    [
        (["processors::batch::timeout=2s"], ("processors", "batch", "timeout"), "2s"),
        (["processors::batch::send_batch_size=2048"],
         ("processors", "batch", "send_batch_size"), 2048),
        (["service::pipelines::traces::exporters=[otlp, debug]"],
         ("service", "pipelines", "traces", "exporters"), ["otlp", "debug"]),
        (["exporters::debug::verbosity=detailed"], ("exporters", "debug"),
         {"verbosity": "detailed"}),
        (["receivers::otlp::protocols::grpc=null"], ("receivers", "otlp", "protocols", "grpc"),
         None),
        (["processors::batch::timeout=1s", "processors::batch::timeout=3s"],
         ("processors", "batch", "timeout"), "3s"),
        (["exporters::otlp::endpoint=${env:EP}"], ("exporters", "otlp", "endpoint"), "b:4317"),
        (["exporters::otlp::headers={a: b=c}"], ("exporters", "otlp", "headers"), {"a": "b=c"}),
        (["processors::batch::timeout=$$5s"], ("processors", "batch", "timeout"), "$5s"),
    ],
    ids=["scalar", "yaml-int", "list-replaces", "new-component", "null", "last-set-wins",
         "expanded", "value-with-equals", "escaped-dollar"],
)
def test_set_overrides(write: Any, sets: list[str], path: tuple[str, ...], expected: Any) -> None:
    loaded = load([write("base.yaml", BASE)], sets=sets, env={"EP": "b:4317"})
    value: Any = loaded.document
    for key in path:
        value = value[key]
    assert value == expected
    assert loaded.where(path) == "--set"


def test_set_keeps_sibling_positions(write: Any) -> None:
    loaded = load([write("base.yaml", BASE)], sets=["processors::batch::timeout=9s"], env={})
    assert loaded.where(("processors", "batch", "send_batch_size")) == "base.yaml:11:5"
    assert loaded.where(("processors", "batch")) == "base.yaml:9:3"


def test_set_applies_to_the_default_config() -> None:
    loaded = load([], sets=["a::b=1"], env={}, default_yaml="a:\n  c: 2\n")
    assert loaded.document == {"a": {"c": 2, "b": 1}}
    assert loaded.where(("a", "c")) == "<default config>:2:3"


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("processors::batch::timeout",
         '--set: invalid --set "processors::batch::timeout": expected key::subkey=value '
         '(keys separated by "::")'),
        ("processors::::timeout=1s",
         '--set: invalid --set "processors::::timeout=1s": expected key::subkey=value '
         '(keys separated by "::")'),
        ("a::b=[1, 2",
         '--set: a::b: invalid --set value "[1, 2": YAML syntax error: while parsing a flow '
         "sequence (line 1): expected ',' or ']', but got '<stream end>'"),
        ("a::b=${env:NOPE}",
         '--set: a::b: environment variable "NOPE" is not set (referenced as ${env:NOPE}); '
         "set it or give a default: ${env:NOPE:-value}"),
    ],
    ids=["no-equals", "empty-key", "bad-yaml", "unset-env"],
)
def test_set_errors(write: Any, override: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        load([write("base.yaml", BASE)], sets=[override], env={})
    assert info.value.problems == [expected]

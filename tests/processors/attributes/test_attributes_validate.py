"""``otelpy validate`` on attributes / resource configs: every rule reported at once, at the
file, line and YAML path of the offending list item."""

from __future__ import annotations

from pathlib import Path

import pytest

from otelpy.config import load, validate
from otelpy.errors import ConfigError
from otelpy.registry import load_registry

CONFIG = """\
receivers:
  otlp:
    protocols:
      grpc:
processors:
  attributes:
    include:
      match_type: regexx
      services: [a]
    actions:
      - key: a
        action: insert
      - key: b
        value: 1
        from_attribute: c
        action: UPSERT
      - key: x
        from_context: auth.subject
        action: insert
  resource:
    attributes:
      - key: ok
        value: 1
        action: insert
      - key: c
        action: convert
        converted_type: float
exporters:
  debug:
service:
  pipelines:
    traces:
      receivers: [otlp]
      processors: [attributes, resource]
      exporters: [debug]
"""


def test_problems_are_placed_at_the_action(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(CONFIG)
    with pytest.raises(ConfigError) as info:
        validate(load([str(path)], env={}), load_registry(include_plugins=False))
    assert [p.replace(str(tmp_path) + "/", "") for p in info.value.problems] == [
        'p.yaml:8:7: processors::attributes::include::match_type: unrecognized match_type '
        '"regexx", valid types are: regexp, strict; did you mean "regexp"?',
        'p.yaml:11:9: processors::attributes::actions::0: either field "value", '
        '"from_attribute", "from_context" or "default_value" must be specified',
        'p.yaml:13:9: processors::attributes::actions::1: multiple value sources are set '
        '("value", "from_attribute"); use one',
        'p.yaml:17:9: processors::attributes::actions::2: from_context "auth.subject": otelpy '
        "carries client metadata (metadata.<key>) with the data, not authentication results "
        "or the client address; use a metadata key",
        'p.yaml:25:9: processors::resource::attributes::1: invalid value "float" in field '
        '"converted_type": expected int, double or string',
    ]

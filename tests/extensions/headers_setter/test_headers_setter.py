"""headers_setter: the four actions, in order, and the config rules."""

from __future__ import annotations

from typing import Any

import pytest

from otelpy.component import Kind
from otelpy.extensions.headers_setter import HeadersSetter, HeadersSetterConfig
from otelpy.telemetry import Telemetry
from otelpy.testing.authhost import create_component


def _setter(*rules: dict[str, Any]) -> HeadersSetter:
    ext = create_component(Kind.EXTENSION, "headers_setter", {"headers": list(rules)},
                           Telemetry())
    assert isinstance(ext, HeadersSetter)
    return ext


@pytest.mark.parametrize(("action", "before", "after"), [
    ("upsert", {}, {"x-tenant": "acme"}),
    ("upsert", {"x-tenant": "old"}, {"x-tenant": "acme"}),
    ("insert", {}, {"x-tenant": "acme"}),
    ("insert", {"x-tenant": "old"}, {"x-tenant": "old"}),
    ("update", {}, {}),
    ("update", {"x-tenant": "old"}, {"x-tenant": "acme"}),
    ("delete", {"x-tenant": "old", "other": "1"}, {"other": "1"}),
], ids=["upsert-new", "upsert-existing", "insert-new", "insert-existing", "update-absent",
        "update-existing", "delete"])
def test_actions(action: str, before: dict[str, str], after: dict[str, str]) -> None:
    ext = _setter({"key": "X-Tenant", "value": "acme", "action": action})
    headers = dict(before)
    ext.apply_headers(headers)
    assert headers == after


def test_rules_apply_in_order_with_lower_case_keys() -> None:
    ext = _setter({"key": "X-A", "value": "1"}, {"key": "x-a", "action": "update", "value": "2"},
                  {"key": "X-B", "action": "delete"})
    headers = {"x-b": "gone"}
    ext.apply_headers(headers)
    assert headers == {"x-a": "2"}


@pytest.mark.parametrize(("rules", "problem"), [
    ([], "headers: missing headers configuration"),
    ([{"key": " ", "value": "v"}], "headers::0::key: missing header name"),
    ([{"key": "k"}], "headers::0::value: missing header value"),
    ([{"key": "k", "from_context": "tenant"}], "headers::0::from_context: not supported"),
    ([{"key": "k", "value": "v"}, {"key": "k", "default_value": "d", "from_context": "t"}],
     "headers::1::from_context: not supported"),
], ids=["none", "empty-key", "no-value", "from-context", "default-value"])
def test_config_rules(rules: list[dict[str, Any]], problem: str) -> None:
    problems = HeadersSetterConfig.model_validate({"headers": rules}).validate_config()
    assert len(problems) == 1 and problems[0].startswith(problem), problems


def test_values_are_secrets() -> None:
    cfg = HeadersSetterConfig.model_validate({"headers": [{"key": "X-Api-Key", "value": "k-1"}]})
    assert cfg.model_dump(mode="json")["headers"][0]["value"] == "[REDACTED]"
    assert "k-1" not in repr(cfg)

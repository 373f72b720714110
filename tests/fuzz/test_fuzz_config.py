"""Fuzzing the config loader and validator: random YAML text and mutated valid configs.
Only ConfigError may come out, never another exception."""

from __future__ import annotations

from hypothesis import example, given

from otelpy.testing.fuzz import config_target

from .conftest import budget
from .strategies import config_texts


@budget(400)
@given(config_texts())
@example("receivers: {otlp: {protocols: {grpc: {endpoint: ':99999'}}}}")
@example("a: &x [*x]")
@example("service: {pipelines: {traces: {receivers: [otlp], exporters: [debug]}}}")
@example("${env:FUZZ}: 1")
@example("- 1\n- 2")
def test_config_text(text: str) -> None:
    config_target(text)

"""document_schema(): a valid draft 2020-12 schema assembled from the factories."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from pydantic import Field

from otelpy.component import Factory, Kind, Stability
from otelpy.config import DEFAULT_CONFIG, document_schema, load
from otelpy.config.types import ConfigModel
from otelpy.registry import Registry


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def test_schema_is_valid_draft_2020_12(registry: Registry) -> None:
    schema = document_schema(registry)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == "urn:otelpy:config"
    assert schema["title"] == "otelpy configuration"
    assert json.loads(json.dumps(schema)) == schema


def test_sections_allow_only_registered_types(registry: Registry) -> None:
    schema = document_schema(registry)
    assert sorted(schema["properties"]) == [
        "connectors", "exporters", "extensions", "processors", "receivers", "service"]
    receivers = schema["properties"]["receivers"]
    assert receivers["additionalProperties"] is False
    assert sorted(receivers["patternProperties"]) == [
        r"^hostmetrics(/[^\s/].*)?$", r"^otlp(/[^\s/].*)?$"]
    assert receivers["patternProperties"][r"^otlp(/[^\s/].*)?$"] == {
        "anyOf": [{"$ref": "#/$defs/receiver.otlp"}, {"type": "null"}]}
    pipelines = schema["properties"]["service"]["properties"]["pipelines"]
    assert list(pipelines["patternProperties"]) == [r"^(traces|metrics|logs)(/.+)?$"]


def test_every_ref_resolves_to_one_place(registry: Registry) -> None:
    schema = document_schema(registry)
    defs = schema["$defs"]
    found = set(refs(schema))
    assert found, "the schema uses $defs"
    for ref in found:
        assert ref.startswith("#/$defs/")
        assert ref.removeprefix("#/$defs/") in defs
    for body in defs.values():
        assert "$defs" not in body  # hoisted, one place only
    assert "receiver.otlp.Protocols" in defs
    assert "service.telemetry.MetricsTelemetryConfig" in defs


def _model_with_tls_a() -> type[ConfigModel]:
    class TLS(ConfigModel):
        insecure: bool = Field(default=False, description="no TLS")

    class A(ConfigModel):
        tls: TLS = Field(default_factory=TLS, description="tls")

    return A


def _model_with_tls_b() -> type[ConfigModel]:
    class TLS(ConfigModel):
        ca_file: str = Field(default="", description="CA")

    class B(ConfigModel):
        tls: TLS = Field(default_factory=TLS, description="tls")

    return B


def test_nested_models_with_the_same_name_do_not_collide() -> None:
    A, B = _model_with_tls_a(), _model_with_tls_b()
    any_signal = {"traces": Stability.ALPHA}
    schema = document_schema(Registry([
        Factory("a", Kind.RECEIVER, A, create=print, stability=any_signal),
        Factory("b", Kind.EXPORTER, B, create=print, stability=any_signal),
    ]))
    Draft202012Validator.check_schema(schema)
    assert schema["$defs"]["receiver.a.TLS"]["properties"] == {
        "insecure": {"default": False, "description": "no TLS", "title": "Insecure",
                     "type": "boolean"}}
    assert list(schema["$defs"]["exporter.b.TLS"]["properties"]) == ["ca_file"]


def test_secret_fields_are_marked(registry: Registry) -> None:
    defs = document_schema(registry)["$defs"]
    api_key = defs["exporter.otlphttp"]["properties"]["api_key"]
    assert {"type": "string", "x-otelpy-secret": True} in api_key["anyOf"]


@pytest.mark.parametrize(
    ("document", "errors"),
    [
        ({"receivers": {"otlp": None, "otlp/2": {}}}, []),
        ({"receivers": None, "service": {"pipelines": {"logs/x": {"receivers": ["a"]}}}}, []),
        ({"receivers": {"otpl": None}}, ["'otpl' does not match any of the regexes"]),
        ({"receivers": {"otlp": {"protocols": {"grpc": {"endpont": "x"}}}}},
         ["is not valid under any"]),
        ({"processors": {"batch": {"timeout": "fast"}}}, ["is not valid under any"]),
        ({"service": {"pipelines": {"trace": {}}}}, ["'trace' does not match any of the regexes"]),
        ({"service": {"telemetry": {"metrics": {"level": "all"}}}}, ["is not valid under any"]),
        ({"exporters": {"otlphttp": {}}}, ["is not valid under any"]),
    ],
    ids=["null-and-empty-components", "null-section-and-named-pipeline", "unknown-type",
         "unknown-nested-key", "bad-duration", "bad-pipeline-id", "bad-telemetry-level",
         "missing-required"],
)
def test_schema_checks_documents(registry: Registry, document: dict[str, Any],
                                 errors: list[str]) -> None:
    validator = Draft202012Validator(document_schema(registry))
    messages = [e.message for e in validator.iter_errors(document)]
    assert len(messages) == len(errors)
    for message, expected in zip(messages, errors, strict=True):
        assert expected in message


def test_default_config_matches_the_schema(registry: Registry) -> None:
    document = load([], env={}, default_yaml=DEFAULT_CONFIG).document
    validator = Draft202012Validator(document_schema(registry))
    assert list(validator.iter_errors(document)) == []

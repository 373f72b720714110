"""${env:...}, ${VAR}, defaults, ${file:...} and $$, as the Collector's confmap expands them."""

from __future__ import annotations

from typing import Any

import pytest

from otelpy.config import load, validate
from otelpy.config.types import Secret
from otelpy.errors import ConfigError
from otelpy.registry import Registry

ENV = {
    "PORT": "8080",
    "HOST": "collector.local",
    "EMPTY": "",
    "FLAG": "true",
    "MAP": "{endpoint: 'x:1', tls: {insecure: true}}",
    "LIST": "[a, b]",
    "NESTED": "http://${env:HOST}:${env:PORT}",
    "ESCAPED": "['$$ESCAPE_ME', '$${env:HOST}']",
    "NAME": "HOST",
    "DOLLARS": "here are 2 $$$",
    "NOT_YAML": "a: b: c",
}


def expand_one(write: Any, value: str, env: dict[str, str] = ENV) -> Any:
    name = write("cfg.yaml", f"x:\n  v: {value}\n")
    return load([name], env=env).document["x"]["v"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("${env:PORT}", 8080),
        ("${PORT}", 8080),
        ('"${env:PORT}"', 8080),
        ("${env:FLAG}", True),
        ("${env:HOST}", "collector.local"),
        ("${env:MAP}", {"endpoint": "x:1", "tls": {"insecure": True}}),
        ("${env:LIST}", ["a", "b"]),
        ("${env:NOT_YAML}", "a: b: c"),
        ("${env:EMPTY}", None),
        ("${env:UNSET:-4317}", 4317),
        ("${env:UNSET:-}", ""),
        ("${env:EMPTY:-fallback}", None),
        ("${env:PORT:-1}", 8080),
        ("${UNSET:-docker-style}", "docker-style"),
        ("http://${env:HOST}:${env:PORT}/v1", "http://collector.local:8080/v1"),
        ("port-${env:PORT}", "port-8080"),
        ("'[${env:MAP}]'", "[{endpoint: 'x:1', tls: {insecure: true}}]"),
        ("${env:NESTED}", "http://collector.local:8080"),
        ("${env:${env:NAME}}", "collector.local"),
        ("${env:UNSET:-${env:HOST}}", "collector.local"),
        ("${env:ESCAPED}", ["$ESCAPE_ME", "${env:HOST}"]),
        ("x${env:DOLLARS}", "xhere are 2 $$"),
        ("$${env:HOST}", "${env:HOST}"),
        ("$$${env:HOST}", "$collector.local"),
        ("$$$$HOST", "$$HOST"),
        ("some$${env:HOST}text", "some${env:HOST}text"),
        ("$${env:${env:NAME}}", "${env:HOST}"),
        ("text$$", "text$"),
        ("$HOST", "$HOST"),
        ("a$b", "a$b"),
        ("abc${def", "abc${def"),
    ],
    ids=[
        "env-whole-int", "bare-var", "quoted-whole", "env-bool", "env-string", "env-map",
        "env-list", "env-invalid-yaml-stays-text", "env-set-empty-is-null", "default-int",
        "default-empty-string", "set-but-empty-ignores-default", "default-unused", "docker-default",
        "embedded-two", "embedded-int-stays-string", "embedded-map-stays-text",
        "nested-in-value", "nested-in-name", "nested-in-default", "escapes-in-env-value",
        "dollars-in-env-value", "escaped-ref", "escape-then-ref", "double-escape",
        "escape-in-middle", "escape-outer-expand-inner", "trailing-escape", "dollar-var-untouched",
        "lone-dollar", "unclosed",
    ],
)
def test_expansion_forms(write: Any, value: str, expected: Any) -> None:
    got = expand_one(write, value)
    assert got == expected
    assert type(got) is type(expected)


def test_file_reference_is_relative_to_the_config_file(write: Any) -> None:
    write("conf/secrets/token.txt", "s3cr3t\n")
    write("conf/parts/tls.yaml", """
        insecure: false
        ca_file: ${file:ca.pem}
        server_name: ${env:HOST}
        """)
    write("conf/parts/ca.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    name = write("conf/main.yaml", """
        exporters:
          otlphttp:
            headers:
              authorization: "Bearer ${file:secrets/token.txt}"
            tls: ${file:parts/tls.yaml}
        """)
    loaded = load([name], env=ENV)
    exporter = loaded.document["exporters"]["otlphttp"]
    assert exporter["headers"]["authorization"] == "Bearer s3cr3t"
    assert exporter["tls"]["insecure"] is False
    assert exporter["tls"]["server_name"] == "collector.local"
    # a PEM is not YAML that keeps its lines; string fields get the raw text (see originals)
    assert loaded.originals[("exporters", "otlphttp", "tls", "ca_file")] == (
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----")
    # values from the included file are placed in that file
    assert loaded.where(("exporters", "otlphttp", "tls", "server_name")) == (
        "conf/parts/tls.yaml:3:1")
    assert loaded.where(("exporters", "otlphttp", "tls")) == "conf/main.yaml:5:5"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("${env:MISSING}",
         'cfg.yaml:2:3: x::v: environment variable "MISSING" is not set (referenced as '
         "${env:MISSING}); set it or give a default: ${env:MISSING:-value}"),
        ("http://${MISSING}:1",
         'cfg.yaml:2:3: x::v: environment variable "MISSING" is not set (referenced as '
         "${MISSING}); set it or give a default: ${env:MISSING:-value}"),
        ("${env:BAD-NAME}",
         'cfg.yaml:2:3: x::v: invalid environment variable name "BAD-NAME" in ${env:BAD-NAME}: '
         "must match [a-zA-Z_][a-zA-Z0-9_]*"),
        ("${http://example.com/x}",
         'cfg.yaml:2:3: x::v: unsupported reference scheme "http" in ${http://example.com/x}; '
         "supported: env, file"),
        ("${1:x}",
         "cfg.yaml:2:3: x::v: invalid reference ${1:x}: expected ${env:NAME}, ${NAME} or "
         "${file:path}"),
        ("${file:missing.txt}",
         "cfg.yaml:2:3: x::v: cannot read ${file:missing.txt} (missing.txt): "
         "No such file or directory"),
        ("${env:LOOP}",
         "cfg.yaml:2:3: x::v: too many nested expansions in ${env:LOOP} (more than 10; "
         "does a value refer to itself?)"),
    ],
    ids=["missing-env", "missing-bare-embedded", "invalid-name", "unsupported-scheme",
         "invalid-reference", "missing-file", "self-reference"],
)
def test_expansion_errors(write: Any, value: str, expected: str) -> None:
    name = write("cfg.yaml", f"x:\n  v: {value}\n")
    with pytest.raises(ConfigError) as info:
        load([name], env={"LOOP": "${env:LOOP}"})
    assert info.value.problems == [expected]


def test_every_unresolved_reference_is_reported(write: Any) -> None:
    name = write("cfg.yaml", """
        receivers:
          otlp:
            protocols:
              grpc:
                endpoint: ${env:GRPC_ENDPOINT}
        exporters:
          otlphttp:
            endpoint: https://${env:BACKEND}/v1
            headers:
              x-api-key: ${env:API_KEY:-}
        """)
    with pytest.raises(ConfigError) as info:
        load([name], env={})
    assert [p.split(": ")[0] + ": " + p.split(": ")[1] for p in info.value.problems] == [
        "cfg.yaml:5:9: receivers::otlp::protocols::grpc::endpoint",
        "cfg.yaml:8:5: exporters::otlphttp::endpoint",
    ]


def test_env_defaults_to_process_environment(write: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTELPY_TEST_PORT", "4317")
    name = write("cfg.yaml", "x:\n  v: ${env:OTELPY_TEST_PORT}\n")
    assert load([name]).document == {"x": {"v": 4317}}


def test_keys_are_never_expanded(write: Any) -> None:
    name = write("cfg.yaml", "x:\n  ${env:HOST}: 1\n")
    assert load([name], env=ENV).document == {"x": {"${env:HOST}": 1}}


@pytest.mark.parametrize(
    ("line", "env", "check"),
    [
        ("endpoint: ${env:V}", {"V": "8080"}, lambda c: c.endpoint == "8080"),
        ("endpoint: ${env:V}", {"V": "0123"}, lambda c: c.endpoint == "0123"),
        ("endpoint: ${env:V}", {"V": "true"}, lambda c: c.endpoint == "true"),
        ("endpoint: ${env:V}", {"V": "https://x # not a comment"},
         lambda c: c.endpoint == "https://x # not a comment"),
        ("api_key: ${env:V}", {"V": "12345"}, lambda c: c.api_key == Secret("12345")),
        ("headers: {k: '${env:V}'}", {"V": "0x10"}, lambda c: c.headers == {"k": "0x10"}),
    ],
    ids=["int-text-to-string", "octal-text-keeps-zero", "bool-text-to-string",
         "hash-kept-for-string", "secret-from-int-text", "header-value"],
)
def test_string_fields_get_the_raw_text(write: Any, registry: Registry, line: str,
                                        env: dict[str, str], check: Any) -> None:
    name = write("cfg.yaml", f"""
        receivers:
          otlp:
        exporters:
          otlphttp:
            endpoint: http://x
            {line}
        service:
          pipelines:
            traces: {{receivers: [otlp], exporters: [otlphttp]}}
        """.replace("            endpoint: http://x\n            endpoint", "            endpoint"))
    cfg = validate(load([name], env=env), registry)
    assert check(cfg.exporters[next(iter(cfg.exporters))])


def test_typed_fields_get_the_parsed_value(write: Any, registry: Registry) -> None:
    name = write("cfg.yaml", """
        receivers:
          otlp:
        processors:
          batch:
            send_batch_size: ${env:SIZE}
            timeout: ${env:TIMEOUT}
        exporters:
          debug:
        service:
          pipelines:
            traces: {receivers: [otlp], processors: [batch], exporters: [debug]}
        """)
    cfg = validate(load([name], env={"SIZE": "0100", "TIMEOUT": "5"}), registry)
    batch = next(iter(cfg.processors.values()))
    assert batch.send_batch_size == 64  # type: ignore[attr-defined]  # Go reads 0100 as octal
    assert batch.timeout == 5.0  # type: ignore[attr-defined]

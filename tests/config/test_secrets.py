"""Secrets stay secret: print-config, validation messages, log lines, exporter errors.

Runs against the real registry, so every Secret field of the built-in components
(tokens, passwords, htpasswd, header values, inline keys) is covered by its schema.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Any

import pytest

from otelpy.component import Kind, Signal
from otelpy.config import document_schema, load, redact, validate
from otelpy.config.messages import visible
from otelpy.errors import ConfigError, RetryableError
from otelpy.logredact import RedactingFilter
from otelpy.pdata import Batch
from otelpy.registry import Registry, load_registry
from otelpy.telemetry import Telemetry
from otelpy.testing.authhost import create_component
from otelpy.testing.process import free_port
from otelpy.testing.samples import traces_request
from otelpy.testing.sink import FakeHost

R = "[REDACTED]"
SECRETS = ("tok-1-SECRET", "tok-2-SECRET", "pw-SECRET", "htp-SECRET", "hdr-SECRET",
           "KEYPEM-SECRET", "url-SECRET", "auth-hdr-SECRET")


@pytest.fixture(scope="module")
def real_registry() -> Registry:
    return load_registry(include_plugins=False)


def _document() -> dict[str, Any]:
    return {
        "extensions": {
            "bearertokenauth": {"token": "tok-1-SECRET"},
            "bearertokenauth/many": {"tokens": ["tok-1-SECRET", "tok-2-SECRET"]},
            "basicauth/client": {"client_auth": {"username": "alice", "password": "pw-SECRET"}},
            "basicauth/server": {"htpasswd": {"inline": "alice:htp-SECRET"}},
            "headers_setter": {"headers": [{"key": "X-Tenant", "value": "hdr-SECRET"}]},
        },
        "receivers": {"otlp": {"protocols": {"grpc": {"tls": {
            "cert_pem": "-----BEGIN CERTIFICATE-----", "key_pem": "KEYPEM-SECRET"}}}}},
        "exporters": {"otlphttp": {
            "endpoint": "https://svc:url-SECRET@backend:4318",
            "headers": {"Authorization": "Bearer auth-hdr-SECRET", "X-Team": "ops"}}},
    }


def test_print_config_redacts_every_secret(real_registry: Registry) -> None:
    out = redact(_document(), document_schema(real_registry))
    text = repr(out)
    for secret in SECRETS:
        assert secret not in text, secret
    ext = out["extensions"]
    assert ext["bearertokenauth"]["token"] == R
    assert ext["bearertokenauth/many"]["tokens"] == [R, R]
    assert ext["basicauth/client"]["client_auth"] == {"username": "alice", "password": R}
    assert ext["basicauth/server"]["htpasswd"]["inline"] == R
    assert ext["headers_setter"]["headers"][0] == {"key": "X-Tenant", "value": R}
    tls = out["receivers"]["otlp"]["protocols"]["grpc"]["tls"]
    assert tls == {"cert_pem": R, "key_pem": R}
    exp = out["exporters"]["otlphttp"]
    assert exp["endpoint"] == f"https://svc:{R}@backend:4318"
    assert exp["headers"] == {"Authorization": R, "X-Team": "ops"}


WRONG_TYPES = """
extensions:
  bearertokenauth:
    token: {oops: tok-1-SECRET}
  bearertokenauth/many:
    tokens: [[tok-2-SECRET]]
  basicauth/client:
    client_auth: {username: alice, password: [pw-SECRET]}
  basicauth/server:
    htpasswd: {inline: {x: htp-SECRET}}
  headers_setter:
    headers:
      - {key: X-Tenant, value: [hdr-SECRET]}
receivers:
  otlp:
    protocols:
      grpc:
        tls: {cert_file: c, key_pem: [KEYPEM-SECRET]}
exporters:
  otlphttp:
    endpoint: [https://svc:url-SECRET@backend]
    headers: {Authorization: [auth-hdr-SECRET]}
service:
  extensions: [bearertokenauth]
  pipelines:
    traces: {receivers: [otlp], exporters: [otlphttp]}
"""


def test_validation_errors_never_echo_a_secret(real_registry: Registry, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(WRONG_TYPES)
    with pytest.raises(ConfigError) as info:
        validate(load([str(path)]), real_registry)
    text = "\n".join(info.value.problems)
    for secret in SECRETS:
        assert secret not in text, text
    # each wrong value is still reported, at its path
    for where in ("bearertokenauth::token", "bearertokenauth/many::tokens",
                  "client_auth::password", "htpasswd::inline", "headers::0::value",
                  "tls::key_pem", "otlphttp::endpoint", "headers::Authorization"):
        assert where in text, (where, text)


@pytest.mark.parametrize(("value", "path", "schemas", "shown"), [
    ("abc", ("x", "token"), [], R),
    (["abc"], ("exporters", "otlphttp", "headers", "X-Api-Key"), [], R),
    ({"a": 1}, ("x", "value"), [{"anyOf": [{"type": "string", "x-otelpy-secret": True},
                                           {"type": "null"}]}], R),
    ("http://u:pw@h", ("x", "endpoint"), [], f"http://u:{R}@h"),
    (42, ("x", "port"), [], 42),
    (None, ("x", "password"), [], None),
], ids=["key-name", "header-name", "schema-marker", "url", "plain", "nothing-set"])
def test_visible(value: Any, path: tuple[str, ...], schemas: list[dict[str, Any]],
                 shown: Any) -> None:
    assert visible(value, path, schemas) == shown


def test_log_lines_lose_url_passwords() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("otelpy.test.logredact")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("POST %s failed", "https://svc:url-SECRET@backend:4318/v1/traces")
        logger.warning("no url here: %d items", 3)
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    assert "url-SECRET" not in out
    assert f"https://svc:{R}@backend:4318/v1/traces failed" in out
    assert "no url here: 3 items" in out


async def test_exporter_errors_hide_url_passwords() -> None:
    url = f"http://svc:url-SECRET@127.0.0.1:{free_port()}"
    exp = create_component(Kind.EXPORTER,
                           "otlphttp", {"endpoint": url, "sending_queue": {"enabled": False},
                                        "retry_on_failure": {"enabled": False}},
                           Telemetry(), frozenset(Signal))
    await exp.start(FakeHost())
    try:
        with pytest.raises(RetryableError) as info:
            await exp.consume(Batch.from_bytes(Signal.TRACES,
                                               traces_request(1).SerializeToString()))
    finally:
        await exp.shutdown()
    assert "url-SECRET" not in str(info.value)
    assert f"svc:{R}@127.0.0.1" in str(info.value)

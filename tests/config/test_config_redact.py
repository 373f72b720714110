"""redact(): secrets by schema marker, by key name, and passwords in URLs."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from otelpy.config import document_schema, load, redact, validate
from otelpy.config.redact import is_secret_key, redact_url_userinfo
from otelpy.registry import Registry

R = "[REDACTED]"


def test_schema_marked_secrets_are_redacted_at_any_depth(registry: Registry) -> None:
    doc = {
        "exporters": {
            "otlphttp/a": {
                "endpoint": "https://backend:4318",
                "api_key": "k-123",
                "auth": {"username": "ann", "password": 12345},
                "compression": "gzip",
            },
        },
    }
    out = redact(doc, document_schema(registry))
    assert out == {
        "exporters": {
            "otlphttp/a": {
                "endpoint": "https://backend:4318",
                "api_key": R,
                "auth": {"username": "ann", "password": R},
                "compression": "gzip",
            },
        },
    }


def test_key_names_that_hold_secrets_are_redacted(registry: Registry) -> None:
    doc = {
        "exporters": {
            "otlphttp": {
                "headers": {"Authorization": "Bearer abc", "X-Api-Key": "k", "X-Team": "ops"},
            },
        },
        "extensions": {
            "custom_auth": {  # unknown type: no schema, key names still count
                "client_secret": "cs",
                "bearer_token": "bt",
                "token_file": "/etc/token",
                "tokens_per_second": 5,
                "private_key": "pk",
                "aws": {"secret_key": "sk", "access_key": "ak", "region": "eu"},
                "users": [{"name": "a", "passwd": "p1"}, {"name": "b", "password": "p2"}],
                "credentials": {"user": "u"},
                "insecure": False,
                "api_key": None,
                "password": "",
            },
        },
    }
    out = redact(doc, document_schema(registry))
    assert out["exporters"]["otlphttp"]["headers"] == {
        "Authorization": R, "X-Api-Key": R, "X-Team": "ops"}
    assert out["extensions"]["custom_auth"] == {
        "client_secret": R,
        "bearer_token": R,
        "token_file": "/etc/token",
        "tokens_per_second": 5,
        "private_key": R,
        "aws": {"secret_key": R, "access_key": R, "region": "eu"},
        "users": [{"name": "a", "passwd": R}, {"name": "b", "password": R}],
        "credentials": {"user": "u"},  # a mapping is walked, not hidden wholesale
        "insecure": False,
        "api_key": None,  # nothing set: nothing to hide
        "password": "",
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("http://user:pass@host:4318/v1", f"http://user:{R}@host:4318/v1"),
        ("https://u:p%40ss@h", f"https://u:{R}@h"),
        ("amqp://guest:guest@rabbit:5672/vhost", f"amqp://guest:{R}@rabbit:5672/vhost"),
        ("a http://x:1@h and postgres://db:pw@pg/db", f"a http://x:{R}@h and postgres://db:{R}@pg/db"),
        ("http://user@host/x", "http://user@host/x"),
        ("http://host:4318/v1?a=b@c", "http://host:4318/v1?a=b@c"),
        ("user:pass@host", "user:pass@host"),
    ],
    ids=["basic", "encoded", "amqp", "two-urls", "no-password", "at-in-query", "not-a-url"],
)
def test_url_userinfo(text: str, expected: str) -> None:
    assert redact_url_userinfo(text) == expected


def test_urls_in_documents_lose_their_passwords(registry: Registry) -> None:
    doc = {"exporters": {"otlphttp": {"endpoint": "https://svc:hunter2@backend:4318"}},
           "receivers": {"prom": {"targets": ["http://a:b@h1:9100", "h2:9100"]}}}
    out = redact(doc, document_schema(registry))
    assert out["exporters"]["otlphttp"]["endpoint"] == f"https://svc:{R}@backend:4318"
    assert out["receivers"]["prom"]["targets"] == [f"http://a:{R}@h1:9100", "h2:9100"]


def test_redact_copies(registry: Registry) -> None:
    doc = {"exporters": {"otlphttp": {"endpoint": "http://x", "api_key": "k"}}}
    before = copy.deepcopy(doc)
    out = redact(doc, document_schema(registry))
    assert doc == before
    assert out is not doc and out["exporters"] is not doc["exporters"]


def test_redacting_a_validated_document(write: Any, registry: Registry) -> None:
    name = write("p.yaml", """
        receivers: {otlp: }
        exporters:
          otlphttp:
            endpoint: ${env:ENDPOINT}
            api_key: ${env:KEY}
        service:
          pipelines:
            traces: {receivers: [otlp], exporters: [otlphttp]}
        """)
    cfg = validate(load([name], env={"ENDPOINT": "http://u:pw@b:4318", "KEY": "4242"}),
                   registry)
    out = redact(cfg.document, document_schema(registry))
    assert out["exporters"]["otlphttp"] == {"endpoint": f"http://u:{R}@b:4318", "api_key": R}


@pytest.mark.parametrize(
    ("key", "secret"),
    [("password", True), ("Password", True), ("db_password", True), ("passphrase", True),
     ("x-auth-token", True), ("apikey", True), ("API_KEY", True), ("Proxy-Authorization", True),
     ("cookie", True), ("endpoint", False), ("token_url", False), ("keyfile", False),
     ("secret_file", False), ("compression", False)],
    ids=lambda v: str(v),
)
def test_secret_key_names(key: str, secret: bool) -> None:
    assert is_secret_key(key) is secret

"""Hiding secrets in a config document before it is printed or served.

A value is replaced by ``[REDACTED]`` when its schema is marked
``"x-otelpy-secret": true`` (every :class:`~otelpy.config.types.Secret` field), or
when its key looks like a secret (password, token, secret, api_key, authorization,
...). Passwords in URLs (``http://user:pass@host``) are hidden in every string.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from otelpy.config.schema import SchemaWalker
from otelpy.config.types import Secret

REDACTED = Secret.REDACTED

_SECRET_KEY = re.compile(
    r"(?:^|_)(?:password|passwd|pwd|passphrase|secret|secret_key|token|api_?key|apikey"
    r"|private_key|access_key|authorization|proxy_authorization|cookie|credentials?)$"
)
_URL_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^/?#@\s:]*:)([^/?#@\s]+)@")


def is_secret_key(key: str) -> bool:
    """True for key names that conventionally hold secrets (``X-Api-Key``, ``bearer_token``)."""
    return bool(_SECRET_KEY.search(key.lower().replace("-", "_").replace(".", "_")))


def redact_url_userinfo(text: str) -> str:
    """``scheme://user:pass@host`` -> ``scheme://user:[REDACTED]@host`` wherever it occurs."""
    return _URL_USERINFO.sub(lambda m: f"{m.group(1)}{REDACTED}@", text)


def redact(document: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``document`` with secrets replaced by ``[REDACTED]`` (see module doc).

    ``schema`` is the document schema (:func:`otelpy.config.document_schema`). Empty
    values (null, "") stay visible: they show that nothing is set.
    """
    walker = SchemaWalker(schema)
    out = _walk(document, walker.flatten(schema), walker, secret_key=False)
    return dict(out) if isinstance(out, dict) else {}


def _walk(value: Any, schemas: list[Mapping[str, Any]], walker: SchemaWalker,
          secret_key: bool) -> Any:
    if isinstance(value, dict):
        return {k: _walk(v, walker.child(schemas, str(k)), walker, is_secret_key(str(k)))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, walker.child(schemas, i), walker, secret_key)
                for i, v in enumerate(value)]
    if value is None or value == "" or isinstance(value, bool):
        return value
    if secret_key or any(s.get("x-otelpy-secret") is True for s in schemas):
        return REDACTED
    return redact_url_userinfo(value) if isinstance(value, str) else value

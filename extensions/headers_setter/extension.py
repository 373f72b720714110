"""The headers_setter extension: a client authenticator that sets, updates or removes
headers (gRPC metadata) on every outgoing request, as the Collector's does."""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass

from otelpy.component import ComponentBase
from otelpy.extensions.headers_setter.config import HeadersSetterConfig


@dataclass(frozen=True)
class _Rule:
    key: str  # lower case
    value: str
    action: str


class HeadersSetter(ComponentBase):
    """Implements :class:`~otelpy.auth.ClientAuthenticator`."""

    def __init__(self, cfg: HeadersSetterConfig) -> None:
        problems = cfg.validate_config()
        if problems:
            raise ValueError("; ".join(problems))
        self._rules = tuple(
            _Rule(h.key.strip().lower(), h.value.reveal() if h.value else "", h.action)
            for h in cfg.headers)

    def apply_headers(self, headers: MutableMapping[str, str]) -> None:
        """Apply every rule in order to ``headers`` (lower-case names)."""
        for rule in self._rules:
            if rule.action == "delete":
                headers.pop(rule.key, None)
            elif rule.action == "upsert":
                headers[rule.key] = rule.value
            elif rule.action == "insert":
                headers.setdefault(rule.key, rule.value)
            elif rule.key in headers:  # update
                headers[rule.key] = rule.value

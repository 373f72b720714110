"""Authenticators: the protocols authenticator extensions implement, and how a component
finds the one its ``auth: {authenticator: <id>}`` names.

* A :class:`ServerAuthenticator` checks the headers (HTTP) or metadata (gRPC) of an
  incoming request and raises :class:`~otelpy.errors.AuthError` to refuse it. Header
  names arrive lower-cased; with repeated headers, the first value counts.
* A :class:`ClientAuthenticator` edits the headers (lower-cased names) of every
  outgoing request: adds credentials, sets or removes headers.

Servers enforce authentication with :mod:`otelpy.auth.server`; clients apply it with
:func:`with_auth_headers` / :func:`with_auth_metadata`.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Protocol, runtime_checkable

from otelpy.component import Host
from otelpy.config.auth import AuthSettings
from otelpy.errors import AuthError, ComponentStartError

__all__ = ["AuthError", "ClientAuthenticator", "ServerAuthenticator", "resolve_client",
           "resolve_server", "with_auth_headers", "with_auth_metadata"]


@runtime_checkable
class ServerAuthenticator(Protocol):
    """Checks incoming requests."""

    async def authenticate(self, headers: Mapping[str, str]) -> None:
        """Return when the request is authenticated; raise AuthError otherwise.

        ``headers`` has lower-case names. The error's message is for a DEBUG log only and
        must not contain the credential presented.
        """
        ...


@runtime_checkable
class ClientAuthenticator(Protocol):
    """Adds credentials to outgoing requests."""

    def apply_headers(self, headers: MutableMapping[str, str]) -> None:
        """Edit ``headers`` (lower-case names) of one outgoing request in place."""
        ...


def _key(where: str) -> str:
    return f"{where}::authenticator" if where else "authenticator"


def _find(host: Host | None, auth: AuthSettings, where: str) -> object:
    key = _key(where)
    ext = None if host is None else host.extension(auth.component_id)
    if ext is None:
        raise ComponentStartError(
            f'{key}: extension "{auth.authenticator}" is not configured or not listed in '
            "service::extensions")
    return ext


def resolve_server(host: Host | None, auth: AuthSettings, where: str) -> ServerAuthenticator:
    """The server authenticator ``auth`` names; ComponentStartError when the extension is
    missing or cannot authenticate incoming requests. ``where`` is the YAML path of the
    ``auth`` mapping, for messages."""
    ext = _find(host, auth, where)
    if not isinstance(ext, ServerAuthenticator):
        raise ComponentStartError(
            f'{_key(where)}: extension "{auth.authenticator}" cannot authenticate '
            "incoming requests (it is not a server authenticator)")
    return ext


def resolve_client(host: Host | None, auth: AuthSettings, where: str) -> ClientAuthenticator:
    """The client authenticator ``auth`` names; ComponentStartError when the extension is
    missing or cannot add credentials to outgoing requests."""
    ext = _find(host, auth, where)
    if not isinstance(ext, ClientAuthenticator):
        raise ComponentStartError(
            f'{_key(where)}: extension "{auth.authenticator}" cannot add credentials '
            "to outgoing requests (it is not a client authenticator)")
    return ext


def with_auth_headers(base: Mapping[str, str], auth: ClientAuthenticator) -> dict[str, str]:
    """``base`` (names lower-cased) as edited by ``auth``, for one HTTP request."""
    headers = {k.lower(): v for k, v in base.items()}
    auth.apply_headers(headers)
    return headers


def with_auth_metadata(base: tuple[tuple[str, str], ...],
                       auth: ClientAuthenticator) -> tuple[tuple[str, str], ...]:
    """gRPC metadata ``base`` as edited by ``auth``, for one call."""
    return tuple(with_auth_headers(dict(base), auth).items())

"""The route table behind the ``status`` extension's ``/api/...`` JSON answers.

Components that hold windows (span analytics, log insights, alerts, health checks)
register read-only views here when they start and remove them when they shut down
(DESIGN.md, "State, time and queries")::

    remove = host.api_routes().add("GET", "/spans/analytics", self._analytics, owner=str(id))
    ...
    remove()

Paths are relative to ``/api`` and may hold ``{name}`` segments (``/silences/{id}``),
handed to the handler in :attr:`ApiRequest.path_params`. A handler returns a JSON-able
value (answered 200) or raises :class:`ApiError` for any other status. Queries are
bounded by the component: :meth:`ApiRequest.duration` and :meth:`ApiRequest.integer`
refuse values past a maximum with 400.

The table belongs to the service and outlives reloads; when a reloaded component
registers a path its predecessor still holds, the newer handler wins and the older
one's ``remove`` leaves it alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from otelpy.config.types import format_duration, parse_duration


class ApiError(Exception):
    """An answer other than 200: ``status`` and a message for the JSON ``error`` field."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class ApiRequest:
    """One request to an API route."""

    method: str
    path: str
    query: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    body: bytes = b""
    path_params: Mapping[str, str] = field(default_factory=dict)

    def param(self, name: str, default: str | None = None) -> str | None:
        """The last value of query parameter ``name``, or ``default``."""
        values = self.query.get(name)
        return values[-1] if values else default

    def values(self, name: str) -> list[str]:
        """Every value of ``name``, repeated or comma-separated (``severity=ERROR,WARN``)."""
        return [v.strip() for raw in self.query.get(name, ()) for v in raw.split(",")
                if v.strip()]

    def duration(self, name: str, default: float, maximum: float) -> float:
        """Parameter ``name`` as a Go/Prometheus duration (``90s``, ``1h``) in seconds;
        400 when malformed, not positive, or longer than ``maximum``."""
        raw = self.param(name)
        if raw is None:
            return default
        try:
            seconds = parse_duration(raw)
        except ValueError as exc:
            raise ApiError(400, f"{name}: {exc}") from exc
        if seconds <= 0 or seconds > maximum:
            raise ApiError(400, f"{name}: must be positive and at most "
                                f"{format_duration(maximum)}, got {raw!r}")
        return seconds

    def integer(self, name: str, default: int, maximum: int, minimum: int = 1) -> int:
        """Parameter ``name`` as an integer in [minimum, maximum]; 400 otherwise."""
        raw = self.param(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError as exc:
            raise ApiError(400, f"{name}: not an integer: {raw!r}") from exc
        if not minimum <= value <= maximum:
            raise ApiError(400, f"{name}: must be between {minimum} and {maximum}, got {value}")
        return value

    def json(self) -> Any:
        """The body as JSON; 400 when it is not."""
        try:
            return json.loads(self.body or b"null")
        except (ValueError, UnicodeDecodeError) as exc:
            raise ApiError(400, f"body is not JSON: {exc}") from exc


ApiHandler = Callable[[ApiRequest], Awaitable[Any]]

_SEGMENT = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class ApiRoute:
    method: str
    path: str
    owner: str
    handler: ApiHandler
    pattern: re.Pattern[str]


def _compile(path: str) -> re.Pattern[str]:
    if not path.startswith("/") or path.endswith("/") and path != "/":
        raise ValueError(f"API path must start with '/' and not end with one: {path!r}")
    parts = _SEGMENT.split(path)
    regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>[^/]+)"
                    for i, p in enumerate(parts))
    return re.compile(regex + r"\Z")


class ApiRoutes:
    """Method + path -> handler, registered by components at start."""

    def __init__(self) -> None:
        self._routes: dict[tuple[str, str], ApiRoute] = {}

    def add(self, method: str, path: str, handler: ApiHandler, owner: str) -> Callable[[], None]:
        """Serve ``method path`` with ``handler``; returns the call that removes it."""
        route = ApiRoute(method.upper(), path, owner, handler, _compile(path))
        key = (route.method, path)
        self._routes[key] = route

        def remove() -> None:
            if self._routes.get(key) is route:
                del self._routes[key]

        return remove

    def resolve(self, method: str, path: str) -> tuple[ApiRoute, dict[str, str]] | None:
        """The route for ``method path`` and its path parameters, or None."""
        for route in self._routes.values():
            if route.method == method.upper():
                m = route.pattern.match(path)
                if m:
                    return route, m.groupdict()
        return None

    def methods(self, path: str) -> list[str]:
        """The methods some route serves ``path`` with (for 405 answers)."""
        return sorted({r.method for r in self._routes.values() if r.pattern.match(path)})

    def listing(self) -> list[dict[str, str]]:
        """Every route, sorted by path then method."""
        return [{"method": r.method, "path": "/api" + r.path, "owner": r.owner}
                for r in sorted(self._routes.values(), key=lambda r: (r.path, r.method))]


def api_routes(host: object) -> ApiRoutes | None:
    """The host's route table, or None for a host without one (a bare test host)."""
    getter = getattr(host, "api_routes", None)
    return getter() if callable(getter) else None


__all__ = ["ApiError", "ApiHandler", "ApiRequest", "ApiRoute", "ApiRoutes", "api_routes"]

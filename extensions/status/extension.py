"""The status extension: serves the ``/api/...`` JSON views components register.

Routes come from the host's :class:`~otelpy.statusapi.ApiRoutes` (components add them
when they start); ``GET /api`` lists them. Answers are JSON: the handler's value with
200, or ``{"error": ...}`` with the status of the :class:`~otelpy.statusapi.ApiError`
it raised. A handler that fails otherwise answers 500 and is logged; the process keeps
serving.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from otelpy.component import ComponentBase, Host, Settings
from otelpy.extensions.status.config import StatusConfig
from otelpy.httpsite import HTTPSite
from otelpy.security import http_server_security
from otelpy.statusapi import ApiError, ApiRequest, ApiRoutes, api_routes

_JSON = "application/json"


def _answer(status: int, value: Any) -> web.Response:
    return web.Response(status=status, content_type=_JSON,
                        body=json.dumps(value, allow_nan=False, separators=(",", ":")))


class StatusExtension(ComponentBase):
    """Serves the host's API routes from ``start`` to ``shutdown``."""

    def __init__(self, settings: Settings, cfg: StatusConfig) -> None:
        self._log = settings.logger
        self._settings = settings
        self._cfg = cfg
        self._routes = ApiRoutes()
        self._site = HTTPSite()
        self._requests = settings.telemetry.counter(
            "otelpy_status_api_requests",
            "Status API requests answered, by extension and status code class",
            ["extension", "code"])

    @property
    def port(self) -> int | None:
        """The bound port, once started."""
        return self._site.port

    async def start(self, host: Host) -> None:
        if self._site.running:
            return
        self._routes = api_routes(host) or ApiRoutes()
        security = await http_server_security(self._cfg.tls, self._cfg.auth, host,
                                              self._settings, "")
        app = web.Application(middlewares=security.middlewares,
                              client_max_size=self._cfg.max_request_body)
        app.router.add_route("*", "/api", self._index)
        app.router.add_route("*", "/api/{tail:.*}", self._dispatch)
        await self._site.start(app, self._cfg.endpoint, security)
        self._log.info("serving the status API on %s", self._cfg.endpoint)

    async def shutdown(self) -> None:
        await self._site.stop()

    async def _index(self, request: web.Request) -> web.Response:
        if request.method != "GET":
            return _answer(405, {"error": "only GET is allowed on /api"})
        return _answer(200, {"routes": self._routes.listing()})

    async def _dispatch(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        found = self._routes.resolve(request.method, path)
        if found is None:
            allowed = self._routes.methods(path)
            if allowed:
                return self._count(web.Response(
                    status=405, content_type=_JSON, headers={"Allow": ", ".join(allowed)},
                    body=json.dumps({"error": f"{request.method} not allowed on /api{path}"})))
            return self._count(_answer(404, {"error": f"no API route /api{path}"}))
        route, params = found
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._count(_answer(413, {"error": "request body too large"}))
        query = {k: tuple(request.query.getall(k)) for k in request.query}
        api_request = ApiRequest(request.method, path, query, body, params)
        return self._count(await self._call(route.handler, api_request))

    async def _call(self, handler: Any, api_request: ApiRequest) -> web.Response:
        try:
            value = await handler(api_request)
        except ApiError as exc:
            return _answer(exc.status, {"error": exc.message})
        except Exception as exc:  # noqa: BLE001 - a failing view must not take the API down
            self._log.exception("status API %s %s failed", api_request.method, api_request.path)
            return _answer(500, {"error": f"internal error: {type(exc).__name__}"})
        try:
            body = json.dumps(value, allow_nan=False, separators=(",", ":")).encode()
        except (TypeError, ValueError) as exc:
            self._log.error("status API %s answered a value that is not JSON: %s",
                            api_request.path, exc)
            return _answer(500, {"error": "internal error: answer is not JSON"})
        if len(body) > self._cfg.max_response_bytes:
            return _answer(507, {"error": f"answer of {len(body)} bytes exceeds "
                                          f"max_response_bytes; narrow the query"})
        return web.Response(status=200, content_type=_JSON, body=body)

    def _count(self, response: web.Response) -> web.Response:
        self._requests.labels(str(self._settings.id), f"{response.status // 100}xx").inc()
        return response

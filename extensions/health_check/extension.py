"""The health_check extension: an HTTP endpoint for liveness/readiness probes.

``GET <path>`` answers 200 when the host reports every pipeline ``ok`` and 503
otherwise, with the Collector's JSON body (or the configured static body).
``GET <path>/status`` answers the same codes with the status of every pipeline.
``GET <checks_path>`` (``/health/checks``) answers the overall status of the healthcheck
receivers: the status API's ``GET /health`` route (registered by their health board,
:mod:`otelpy.probes.board`) with 503 when ``overall_status`` is ``critical``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from datetime import UTC, datetime

from aiohttp import web

from otelpy.component import ComponentBase, Host, Settings
from otelpy.config.redact import redact_url_userinfo
from otelpy.config.types import format_duration
from otelpy.extensions.health_check.config import HealthCheckConfig
from otelpy.httpsite import HTTPSite
from otelpy.security import http_server_security
from otelpy.statusapi import ApiError, ApiRequest, api_routes

_GO_ZERO_TIME = "0001-01-01T00:00:00Z"  # what the Collector shows before it is ready
_JSON = "application/json"
_CHECKS_ROUTE = "/health"  # the status API route of otelpy.probes.board (HEALTH_PATH)


def _rfc3339(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


class HealthCheckExtension(ComponentBase):
    """Serves the health endpoint from ``start`` to ``shutdown``."""

    def __init__(self, settings: Settings, cfg: HealthCheckConfig) -> None:
        self._log = settings.logger
        self._settings = settings
        self._cfg = cfg
        self._host: Host | None = None
        self._site = HTTPSite()  # closes the TLS reloader (certificate reloads) on stop
        self._up_since: float | None = None  # wall time a probe first saw all pipelines ok
        self._up_mono = 0.0

    @property
    def port(self) -> int | None:
        """The bound port, once started."""
        return self._site.port

    # -- lifecycle -----------------------------------------------------------------------
    async def start(self, host: Host) -> None:
        """Bind and serve; raises ComponentStartError naming the endpoint when the
        address cannot be bound (e.g. the port is taken)."""
        if self._site.running:
            return
        self._host = host
        if self._cfg.check_collector_pipeline.enabled:
            self._log.warning("check_collector_pipeline is deprecated and has no effect; "
                              "health follows every pipeline's status")
        security = await http_server_security(self._cfg.tls, self._cfg.auth, host,
                                              self._settings, "")
        app = web.Application(middlewares=security.middlewares)
        app.router.add_get(self._cfg.path, self._health)
        app.router.add_get(self._cfg.status_path, self._status)
        app.router.add_get(self._cfg.checks_path, self._checks)
        await self._site.start(app, self._cfg.endpoint, security)
        self._log.info("serving on %s (path %s, status %s)", self._cfg.endpoint,
                       self._cfg.path, self._cfg.status_path)

    async def shutdown(self) -> None:
        await self._site.stop()

    # -- answers -------------------------------------------------------------------------
    def _pipelines(self) -> Mapping[str, str]:
        return {} if self._host is None else self._host.pipeline_status()

    def _healthy(self, pipelines: Mapping[str, str]) -> bool:
        ok = self._host is not None and all(s == "ok" for s in pipelines.values())
        if not ok:
            self._up_since = None
        elif self._up_since is None:
            self._up_since, self._up_mono = time.time(), time.monotonic()
        return ok

    async def _health(self, request: web.Request) -> web.Response:
        healthy = self._healthy(self._pipelines())
        code = 200 if healthy else 503
        custom = self._cfg.response_body
        if custom is not None:
            return web.Response(status=code, text=custom.healthy if healthy else custom.unhealthy)
        if healthy and self._up_since is not None:
            body = {"status": "Server available", "upSince": _rfc3339(self._up_since),
                    "uptime": format_duration(time.monotonic() - self._up_mono)}
        else:
            body = {"status": "Server not available", "upSince": _GO_ZERO_TIME, "uptime": ""}
        return web.Response(status=code, text=json.dumps(body), content_type=_JSON)

    async def _status(self, request: web.Request) -> web.Response:
        pipelines = {k: redact_url_userinfo(v) for k, v in self._pipelines().items()}
        healthy = self._healthy(pipelines)
        body = {"healthy": healthy, "pipelines": pipelines}
        return web.Response(status=200 if healthy else 503, text=json.dumps(body),
                            content_type=_JSON)

    async def _checks(self, request: web.Request) -> web.Response:
        routes = api_routes(self._host)
        found = routes.resolve("GET", _CHECKS_ROUTE) if routes is not None else None
        if found is None:
            return _json(404, {"error": "no healthcheck receiver is running"})
        route, params = found
        try:
            body = await route.handler(ApiRequest("GET", _CHECKS_ROUTE, path_params=params))
        except ApiError as exc:
            return _json(exc.status, {"error": exc.message})
        critical = isinstance(body, dict) and body.get("overall_status") == "critical"
        return _json(503 if critical else 200, body)


def _json(status: int, body: object) -> web.Response:
    return web.Response(status=status, text=json.dumps(body), content_type=_JSON)

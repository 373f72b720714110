"""The zpages extension: /debug/servicez, pipelinez, extensionz, featurez, tracez (and
expvarz when enabled), answered from what the host reports at the time of the request."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import resource
import sys
import threading
import time
from typing import Any

from aiohttp import web

from otelpy import __version__
from otelpy.component import ComponentBase, Host, Settings
from otelpy.extensions.zpages import pages
from otelpy.extensions.zpages.config import ZPagesConfig
from otelpy.hostview import DescribesService, ServiceView
from otelpy.httpsite import HTTPSite
from otelpy.security import http_server_security

_HTML = "text/html"


def expvars() -> dict[str, Any]:
    """otelpy's runtime variables, the counterpart of Go's expvar page."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    try:
        tasks = len(asyncio.all_tasks())
    except RuntimeError:  # no running loop (not the case when serving)
        tasks = 0
    return {
        "cmdline": sys.argv,
        "otelpy": {"version": __version__, "pid": os.getpid()},
        "python": {"version": sys.version, "implementation": sys.implementation.name,
                   "platform": sys.platform},
        "gc": {"counts": list(gc.get_count()), "thresholds": list(gc.get_threshold()),
               "generations": gc.get_stats(), "frozen": gc.get_freeze_count()},
        "memory": {"allocated_blocks": sys.getallocatedblocks(),
                   "max_rss_kib": usage.ru_maxrss},
        "rusage": {"user_cpu_seconds": usage.ru_utime, "system_cpu_seconds": usage.ru_stime,
                   "voluntary_context_switches": usage.ru_nvcsw,
                   "involuntary_context_switches": usage.ru_nivcsw},
        "threads": threading.active_count(),
        "asyncio_tasks": tasks,
    }


class ZPagesExtension(ComponentBase):
    """Serves the pages from ``start`` to ``shutdown``."""

    def __init__(self, settings: Settings, cfg: ZPagesConfig) -> None:
        self._log = settings.logger
        self._settings = settings
        self._cfg = cfg
        self._host: Host | None = None
        self._site = HTTPSite()

    @property
    def port(self) -> int | None:
        """The bound port, once started."""
        return self._site.port

    async def start(self, host: Host) -> None:
        """Bind and serve; raises ComponentStartError naming the endpoint when the
        address cannot be bound."""
        if self._site.running:
            return
        self._host = host
        if not isinstance(host, DescribesService):
            self._log.warning("the host does not describe the service: servicez, pipelinez "
                              "and extensionz will have nothing to list")
        security = await http_server_security(self._cfg.tls, self._cfg.auth, host,
                                              self._settings, "")
        app = web.Application(middlewares=security.middlewares)
        routes = {"servicez": self._servicez, "pipelinez": self._pipelinez,
                  "extensionz": self._extensionz, "featurez": self._featurez,
                  "tracez": self._tracez}
        if self._cfg.expvar.enabled:
            routes["expvarz"] = self._expvarz
        for name, handler in routes.items():
            app.router.add_get(f"/debug/{name}", handler)
        await self._site.start(app, self._cfg.endpoint, security)
        self._log.info("serving zPages on %s under /debug/ (%s)", self._cfg.endpoint,
                       ", ".join(routes))

    async def shutdown(self) -> None:
        await self._site.stop()

    def _view(self) -> ServiceView | None:
        host = self._host
        return host.service_view() if isinstance(host, DescribesService) else None

    @staticmethod
    def _html(text: str) -> web.Response:
        return web.Response(text=text, content_type=_HTML, charset="utf-8")

    async def _servicez(self, request: web.Request) -> web.Response:
        return self._html(pages.servicez(self._view(), time.time(), self._cfg.expvar.enabled))

    async def _pipelinez(self, request: web.Request) -> web.Response:
        return self._html(pages.pipelinez(self._view(), request.query))

    async def _extensionz(self, request: web.Request) -> web.Response:
        return self._html(pages.extensionz(self._view(), request.query))

    async def _featurez(self, request: web.Request) -> web.Response:
        return self._html(pages.featurez())

    async def _tracez(self, request: web.Request) -> web.Response:
        return self._html(pages.tracez())

    async def _expvarz(self, request: web.Request) -> web.Response:
        return web.Response(text=json.dumps(expvars(), indent=1, default=str),
                            content_type="application/json")

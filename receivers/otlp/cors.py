"""CORS for the HTTP protocol, with the semantics of the rs/cors package the Collector uses.

Origins may hold one ``*`` wildcard (``https://*.example.com``) or be ``*`` alone.
Accept, Accept-Language, Content-Type and Content-Language are always allowed request
headers (X-Requested-With too when none are configured); ``*`` allows any header.
Credentials are allowed. A preflight (OPTIONS with Access-Control-Request-Method)
is always answered 204; the CORS headers are present only when it is allowed.
"""

from __future__ import annotations

from aiohttp import web

from otelpy.config.server import CORSSettings

_IMPLICIT_HEADERS = ("accept", "accept-language", "content-type", "content-language")
_METHODS = ("GET", "POST", "HEAD")


class CORS:
    """Decides and writes CORS headers for one configuration."""

    def __init__(self, cfg: CORSSettings) -> None:
        origins = [o.lower() for o in cfg.allowed_origins]
        self.all_origins = "*" in origins
        self._exact = {o for o in origins if "*" not in o}
        self._wild = [tuple(o.split("*", 1)) for o in origins if "*" in o and o != "*"]
        headers = [h.lower() for h in cfg.allowed_headers]
        self.all_headers = "*" in headers
        implicit = _IMPLICIT_HEADERS if headers else (*_IMPLICIT_HEADERS, "x-requested-with")
        self._headers = set(headers) | set(implicit)
        self.max_age = cfg.max_age

    @property
    def enabled(self) -> bool:
        return self.all_origins or bool(self._exact or self._wild)

    def origin_allowed(self, origin: str) -> bool:
        o = origin.lower()
        if self.all_origins or o in self._exact:
            return True
        return any(len(o) >= len(p) + len(s) and o.startswith(p) and o.endswith(s)
                   for p, s in self._wild)

    def _allow_origin_value(self, origin: str) -> str:
        return "*" if self.all_origins else origin

    def preflight(self, request: web.Request) -> web.Response:
        """The answer to an OPTIONS preflight request (always 204)."""
        resp = web.Response(status=204)
        resp.headers["Vary"] = ("Origin, Access-Control-Request-Method, "
                                "Access-Control-Request-Headers")
        origin = request.headers.get("Origin", "")
        method = request.headers.get("Access-Control-Request-Method", "").upper()
        if not origin or not self.origin_allowed(origin) or method not in _METHODS:
            return resp
        wanted = [h.strip().lower() for h in
                  request.headers.get("Access-Control-Request-Headers", "").split(",")
                  if h.strip()]
        if not self.all_headers and any(h not in self._headers for h in wanted):
            return resp
        resp.headers["Access-Control-Allow-Origin"] = self._allow_origin_value(origin)
        resp.headers["Access-Control-Allow-Methods"] = method
        if wanted:
            resp.headers["Access-Control-Allow-Headers"] = ", ".join(wanted)
        resp.headers["Access-Control-Allow-Credentials"] = "true"
        if self.max_age > 0:
            resp.headers["Access-Control-Max-Age"] = str(self.max_age)
        return resp

    async def on_response_prepare(self, request: web.Request,
                                  response: web.StreamResponse) -> None:
        """aiohttp hook: CORS headers on every answer to an allowed cross-origin request."""
        origin = request.headers.get("Origin")
        if request.method == "OPTIONS" or not origin:
            return
        response.headers.add("Vary", "Origin")
        if self.origin_allowed(origin):
            response.headers["Access-Control-Allow-Origin"] = self._allow_origin_value(origin)
            response.headers["Access-Control-Allow-Credentials"] = "true"

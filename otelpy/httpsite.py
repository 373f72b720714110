"""An aiohttp application served on one ``endpoint``: what the HTTP extensions share.

The caller builds the application (with the middlewares of its
:func:`~otelpy.security.http_server_security`, if any); :class:`HTTPSite` binds it,
reports the bound port, and on ``stop`` closes the server and the TLS reloader.
"""

from __future__ import annotations

from aiohttp import web

from otelpy.config.server import Endpoint
from otelpy.errors import ComponentStartError
from otelpy.security import HTTPServerSecurity


class HTTPSite:
    """One served application; ``start`` once, ``stop`` any number of times."""

    def __init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self._security = HTTPServerSecurity()
        self.port: int | None = None  # the bound port, once started

    @property
    def running(self) -> bool:
        return self._runner is not None

    @property
    def addresses(self) -> list[tuple[str, int]]:
        """The bound (host, port) pairs; empty when not running."""
        if self._runner is None:
            return []
        return [(str(a[0]), int(a[1])) for a in self._runner.addresses]

    async def start(self, app: web.Application, endpoint: str,
                    security: HTTPServerSecurity | None = None) -> None:
        """Serve ``app`` on ``endpoint`` (with ``security``'s TLS). Raises
        ComponentStartError naming the endpoint when it cannot be bound; ``security`` is
        closed then."""
        parsed = Endpoint.parse(endpoint)
        self._security = security or HTTPServerSecurity()
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        try:
            await web.TCPSite(runner, parsed.bind_host, parsed.port,
                              ssl_context=self._security.ssl_context).start()
        except OSError as exc:
            await runner.cleanup()
            await self._security.close()
            raise ComponentStartError(
                f"cannot listen on {endpoint}: {exc.strerror or exc}") from exc
        self._runner = runner
        self.port = self.addresses[0][1] if self.addresses else parsed.port

    async def stop(self) -> None:
        """Close the server (waiting for handlers in flight) and the TLS reloader."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        await self._security.close()


__all__ = ["HTTPSite"]

"""A scrape target for tests: an aiohttp server on a free port whose answer tests change."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from aiohttp import web

__all__ = ["Target"]


@dataclass
class Target:
    """Serves ``body`` at ``/metrics`` with ``content_type``; ``status``, ``delay`` and
    ``requests`` let tests make it fail, hang, and see what was asked."""

    body: str = ""
    content_type: str = "text/plain; version=0.0.4"
    status: int = 200
    delay: float = 0.0
    requests: list[web.Request] = field(default_factory=list)
    port: int = 0
    _runner: web.AppRunner | None = None

    async def _metrics(self, request: web.Request) -> web.Response:
        self.requests.append(request)
        if self.delay:
            await asyncio.sleep(self.delay)
        return web.Response(status=self.status, body=self.body.encode(),
                            headers={"Content-Type": self.content_type})

    async def start(self) -> Target:
        app = web.Application()
        app.router.add_get("/{path:.*}", self._metrics)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

"""The pprof extension: ``/debug/pprof/profile?seconds=N`` answers a CPU profile of the
running otelpy's event loop, sampled for N seconds while the loop keeps serving.

One profile is taken at a time: a request arriving while one runs gets 409. With
``save_to_file`` the whole run is profiled too and written at shutdown. pyinstrument is
imported when the extension is created, never by ``otelpy validate`` or ``components``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

from otelpy.component import ComponentBase, Host, Settings
from otelpy.errors import ComponentStartError
from otelpy.extensions.pprof.config import GO_ONLY, PprofConfig
from otelpy.httpsite import HTTPSite

if TYPE_CHECKING:
    from otelpy.extensions.pprof.profiler import RunProfile, SessionDoc

DEFAULT_SECONDS = 30  # as Go's net/http/pprof
MAX_SECONDS = 60
DEFAULT_FORMAT = "pyisession"
_INDEX = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>/debug/pprof/</title></head>
<body>
<h2>/debug/pprof/</h2>
<p>Profiles of otelpy (pid {pid}), taken with pyinstrument on the event-loop thread, where
every pipeline runs. Worker threads are not sampled.</p>
<table style="border-spacing: 0">
<tr><td><a href="profile?seconds={default}">profile</a></td><td>CPU profile for
<code>seconds</code> (1 to {max}, default {default}) in <code>format</code> pyisession
(default; <code>pyinstrument --load FILE</code>), speedscope, html or text. One at a time:
a request during another gets 409.</td></tr>
<tr><td><a href="cmdline">cmdline</a></td><td>The command line of this process, arguments
separated by NUL bytes.</td></tr>
</table>
<p>Go runtime profiles (allocs, block, goroutine, heap, mutex, threadcreate, trace) have no
counterpart in otelpy and are not served.</p>
</body>
</html>
"""


def parse_seconds(text: str) -> int:
    """The ``seconds`` query value: absent or empty = 30; ValueError unless 1..60."""
    if text == "":
        return DEFAULT_SECONDS
    if not text.isdigit() or not 1 <= int(text) <= MAX_SECONDS:
        raise ValueError(f"seconds must be a whole number from 1 to {MAX_SECONDS}, "
                         f"got {text!r}")
    return int(text)


def _text(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text + "\n",
                        headers={"X-Content-Type-Options": "nosniff"})


class PprofExtension(ComponentBase):
    """Serves profiles from ``start`` to ``shutdown``."""

    def __init__(self, settings: Settings, cfg: PprofConfig) -> None:
        from otelpy.extensions.pprof import profiler  # pyinstrument: only when created

        self._formats = profiler.FORMATS
        self._log = settings.logger
        self._cfg = cfg
        self._site = HTTPSite()
        self._busy = False  # a requested profile is being taken
        self._stopping = asyncio.Event()
        self._run: RunProfile | None = None
        self._fold_task: asyncio.Task[None] | None = None

    @property
    def port(self) -> int | None:
        """The bound port, once started."""
        return self._site.port

    @property
    def profiling(self) -> bool:
        """Whether a requested profile is being taken now."""
        return self._busy

    # -- lifecycle -----------------------------------------------------------------------
    async def start(self, host: Host) -> None:
        """Create save_to_file, bind, serve; ComponentStartError when either fails."""
        if self._site.running:
            return
        self._stopping = asyncio.Event()
        for key in GO_ONLY:
            if getattr(self._cfg, key) > 0:
                self._log.warning("%s is a Go runtime setting with no effect in otelpy "
                                  "(it has no block or mutex profile)", key)
        if self._cfg.save_to_file:
            try:
                await asyncio.to_thread(Path(self._cfg.save_to_file).write_bytes, b"")
            except OSError as exc:
                raise ComponentStartError(f"save_to_file: cannot create "
                                          f"{self._cfg.save_to_file}: {exc}") from exc
        await self._site.start(self._app(), self._cfg.endpoint)
        if self._cfg.save_to_file:
            self._start_run_profile()
        self._log.info("serving CPU profiles on %s at /debug/pprof/%s", self._cfg.endpoint,
                       f"; profiling the whole run into {self._cfg.save_to_file}"
                       if self._cfg.save_to_file else "")

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/debug/pprof", self._to_index)
        app.router.add_get("/debug/pprof/", self._index)
        app.router.add_get("/debug/pprof/profile", self._profile)
        app.router.add_get("/debug/pprof/cmdline", self._cmdline)
        app.router.add_get("/debug/pprof/{name}", self._unknown)
        return app

    def _start_run_profile(self) -> None:
        from otelpy.extensions.pprof.profiler import WINDOW, RunProfile

        run = self._run = RunProfile(f"otelpy pid {os.getpid()}: the whole run "
                                     f"(save_to_file)")

        async def fold_every_window() -> None:
            while True:
                await asyncio.sleep(WINDOW)
                run.fold()

        self._fold_task = asyncio.get_running_loop().create_task(fold_every_window())

    async def shutdown(self) -> None:
        self._stopping.set()  # a profile being taken ends now (503)
        await self._site.stop()
        task, self._fold_task = self._fold_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        run, self._run = self._run, None
        if run is not None:
            await self._save(run.stop(), run.overflow_seconds)

    async def _save(self, doc: SessionDoc, overflow_seconds: float) -> None:
        from otelpy.extensions.pprof.profiler import format_for_file, render

        path = self._cfg.save_to_file
        fmt = format_for_file(path)
        try:
            body = await asyncio.to_thread(render, doc, fmt)
            await asyncio.to_thread(Path(path).write_bytes, body)
        except OSError as exc:
            self._log.error("save_to_file: cannot write the profile to %s: %s", path, exc)
            return
        self._log.info("wrote the whole-run profile (%d samples, %s) to %s",
                       doc["sample_count"], fmt, path)
        if overflow_seconds:
            self._log.warning("save_to_file: %.1fs of samples had stacks beyond the table "
                              "and are shown as one overflow frame", overflow_seconds)

    # -- answers -------------------------------------------------------------------------
    async def _to_index(self, request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently("/debug/pprof/")

    async def _index(self, request: web.Request) -> web.Response:
        return web.Response(text=_INDEX.format(pid=os.getpid(), default=DEFAULT_SECONDS,
                                               max=MAX_SECONDS),
                            content_type="text/html", charset="utf-8")

    async def _cmdline(self, request: web.Request) -> web.Response:
        return _text(200, "\x00".join(sys.argv))

    async def _unknown(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        return _text(404, f"unknown profile {name!r}: otelpy serves profile and "
                          "cmdline (see /debug/pprof/)")

    async def _profile(self, request: web.Request) -> web.Response:
        fmt = request.query.get("format", DEFAULT_FORMAT)
        try:
            seconds = parse_seconds(request.query.get("seconds", ""))
        except ValueError as exc:
            return _text(400, str(exc))
        if fmt not in self._formats:
            return _text(400, f"format must be one of {', '.join(self._formats)}, got {fmt!r}")
        if self._busy:
            return _text(409, "a profile is being taken; one at a time: retry when it ends")
        self._busy = True
        try:
            doc = await self._sample(seconds)
        finally:
            self._busy = False
        if doc is None:
            return _text(503, "otelpy is shutting down; the profile was abandoned")
        from otelpy.extensions.pprof.profiler import render

        body = await asyncio.to_thread(render, doc, fmt)
        suffix = self._formats[fmt].suffix
        return web.Response(body=body, headers={
            "Content-Type": self._formats[fmt].content_type,
            "Content-Disposition": f'attachment; filename="otelpy-profile{suffix}"',
            "X-Content-Type-Options": "nosniff"})

    async def _sample(self, seconds: int) -> SessionDoc | None:
        """Sample the loop thread for ``seconds``; None if shutdown began meanwhile."""
        from otelpy.extensions.pprof.profiler import WindowProfile

        window = WindowProfile(f"otelpy pid {os.getpid()}: {seconds}s requested at "
                               "/debug/pprof/profile")
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), seconds)
        finally:
            doc = window.stop()
        return None if self._stopping.is_set() else doc

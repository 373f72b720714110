"""The running service: load config, build and start the graph, own metrics, signals.

SIGTERM and SIGINT drain and stop. SIGHUP re-reads and validates the config and
swaps the pipelines only if the new config is valid; otherwise the old pipelines
keep running and the errors are logged.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Mapping, Sequence
from typing import Any

from otelpy import __version__
from otelpy import config as otelconfig
from otelpy.component import Component, ComponentID, Host, Kind
from otelpy.errors import ComponentStartError, ConfigError
from otelpy.graph import Graph
from otelpy.hostview import ServiceView
from otelpy.ownlogs import configure_logging
from otelpy.registry import Registry, default_registry
from otelpy.statusapi import ApiRoutes
from otelpy.telemetry import MetricsServer, Telemetry

log = logging.getLogger("otelpy.service")


class _ServiceHost:
    """Delegates to whichever graph is current, so adopted components stay valid."""

    def __init__(self, service: Service) -> None:
        self._service = service

    def extension(self, component_id: ComponentID) -> Component | None:
        graph = self._service.current_graph()
        return graph.extension(component_id) if graph is not None else None

    def pipeline_status(self) -> Mapping[str, str]:
        graph = self._service.current_graph()
        return graph.pipeline_status() if graph is not None else {}

    def service_view(self) -> ServiceView:
        return self._service.view()

    def api_routes(self) -> ApiRoutes:
        return self._service.api


class Service:
    """One otelpy process's pipelines, from config files (or the embedded default)."""

    def __init__(
        self,
        paths: Sequence[str] = (),
        sets: Sequence[str] = (),
        registry: Registry | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.paths = list(paths)
        self.sets = list(sets)
        self.registry = registry or default_registry()
        self.env = env
        self.telemetry = Telemetry()
        self.api = ApiRoutes()  # the status extension's /api routes, kept across reloads
        self.graph: Graph | None = None
        self._starting: Graph | None = None
        self.config: Any = None
        self._metrics: MetricsServer | None = None
        self._stop = asyncio.Event()
        self._reload_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self._reloads = self.telemetry.counter(
            "otelpy_config_reloads", "Config reloads by result", ["result"])
        self.started_at = time.time()  # replaced by the first successful start
        self.config_loaded_at = self.started_at
        self.reload_count = 0
        self._first_start = True

    def load(self) -> Any:
        """Load and validate the config; raises ConfigError with every problem."""
        loaded = otelconfig.load(self.paths, self.sets, env=self.env,
                                 default_yaml=None if self.paths else otelconfig.DEFAULT_CONFIG)
        return otelconfig.validate(loaded, self.registry)

    async def start(self, cfg: Any) -> None:
        """Start own metrics and the pipelines of ``cfg``; raises ComponentStartError/OSError.

        With pipelines already running (a reload), receivers and extensions whose config
        did not change keep running and are switched to the new pipelines; changed ones
        are stopped first (freeing their ports); the old pipelines then drain and stop.
        """
        for warning in cfg.warnings:
            log.warning("%s", warning)
        await self._start_metrics(cfg)
        old = self.graph
        graph = Graph(cfg, self.registry, self.telemetry, previous=old,
                      shutdown_timeout=cfg.shutdown_timeout + 5.0,
                      drain_timeout=cfg.shutdown_timeout)
        graph.build()
        if old is not None:
            await old.stop_receivers(keep=graph.adopted())
        self._starting = graph
        try:
            await graph.start(self.host)
        finally:
            self._starting = None
        self.graph, self.config = graph, cfg
        self.config_loaded_at = time.time()
        if self._first_start:
            self.started_at, self._first_start = self.config_loaded_at, False
        if old is not None:
            old.release(graph.adopted())
            await old.shutdown()
        log.info("everything is ready: %d pipelines running", len(cfg.pipelines))

    def current_graph(self) -> Graph | None:
        """The graph being started, else the running one."""
        return self._starting or self.graph

    def view(self) -> ServiceView:
        """What the host shows about this service (see otelpy.hostview)."""
        graph = self.current_graph()
        cfg = graph.config if graph is not None else self.config
        metrics = cfg.telemetry.metrics if cfg is not None else None
        return ServiceView(
            command="otelpy", version=__version__, started_at=self.started_at,
            config_loaded_at=self.config_loaded_at, reloads=self.reload_count,
            config_sources=tuple(self.paths), config_overrides=len(self.sets),
            configured={k.section: len(cfg.components(k)) for k in Kind} if cfg else {},
            pipelines=graph.pipeline_views() if graph is not None else (),
            extensions=graph.extension_views() if graph is not None else (),
            telemetry_address=metrics.address if metrics is not None and metrics.enabled
            else "")

    @property
    def host(self) -> Host:
        """The Host components see: stable across reloads, answering for the current graph."""
        return _ServiceHost(self)

    async def _start_metrics(self, cfg: Any) -> None:
        metrics = cfg.telemetry.metrics
        address = "" if metrics.level == "none" else metrics.address
        if self._metrics is not None and self._metrics.address == address:
            return
        if self._metrics is not None:
            await self._metrics.shutdown()
            self._metrics = None
        if address:
            server = MetricsServer(self.telemetry, address)
            await server.start()
            self._metrics = server

    async def shutdown(self) -> None:
        """Drain and stop the pipelines, then own metrics. Idempotent."""
        if self.graph is not None:
            graph, self.graph = self.graph, None
            await graph.shutdown()
        if self._metrics is not None:
            await self._metrics.shutdown()
            self._metrics = None
        for task in list(self._tasks):
            task.cancel()
        log.info("shutdown complete")

    async def reload(self) -> bool:
        """Re-read the config; swap pipelines only if it is valid. Returns True if swapped."""
        async with self._reload_lock:
            try:
                cfg = self.load()
            except ConfigError as exc:
                self._reloads.labels(result="invalid").inc()
                log.error("reload refused, keeping the running config:\n%s", exc)
                return False
            old_cfg = self.config
            try:
                await self.start(cfg)
            except (ComponentStartError, OSError) as exc:
                self._reloads.labels(result="failed").inc()
                log.error("reload failed to start (%s); restoring the previous config", exc)
                await self.start(old_cfg)
                return False
            self._reloads.labels(result="ok").inc()
            self.reload_count += 1
            log.info("config reloaded")
            return True

    def request_stop(self) -> None:
        self._stop.set()

    def _spawn_reload(self) -> None:
        task = asyncio.get_running_loop().create_task(self._reload_logged())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _reload_logged(self) -> None:
        try:
            await self.reload()
        except (ComponentStartError, OSError) as exc:
            log.critical("could not restore pipelines after a failed reload: %s", exc)
            self.request_stop()

    async def run(self) -> int:
        """Run until SIGTERM/SIGINT. Returns the process exit code."""
        try:
            cfg = self.load()
        except ConfigError as exc:
            log.error("invalid configuration:\n%s", exc)
            return 1
        try:
            configure_logging(cfg.telemetry.logs)
            await self.start(cfg)
        except (ComponentStartError, OSError) as exc:
            log.error("%s", exc)
            await self.shutdown()
            return 1
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, self.request_stop)
        loop.add_signal_handler(signal.SIGINT, self.request_stop)
        loop.add_signal_handler(signal.SIGHUP, self._spawn_reload)
        try:
            await self._stop.wait()
            log.info("stop requested: draining pipelines")
            async with self._reload_lock:
                await self.shutdown()
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                loop.remove_signal_handler(sig)
        return 0

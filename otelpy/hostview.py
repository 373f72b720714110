"""What a host can show about the running service: build, config sources, pipelines, extensions.

An optional host capability (like the Collector's host capabilities): a component that
wants it checks ``isinstance(host, DescribesService)`` and copes without it. The view
is a snapshot taken when asked; after a reload it describes the new pipelines. The
``zpages`` extension renders it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class PipelineView:
    """One running pipeline as built: IDs in config order, connectors marked."""

    id: str
    signal: str
    mutates_data: bool  # whether a processor in it (or a connector target) changes data
    receivers: tuple[str, ...]  # "otlp", "forward (connector)"
    processors: tuple[str, ...]
    exporters: tuple[str, ...]
    status: str  # as pipeline_status() reports it: ok, starting, stopped, error: ...


@dataclass(frozen=True)
class ExtensionView:
    """One extension listed in ``service::extensions``."""

    id: str
    running: bool


@dataclass(frozen=True)
class ServiceView:
    """The service at one moment."""

    command: str  # "otelpy"
    version: str
    started_at: float  # wall time (epoch seconds) the service first started its pipelines
    config_loaded_at: float  # wall time the running config was (re)loaded
    reloads: int  # successful reloads since start
    config_sources: tuple[str, ...]  # config files in merge order; empty = embedded default
    config_overrides: int  # number of --set overrides
    configured: Mapping[str, int]  # components defined per section ("receivers": 2, ...)
    pipelines: tuple[PipelineView, ...] = ()
    extensions: tuple[ExtensionView, ...] = ()
    telemetry_address: str = ""  # own metrics endpoint; empty = disabled


@runtime_checkable
class DescribesService(Protocol):
    """A host that can describe the service it runs (optional capability)."""

    def service_view(self) -> ServiceView:
        """A snapshot of the service; never raises."""
        ...


__all__ = ["DescribesService", "ExtensionView", "PipelineView", "ServiceView"]

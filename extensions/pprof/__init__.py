"""The ``pprof`` extension: CPU profiles of the running otelpy over HTTP (pyinstrument)."""

from __future__ import annotations

from otelpy.component import Factory, Kind, Settings, Stability
from otelpy.extensions.pprof.config import PprofConfig
from otelpy.extensions.pprof.extension import PprofExtension


def _create(settings: Settings, cfg: PprofConfig) -> PprofExtension:
    return PprofExtension(settings, cfg)


factory = Factory(
    type="pprof",
    kind=Kind.EXTENSION,
    config_type=PprofConfig,
    create=_create,
    stability={"extension": Stability.ALPHA},
    description="CPU profile of the event loop for N seconds at /debug/pprof/profile "
                "(pyinstrument), and of the whole run with save_to_file",
)

__all__ = ["factory", "PprofConfig", "PprofExtension"]

"""The ``memory_ballast`` extension: accepted as a no-op, with a deprecation warning.

The Collector deprecated it in v0.88 (GOMEMLIMIT replaced it) and removed it in v0.109;
many published configs still list it. A Python process has no use for a ballast.
"""

from __future__ import annotations

from otelpy.component import ComponentBase, Factory, Kind, Settings, Stability
from otelpy.extensions.memory_ballast.config import MemoryBallastConfig


class MemoryBallastExtension(ComponentBase):
    """Does nothing: start and shutdown return at once."""


def _create(settings: Settings, cfg: MemoryBallastConfig) -> MemoryBallastExtension:
    return MemoryBallastExtension()


factory = Factory(
    type="memory_ballast",
    kind=Kind.EXTENSION,
    config_type=MemoryBallastConfig,
    create=_create,
    stability={"extension": Stability.DEVELOPMENT},
    description="Removed from the Collector; accepted as a no-op for old configs",
    deprecated='the "memory_ballast" extension was removed from the Collector (v0.109); '
               "otelpy accepts it and does nothing: remove it (limit memory with the "
               "memory_limiter processor)",
)

__all__ = ["factory", "MemoryBallastConfig", "MemoryBallastExtension"]

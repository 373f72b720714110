"""Component factories: the built-in list plus third-party ones from entry points.

Third-party packages register in the entry point group ``otelpy.components``; each
entry point names a :class:`~otelpy.component.Factory` object (or a zero-argument
callable returning one, or a list of them). Nothing registers itself at import time.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable, Iterator
from importlib.metadata import entry_points

from otelpy.component import Factory, Kind

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "otelpy.components"

# module paths of the built-in components; each exports `factory`
BUILTIN = (
    "otelpy.receivers.otlp",
    "otelpy.processors.batch",
    "otelpy.processors.memory_limiter",
    "otelpy.processors.transform",
    "otelpy.processors.filter",
    "otelpy.processors.attributes",
    "otelpy.processors.resource",
    "otelpy.exporters.otlp",
    "otelpy.exporters.otlphttp",
    "otelpy.exporters.debug",
    "otelpy.exporters.file",
    "otelpy.exporters.prometheus",
    "otelpy.connectors.forward",
    "otelpy.extensions.health_check",
    "otelpy.extensions.file_storage",
    "otelpy.extensions.bearertokenauth",
    "otelpy.extensions.basicauth",
    "otelpy.extensions.headers_setter",
    "otelpy.extensions.zpages",
    "otelpy.extensions.pprof",
)


class Registry:
    """Maps (kind, type) to a factory."""

    def __init__(self, factories: Iterable[Factory] = ()) -> None:
        self._by_key: dict[tuple[Kind, str], Factory] = {}
        for f in factories:
            self.add(f)

    def add(self, factory: Factory) -> None:
        key = (factory.kind, factory.type)
        if key in self._by_key and self._by_key[key] is not factory:
            raise ValueError(f"duplicate {factory.kind} type {factory.type!r}")
        self._by_key[key] = factory

    def get(self, kind: Kind, type_: str) -> Factory | None:
        return self._by_key.get((kind, type_))

    def of_kind(self, kind: Kind) -> list[Factory]:
        return sorted((f for (k, _), f in self._by_key.items() if k is kind),
                      key=lambda f: f.type)

    def __iter__(self) -> Iterator[Factory]:
        return iter(sorted(self._by_key.values(), key=lambda f: (f.kind, f.type)))


def _as_factories(obj: object) -> list[Factory]:
    if isinstance(obj, Factory):
        return [obj]
    if isinstance(obj, (list, tuple)):
        return [f for o in obj for f in _as_factories(o)]
    if callable(obj):
        return _as_factories(obj())
    raise TypeError(f"not a Factory: {obj!r}")


def load_registry(include_plugins: bool = True) -> Registry:
    """The built-in factories, plus entry-point plugins unless ``include_plugins`` is False.

    A plugin that fails to load is logged and skipped; it never stops the built-ins.
    """
    reg = Registry()
    for mod in BUILTIN:
        reg.add(importlib.import_module(mod).factory)
    if include_plugins:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            try:
                for f in _as_factories(ep.load()):
                    reg.add(f)
            except (ImportError, AttributeError, TypeError, ValueError) as exc:
                log.error("plugin %s (%s) failed to load: %s", ep.name, ep.value, exc)
    return reg


_default: Registry | None = None


def default_registry() -> Registry:
    """The process-wide registry, loaded once."""
    global _default
    if _default is None:
        _default = load_registry()
    return _default

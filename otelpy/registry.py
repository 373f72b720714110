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
from typing import Any

from pydantic import BaseModel

from otelpy.component import Factory, Kind, TypeAlias

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "otelpy.components"

# module paths of the built-in components; each exports `factory`
BUILTIN = (
    "otelpy.receivers.otlp",
    "otelpy.receivers.hostmetrics",
    "otelpy.receivers.prometheus",
    "otelpy.receivers.jaeger",
    "otelpy.receivers.zipkin",
    "otelpy.receivers.filelog",
    "otelpy.receivers.healthcheck",
    "otelpy.receivers.httpcheck",
    "otelpy.receivers.redis",
    "otelpy.receivers.nginx",
    "otelpy.receivers.postgresql",
    "otelpy.receivers.syslog",
    "otelpy.receivers.fluentforward",
    "otelpy.receivers.k8sobjects",
    "otelpy.receivers.k8s_events",
    "otelpy.receivers.k8s_cluster",
    "otelpy.processors.batch",
    "otelpy.processors.memory_limiter",
    "otelpy.processors.transform",
    "otelpy.processors.filter",
    "otelpy.processors.probabilistic_sampler",
    "otelpy.processors.tail_sampling",
    "otelpy.processors.attributes",
    "otelpy.processors.resource",
    "otelpy.processors.groupbyattrs",
    "otelpy.processors.metricstransform",
    "otelpy.processors.resourcedetection",
    "otelpy.processors.anomaly",
    "otelpy.processors.deltatocumulative",
    "otelpy.processors.cumulativetodelta",
    "otelpy.processors.logpattern",
    "otelpy.processors.logspike",
    "otelpy.processors.k8sattributes",
    "otelpy.exporters.otlp",
    "otelpy.exporters.otlphttp",
    "otelpy.exporters.debug",
    "otelpy.exporters.file",
    "otelpy.exporters.prometheus",
    "otelpy.exporters.influxdb",
    "otelpy.exporters.notify",
    "otelpy.exporters.datadog",
    "otelpy.exporters.prometheusremotewrite",
    "otelpy.exporters.pushgateway",
    "otelpy.exporters.zipkin",
    "otelpy.exporters.jaeger_thrift",
    "otelpy.exporters.loki",
    "otelpy.connectors.forward",
    "otelpy.connectors.routing",
    "otelpy.connectors.logpattern",
    "otelpy.connectors.anomaly",
    "otelpy.exporters.spananalytics",
    "otelpy.exporters.loginsights",
    "otelpy.connectors.spanmetrics",
    "otelpy.connectors.servicegraph",
    "otelpy.connectors.alerting",
    "otelpy.extensions.health_check",
    "otelpy.extensions.file_storage",
    "otelpy.extensions.bearertokenauth",
    "otelpy.extensions.basicauth",
    "otelpy.extensions.headers_setter",
    "otelpy.extensions.zpages",
    "otelpy.extensions.status",
    "otelpy.extensions.pprof",
    "otelpy.extensions.memory_ballast",
)


class Registry:
    """Maps (kind, type) to a factory; a type alias (``otlp`` for ``otlp_grpc``) maps to
    the factory of its canonical type."""

    def __init__(self, factories: Iterable[Factory] = ()) -> None:
        self._by_key: dict[tuple[Kind, str], Factory] = {}
        self._aliases: dict[tuple[Kind, str], tuple[Factory, TypeAlias]] = {}
        self.derived: dict[str, Any] = {}  # what is computed from the factories (the
        # document schema ...), cached by its users; emptied whenever a factory is added
        for f in factories:
            self.add(f)

    def add(self, factory: Factory) -> None:
        """Register ``factory`` and its aliases; ValueError when a name is already taken."""
        names = [factory.type, *(a.name for a in factory.aliases)]
        for name in names:
            key = (factory.kind, name)
            owner = self._by_key.get(key) or self._aliases.get(key, (None, None))[0]
            if owner is not None and owner is not factory:
                raise ValueError(f"duplicate {factory.kind} type {name!r}")
        self._by_key[(factory.kind, factory.type)] = factory
        for alias in factory.aliases:
            self._aliases[(factory.kind, alias.name)] = (factory, alias)
        self.derived.clear()

    def get(self, kind: Kind, type_: str) -> Factory | None:
        """The factory of ``type_`` (a canonical type name or an alias), or None."""
        found = self._by_key.get((kind, type_))
        if found is None and (kind, type_) in self._aliases:
            found = self._aliases[(kind, type_)][0]
        return found

    def alias(self, kind: Kind, type_: str) -> TypeAlias | None:
        """The alias named ``type_``, or None when it is a canonical name (or unknown)."""
        entry = self._aliases.get((kind, type_))
        return entry[1] if entry is not None else None

    def config_type(self, kind: Kind, type_: str) -> type[BaseModel] | None:
        """The config model for IDs of ``type_``: the alias's own one, else the factory's."""
        factory = self.get(kind, type_)
        if factory is None:
            return None
        alias = self.alias(kind, type_)
        return alias.config_type if alias and alias.config_type else factory.config_type

    def type_names(self, kind: Kind) -> list[str]:
        """Every name a component of ``kind`` may have in a config: types and aliases."""
        return sorted([t for k, t in self._by_key if k is kind]
                      + [t for k, t in self._aliases if k is kind])

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

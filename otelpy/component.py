"""Component identity, kinds, signals, factories and the lifecycle protocol.

A component type has exactly one :class:`Factory`. The engine creates components
from factories, starts them in reverse topological order (exporters first) and
shuts them down in topological order. ``start`` returns quickly; ``shutdown`` is
idempotent and safe to call without ``start``.
"""

from __future__ import annotations

import builtins
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from pydantic import BaseModel

from otelpy.clock import SYSTEM_CLOCK, Clock

if TYPE_CHECKING:
    from otelpy.telemetry import Telemetry


class Kind(StrEnum):
    RECEIVER = "receiver"
    PROCESSOR = "processor"
    EXPORTER = "exporter"
    CONNECTOR = "connector"
    EXTENSION = "extension"

    @property
    def section(self) -> str:
        """The top-level config section holding components of this kind."""
        return self.value + "s"


class Signal(StrEnum):
    TRACES = "traces"
    METRICS = "metrics"
    LOGS = "logs"


class Stability(StrEnum):
    DEVELOPMENT = "development"
    ALPHA = "alpha"
    BETA = "beta"
    STABLE = "stable"


_ID_RE = re.compile(r"^(?P<type>[a-zA-Z][0-9a-zA-Z_]*)(?:/(?P<name>[^\s/]+.*))?$")


@dataclass(frozen=True, order=True)
class ComponentID:
    """``type`` or ``type/name``, as written in the config."""

    type: str
    name: str = ""

    @classmethod
    def parse(cls, text: str) -> ComponentID:
        """Parse ``type[/name]``; raises ValueError on a malformed ID."""
        m = _ID_RE.match(text.strip())
        if not m:
            raise ValueError(f"invalid component ID {text!r}: expected 'type' or 'type/name'")
        return cls(m["type"], m["name"] or "")

    def __str__(self) -> str:
        return f"{self.type}/{self.name}" if self.name else self.type


@dataclass(frozen=True, order=True)
class PipelineID:
    """``traces``, ``metrics/name``, ... as written under ``service.pipelines``."""

    signal: Signal
    name: str = ""

    @classmethod
    def parse(cls, text: str) -> PipelineID:
        """Parse ``signal[/name]``; raises ValueError on an unknown signal."""
        sig, _, name = text.partition("/")
        try:
            return cls(Signal(sig), name)
        except ValueError:
            raise ValueError(
                f"invalid pipeline ID {text!r}: must start with traces, metrics or logs"
            ) from None

    def __str__(self) -> str:
        return f"{self.signal}/{self.name}" if self.name else str(self.signal)


@runtime_checkable
class Component(Protocol):
    """The lifecycle every component implements."""

    async def start(self, host: Host) -> None: ...

    async def shutdown(self) -> None: ...


class Host(Protocol):
    """What a running component may ask of the engine."""

    def extension(self, component_id: ComponentID) -> Component | None:
        """The started extension with this ID, or None."""
        ...

    def pipeline_status(self) -> Mapping[str, str]:
        """Status per pipeline ID (``ok``, ``starting``, ``error: ...``)."""
        ...


@dataclass(frozen=True)
class Settings:
    """What the engine hands a component when creating it."""

    id: ComponentID
    kind: Kind
    logger: logging.Logger
    telemetry: Telemetry
    clock: Clock = SYSTEM_CLOCK
    """Time and sleeping; tests pass :class:`otelpy.testing.clock.FakeClock`."""


class ComponentBase:
    """Convenience base with no-op, idempotent lifecycle methods."""

    async def start(self, host: Host) -> None:
        return None

    async def shutdown(self) -> None:
        return None


@dataclass(frozen=True)
class TypeAlias:
    """Another name a component type answers to in configs (``otlp`` for ``otlp_grpc``).

    ``deprecated``, when set, is the warning shown for every component ID using the alias.
    ``config_type``, when set, replaces the factory's config model for IDs using the alias
    (a subclass accepting the old component's extra keys); ``create`` gets an instance of it.
    """

    name: str
    deprecated: str = ""
    config_type: builtins.type[BaseModel] | None = None


@dataclass(frozen=True)
class Factory:
    """Everything the engine knows about one component type.

    ``create`` signatures by kind (``cfg`` is an instance of ``config_type``):

    * receiver:  ``create(settings, cfg, consumers: Mapping[Signal, Consumer]) -> Component``
      (one instance per receiver ID, serving every signal it is used with)
    * processor: ``create(settings, cfg, signal, next: Consumer) -> Component & Consumer``
      (one instance per pipeline it appears in)
    * exporter:  ``create(settings, cfg, signals: frozenset[Signal]) -> Component & Consumer``
      (one instance per exporter ID)
    * connector: ``create(settings, cfg, source: Signal, target: Signal, next: Consumer)
      -> Component & Consumer`` (one instance per ID and signal pair)
    * extension: ``create(settings, cfg) -> Component``

    ``stability`` maps each supported signal to its stability; for connectors the keys
    are ``"traces->metrics"`` style pairs, and for extensions the single key ``"extension"``.
    """

    type: str
    kind: Kind
    config_type: builtins.type[BaseModel]  # `type` is the field above, inside this class
    create: Callable[..., Any]
    stability: Mapping[str, Stability] = field(default_factory=dict)
    description: str = ""
    aliases: tuple[TypeAlias, ...] = ()
    deprecated: str = ""  # non-empty: a warning shown for every component ID of this type
    # connectors that route by pipeline (routing): the pipeline IDs its raw config names,
    # as (path inside the component's config, pipeline ID) pairs. Validation checks each
    # names a pipeline that lists the connector as a receiver; ``create`` then gets a
    # :class:`~otelpy.consumer.PipelineRouter` as its next consumer.
    pipeline_refs: Callable[[Any], list[tuple[tuple[str | int, ...], str]]] | None = None

    def signals(self) -> frozenset[Signal]:
        """Signals supported (for connectors: as either source or target)."""
        out: set[Signal] = set()
        for key in self.stability:
            for part in key.split("->"):
                if part in Signal.__members__.values():
                    out.add(Signal(part))
        return frozenset(out)

    def supports(self, signal: Signal) -> bool:
        return signal.value in self.stability

    def supports_pair(self, source: Signal, target: Signal) -> bool:
        return f"{source}->{target}" in self.stability

    def default_config(self) -> BaseModel:
        return self.config_type()

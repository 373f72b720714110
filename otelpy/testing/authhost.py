"""A fake host holding real, started extensions built from config documents.

For tests of components that resolve an authenticator (``auth: {authenticator: id}``)
on their host: :func:`extension_host` creates each extension through its registered
factory (config validated as the engine does), starts it, and returns a
:class:`~otelpy.testing.sink.FakeHost` serving them; :func:`stop_extensions` shuts
them down.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from otelpy.component import Component, ComponentID, Kind, Settings
from otelpy.registry import default_registry
from otelpy.telemetry import Telemetry
from otelpy.testing.sink import FakeHost

__all__ = ["create_component", "extension_host", "stop_extensions"]


def create_component(kind: Kind, component_id: str, doc: Mapping[str, Any] | None,
                     telemetry: Telemetry, *args: Any) -> Any:
    """A component of a registered type, its config validated like the engine's
    (model, then ``validate_config``; AssertionError listing the problems)."""
    cid = ComponentID.parse(component_id)
    factory = default_registry().get(kind, cid.type)
    assert factory is not None, f"no {kind} type {cid.type!r}"
    cfg = factory.config_type.model_validate(dict(doc or {}))
    problems = cfg.validate_config()  # type: ignore[attr-defined]
    assert problems == [], problems
    settings = Settings(cid, kind, logging.getLogger(f"otelpy.test.{cid}"), telemetry)
    return factory.create(settings, cfg, *args)


async def extension_host(docs: Mapping[str, Mapping[str, Any] | None],
                         telemetry: Telemetry | None = None) -> FakeHost:
    """Create and start one extension per ``{id: config}``; a host serving them."""
    tel = telemetry or Telemetry()
    host = FakeHost({"traces": "ok"})
    for ext_id, doc in docs.items():
        ext: Component = create_component(Kind.EXTENSION, ext_id, doc, tel)
        await ext.start(host)
        host.extensions[ComponentID.parse(ext_id)] = ext
    return host


async def stop_extensions(host: FakeHost) -> None:
    """Shut down every extension of ``host`` (idempotent)."""
    for ext in host.extensions.values():
        await ext.shutdown()

"""The ``headers_setter`` extension: sets headers on every request an exporter sends."""

from __future__ import annotations

from otelpy.component import Factory, Kind, Settings, Stability
from otelpy.extensions.headers_setter.config import HeadersSetterConfig
from otelpy.extensions.headers_setter.extension import HeadersSetter


def _create(settings: Settings, cfg: HeadersSetterConfig) -> HeadersSetter:
    return HeadersSetter(cfg)


factory = Factory(
    type="headers_setter",
    kind=Kind.EXTENSION,
    config_type=HeadersSetterConfig,
    create=_create,
    stability={"extension": Stability.ALPHA},
    description="Sets (inserts, updates, deletes) headers on every request an exporter sends",
)

__all__ = ["factory", "HeadersSetterConfig", "HeadersSetter"]

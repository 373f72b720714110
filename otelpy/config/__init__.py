"""Loading, expanding, merging, checking and printing otelpy configs.

``load`` reads YAML sources into a :class:`LoadedConfig` that remembers the
file:line:column of every value; ``validate`` checks it against the registered
components and returns a typed :class:`ValidatedConfig`; ``document_schema`` is the
JSON Schema of a whole document; ``redact`` hides secrets for printing.
"""

from __future__ import annotations

from importlib.resources import files

from otelpy.config.load import LoadedConfig, load
from otelpy.config.redact import redact
from otelpy.config.schema import document_schema
from otelpy.config.service import PipelineConfig, TelemetryConfig
from otelpy.config.validate import ValidatedConfig, validate

DEFAULT_CONFIG: str = files(__name__).joinpath("default.yaml").read_text(encoding="utf-8")

__all__ = [
    "DEFAULT_CONFIG",
    "LoadedConfig",
    "PipelineConfig",
    "TelemetryConfig",
    "ValidatedConfig",
    "document_schema",
    "load",
    "redact",
    "validate",
]

"""The ``service`` section: pipelines, enabled extensions and otelpy's own telemetry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from otelpy.component import ComponentID
from otelpy.config.telemetry import (
    LogsTelemetryConfig,
    MetricsTelemetryConfig,
    TelemetryConfig,
)
from otelpy.config.types import DURATION_PATTERN

__all__ = ["LogsTelemetryConfig", "MetricsTelemetryConfig", "PipelineConfig", "TelemetryConfig",
           "service_schema"]

PIPELINE_KEY_PATTERN = r"^(traces|metrics|logs)(/.+)?$"


@dataclass(frozen=True)
class PipelineConfig:
    """One ``service::pipelines`` entry, IDs in the order written."""

    receivers: tuple[ComponentID, ...]
    processors: tuple[ComponentID, ...]
    exporters: tuple[ComponentID, ...]


def _id_list(description: str) -> dict[str, Any]:
    return {
        "type": "array",
        "items": {"type": "string", "description": "component ID: type or type/name"},
        "description": description,
    }


def service_schema(telemetry_ref: str) -> dict[str, Any]:
    """JSON Schema of ``service``; ``telemetry_ref`` points at TelemetryConfig's schema."""
    pipeline = {
        "type": "object",
        "description": "a pipeline: receivers -> processors (in order) -> exporters",
        "additionalProperties": False,
        "properties": {
            "receivers": _id_list("receivers or connectors feeding this pipeline"),
            "processors": _id_list("processors, applied in this order"),
            "exporters": _id_list("exporters or connectors this pipeline sends to"),
        },
    }
    return {
        "type": "object",
        "description": "which components run, wired into pipelines",
        "additionalProperties": False,
        "properties": {
            "extensions": _id_list("extensions to start"),
            "pipelines": {
                "type": ["object", "null"],
                "description": "pipelines by ID: traces, metrics or logs, optionally /name",
                "patternProperties": {PIPELINE_KEY_PATTERN: pipeline},
                "additionalProperties": False,
            },
            "telemetry": {"anyOf": [{"$ref": telemetry_ref}, {"type": "null"}]},
            "shutdown_timeout": {
                "anyOf": [{"type": "string", "pattern": DURATION_PATTERN},
                          {"type": "number", "minimum": 0}],
                "default": "5s",
                "description": "otelpy: how long each exporter's sending queue may drain on "
                               "shutdown (SIGTERM) or reload; what is left after that is "
                               "counted as dropped (or stays on disk with a persistent queue)",
            },
        },
    }

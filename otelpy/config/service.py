"""The ``service`` section: pipelines, enabled extensions and otelpy's own telemetry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from otelpy.component import ComponentID
from otelpy.config.types import DURATION_PATTERN, ConfigModel

PIPELINE_KEY_PATTERN = r"^(traces|metrics|logs)(/.+)?$"


class MetricsTelemetryConfig(ConfigModel):
    """Where and how much otelpy reports about itself (Prometheus format)."""

    address: str = Field(
        default="127.0.0.1:8888",
        description="host:port serving otelpy's own metrics in Prometheus format; "
        'empty ("") disables the endpoint',
    )
    level: Literal["none", "basic", "normal", "detailed"] = Field(
        default="normal",
        description="how many of otelpy's own metrics to record; none disables them",
    )

    @property
    def enabled(self) -> bool:
        """False when the level is ``none`` or the address is empty."""
        return self.level != "none" and self.address != ""


class LogsTelemetryConfig(ConfigModel):
    """otelpy's own log output."""

    level: Literal["debug", "info", "warn", "error"] = Field(
        default="info", description="the lowest level logged"
    )
    encoding: Literal["console", "json"] = Field(
        default="console",
        description="console: human-readable lines; json: one JSON object per line",
    )


class TelemetryConfig(ConfigModel):
    """``service::telemetry``: otelpy's own metrics and logs."""

    metrics: MetricsTelemetryConfig = Field(
        default_factory=MetricsTelemetryConfig, description="otelpy's own metrics"
    )
    logs: LogsTelemetryConfig = Field(
        default_factory=LogsTelemetryConfig, description="otelpy's own logs"
    )
    resource: dict[str, str | None] = Field(
        default_factory=dict,
        description="resource attributes describing this otelpy instance in its own telemetry",
    )


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

"""``service::telemetry``: otelpy's own metrics, logs and traces, in the Collector's keys.

The Collector's current form (declarative-config ``readers`` and ``processors``) and its
older one (``metrics::address``) are both read. Every key the Collector has is either
honoured or refused with a "not supported by otelpy" error; keys accepted without effect
are listed in :meth:`TelemetryConfig.config_warnings` (warnings) or documented as such.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, WithJsonSchema, model_validator

from otelpy.config.lists import StringList
from otelpy.config.types import ConfigModel, Duration

_NOT_SUPPORTED = "not supported by otelpy: "
_LOG_LEVELS = ("debug", "info", "warn", "error", "dpanic", "panic", "fatal")
_METRIC_LEVELS = ("none", "basic", "normal", "detailed")


def _level(names: tuple[str, ...], what: str) -> Any:
    """A level field read in any case (zap and configtelemetry lower-case it first), kept
    in lower case in the model; the schema accepts every casing."""
    def lower(value: Any) -> Any:
        return value.lower() if isinstance(value, str) and value.lower() in names else value

    any_case = "|".join("".join(f"[{c}{c.upper()}]" if c.isalpha() else c for c in n)
                        for n in names)
    return Annotated[
        Literal[names],
        BeforeValidator(lower),
        WithJsonSchema({"type": "string", "pattern": f"^({any_case})$",
                        "description": f"{what}: {', '.join(names)} (any case)"}),
    ]


LogLevel = _level(_LOG_LEVELS, "lowest level logged (zap's names, lower or upper case)")
MetricsLevel = _level(_METRIC_LEVELS, "how many of otelpy's own metrics to record")


class PrometheusPullExporter(ConfigModel):
    """``readers[].pull.exporter.prometheus``: where otelpy serves its own metrics."""

    host: str = Field("localhost", description="Interface to listen on (0.0.0.0: all).")
    port: int = Field(9464, ge=0, le=65535, description="Port to listen on.")
    without_units: bool = Field(True, description="Accepted; otelpy's metric names carry no "
                                "unit suffix (the Collector's default form).")
    without_type_suffix: bool = Field(True, description="Accepted; otelpy's names are the "
                                      "Collector's default form (counters keep _total).")
    without_scope_info: bool = Field(True, description="Accepted; otelpy exposes no scope "
                                     "info labels.")
    with_resource_constant_labels: dict[str, Any] | None = Field(
        None, description="Accepted, no effect: otelpy adds no resource labels to its "
        "own metrics.")


class PullExporter(ConfigModel):
    """``readers[].pull.exporter``: only ``prometheus`` exists for pull readers."""

    prometheus: PrometheusPullExporter = Field(description="Serve otelpy's own metrics in "
                                               "Prometheus text format at /metrics.")


class PullReader(ConfigModel):
    """``readers[].pull``: a scrape endpoint."""

    exporter: PullExporter = Field(description="The pull exporter.")
    producers: list[dict[str, Any]] | None = Field(None, description="Accepted, no effect "
                                                   "(otelpy has no other metric producers).")
    cardinality_limits: dict[str, Any] | None = Field(None, description="Accepted, no "
                                                      "effect (otelpy's series are bounded).")


class PeriodicReader(ConfigModel):
    """``readers[].periodic``: pushing otelpy's own metrics; refused (see the message)."""

    interval: int = Field(60000, ge=0, description="Export interval in milliseconds.")
    timeout: int = Field(30000, ge=0, description="Export timeout in milliseconds.")
    exporter: dict[str, Any] = Field(description="otlp, console, ... (not supported).")
    producers: list[dict[str, Any]] | None = Field(None, description="Metric producers.")
    cardinality_limits: dict[str, Any] | None = Field(None, description="Cardinality limits.")

    @model_validator(mode="after")
    def _refuse(self) -> PeriodicReader:
        raise ValueError(_NOT_SUPPORTED + "otelpy serves its own metrics for scraping only "
                         "(a pull reader with a prometheus exporter, or metrics::address); "
                         "pushing them with a periodic reader is not implemented")


class MetricReader(ConfigModel):
    """One ``metrics::readers`` entry: ``pull`` or ``periodic``."""

    pull: PullReader | None = Field(None, description="A scrape endpoint (Prometheus).")
    periodic: PeriodicReader | None = Field(None, description="A push exporter (refused).")

    @model_validator(mode="after")
    def _one(self) -> MetricReader:
        if (self.pull is None) == (self.periodic is None):
            raise ValueError("a reader has exactly one of pull or periodic")
        return self


class MetricsTelemetryConfig(ConfigModel):
    """Where and how much otelpy reports about itself (Prometheus format)."""

    address: str = Field(
        default="127.0.0.1:8888",
        description="host:port serving otelpy's own metrics in Prometheus format; "
        'empty ("") disables the endpoint. The Collector\'s older form: a pull reader in '
        "`readers` replaces it.")
    level: MetricsLevel = Field(  # type: ignore[valid-type]
        default="normal",
        description="how many of otelpy's own metrics to record; none disables them")
    readers: list[MetricReader] | None = Field(
        None, description="The Collector's current form: one `pull` reader with a "
        "`prometheus` exporter sets host:port of the metrics endpoint (as `address`); "
        "`periodic` readers are refused (not supported).")
    views: list[dict[str, Any]] | None = Field(
        None, description="Metric views; refused (not supported by otelpy).")

    @model_validator(mode="after")
    def _endpoint(self) -> MetricsTelemetryConfig:
        if self.views:
            raise ValueError("views: " + _NOT_SUPPORTED + "otelpy's own metrics have fixed "
                             "names and attributes; remove views")
        pulls = [r.pull for r in self.readers or () if r.pull is not None]
        if len(pulls) > 1:
            raise ValueError("readers: " + _NOT_SUPPORTED + "more than one pull reader; "
                             "otelpy serves its own metrics on one endpoint")
        if pulls and "address" in self.model_fields_set:
            raise ValueError("readers: set either address or a pull reader, not both")
        if pulls:
            prom = pulls[0].exporter.prometheus
            object.__setattr__(self, "address", f"{prom.host}:{prom.port}")
        elif self.readers is not None:  # readers: [] -- no endpoint
            object.__setattr__(self, "address", "")
        return self

    @property
    def enabled(self) -> bool:
        """False when the level is ``none`` or the address is empty."""
        return self.level != "none" and self.address != ""


class LogsSamplingConfig(ConfigModel):
    """``logs::sampling``: zap's sampler, per level and message, per tick."""

    enabled: bool = Field(True, description="Sample otelpy's own log lines.")
    tick: Duration = Field(10.0, description="Sampling window.")
    initial: int = Field(10, ge=0, description="Lines with the same level and message "
                         "written in full each tick.")
    thereafter: int = Field(100, ge=0, description="After `initial`, every Nth such line "
                            "is written; 0 drops the rest of the tick.")


class LogsTelemetryConfig(ConfigModel):
    """otelpy's own log output."""

    level: LogLevel = Field(  # type: ignore[valid-type]
        default="info", description="the lowest level logged: debug, info, warn, error "
        "(dpanic, panic, fatal: only critical lines); upper case accepted")
    encoding: Literal["console", "json"] = Field(
        default="console",
        description="console: human-readable lines; json: one JSON object per line")
    development: bool = Field(False, description="Accepted, no effect (zap's development "
                              "mode has no Python counterpart).")
    disable_caller: bool = Field(False, description="Accepted, no effect: otelpy's lines name "
                                 "the logger, never the calling source line.")
    disable_stacktrace: bool = Field(False, description="Leave tracebacks out of error "
                                     "lines.")
    sampling: LogsSamplingConfig | None = Field(
        None, description="Sample repeated lines (the Collector samples by default; otelpy "
        "only when this is set, its noisy warnings are rate-limited at the source).")
    output_paths: StringList = Field(
        default_factory=lambda: ["stderr"], description="Where log lines go: stderr, "
        "stdout, file paths or file:// URLs (appended to), each receiving every line.")
    error_output_paths: StringList = Field(
        default_factory=lambda: ["stderr"], description="Accepted, no effect: errors of the "
        "logging machinery itself always go to stderr.")
    initial_fields: dict[str, Any] = Field(
        default_factory=dict, description="Fields added to every line (key=value in console "
        "encoding, keys of the object in json).")
    processors: list[dict[str, Any]] | None = Field(
        None, description="Log record processors (OTLP export of otelpy's own logs): "
        "refused, not supported.")
    disable_zap_resource: bool = Field(False, description="Accepted, no effect.")

    @model_validator(mode="after")
    def _processors(self) -> LogsTelemetryConfig:
        if self.processors:
            raise ValueError("processors: " + _NOT_SUPPORTED + "otelpy writes its own logs to "
                             "output_paths only; exporting them (OTLP) is not implemented")
        return self


class TracesTelemetryConfig(ConfigModel):
    """``traces``: otelpy records no spans of its own; the keys are accepted for that."""

    level: MetricsLevel = Field(  # type: ignore[valid-type]
        default="basic", description="Accepted; otelpy emits no spans of its own at any level.")
    propagators: StringList = Field(default_factory=list, description="Accepted, no effect "
                                    "(no own spans to propagate).")
    processors: list[dict[str, Any]] | None = Field(
        None, description="Span processors; accepted with a warning: there are no own "
        "spans to export.")
    sampler: dict[str, Any] | None = Field(None, description="Accepted, no effect.")
    limits: dict[str, Any] | None = Field(None, description="Accepted, no effect.")


class TelemetryConfig(ConfigModel):
    """``service::telemetry``: otelpy's own metrics and logs."""

    metrics: MetricsTelemetryConfig = Field(
        default_factory=MetricsTelemetryConfig, description="otelpy's own metrics")
    logs: LogsTelemetryConfig = Field(
        default_factory=LogsTelemetryConfig, description="otelpy's own logs")
    traces: TracesTelemetryConfig = Field(
        default_factory=TracesTelemetryConfig, description="otelpy's own spans (it has none)")
    resource: dict[str, Any] = Field(
        default_factory=dict,
        description="resource attributes describing this otelpy instance in its own "
        "telemetry (the legacy map, or the declarative form's `attributes` list)")

    @model_validator(mode="after")
    def _resource(self) -> TelemetryConfig:
        declarative = {"attributes", "schema_url", "detection/development"}
        if "attributes_list" in self.resource:
            raise ValueError("resource::attributes_list is not supported (as in the "
                             "Collector); use resource::attributes")
        legacy = {k: v for k, v in self.resource.items() if k not in declarative}
        bad = [k for k, v in legacy.items() if v is not None and not isinstance(v, str)]
        if bad:
            raise ValueError(f"resource::{bad[0]}: a legacy resource attribute must be a "
                             "string or null")
        if legacy and "attributes" in self.resource:
            raise ValueError("resource::attributes cannot be used together with legacy "
                             "inline resource attributes")
        return self

    def config_warnings(self) -> list[tuple[tuple[str, ...], str]]:
        """(relative path, message) for keys accepted without the Collector's effect."""
        out: list[tuple[tuple[str, ...], str]] = []
        if self.traces.processors:
            out.append((("traces", "processors"), "otelpy records no spans of its own: "
                        "these span processors export nothing"))
        for i, reader in enumerate(self.metrics.readers or ()):
            prom = reader.pull.exporter.prometheus if reader.pull else None
            if prom is not None and not (prom.without_units and prom.without_type_suffix
                                         and prom.without_scope_info):
                out.append((("metrics", "readers", str(i)), "otelpy always exposes its own "
                            "metrics in the Collector's default form (without units, type "
                            "suffixes or scope info); the without_* settings have no effect"))
        return out

"""Configuration of the alerting connector: Prometheus rule files and the product's inline
rules (the spec's ``alerting_config``: ``smart_thresholds``, ``alert_rules``,
``notification_channels``, ``escalation_rules``)."""

from __future__ import annotations

import glob
import re
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, WithJsonSchema, field_validator

from otelpy.config.types import ConfigModel, Duration, ExtensionID

_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
#: a notification channel setting: not read here, always redacted when shown
ChannelValue = Annotated[Any, WithJsonSchema({"x-otelpy-secret": True,
                                              "items": {"x-otelpy-secret": True}})]


#: ``smart_thresholds.ml_model`` -> the anomaly engine's method
MODELS = {"anomaly_detection_v2": "shape", "shape": "shape", "surprise": "surprise",
          "robust": "robust"}


class SmartThresholds(ConfigModel):
    """How adaptive and anomaly rules learn (the spec's ``smart_thresholds``)."""

    enabled: bool = Field(
        default=True, description="false: adaptive rules use only base_threshold.")
    ml_model: str = Field(
        default="anomaly_detection_v2",
        description="Anomaly method of anomaly_detection rules (otelpy/anomaly): shape (the "
                    "default, also the spec's anomaly_detection_v2), surprise or robust "
                    "(median/MAD z-score).")
    adaptation_window_hours: float = Field(
        default=24.0, gt=0, le=24 * 35,
        description="Hours of samples an adaptive baseline is learned from.")
    confidence_threshold: float = Field(
        default=0.95, gt=0.5, lt=1.0,
        description="An adaptive band is median ± z·1.4826·MAD with z the one-sided normal "
                    "quantile of this (0.95 -> 1.645, 0.99 -> 2.326).")
    seasonality: Literal["none", "daily", "weekly"] = Field(
        default="none", description="Learn a baseline per hour of the day (daily) or of the "
                                    "week (weekly).")

    @field_validator("ml_model")
    @classmethod
    def _known_model(cls, value: str) -> str:
        if value not in MODELS:
            raise ValueError(f"unknown ml_model {value!r}: use {', '.join(sorted(MODELS))}")
        return value

    def method(self) -> str:
        return MODELS[self.ml_model]


class InlineRuleConfig(ConfigModel):
    """One rule of ``alert_rules`` (its key is the alert name)."""

    metric: str = Field(
        min_length=1, description="Metric read: its OTLP name or its Prometheus name.")
    threshold_type: Literal["static", "adaptive", "anomaly_detection"] = Field(
        default="static", description="static, adaptive (learned band) or anomaly_detection.")
    threshold: float | None = Field(
        default=None, description="static: fire beyond this value (required).")
    base_threshold: float | None = Field(
        default=None, description="adaptive: the floor of the learned upper band (the ceiling "
                                  "of the lower band with direction below).")
    direction: Literal["above", "below"] = Field(
        default="above", description="Fire when the value is above (or below) the threshold "
                                     "or band.")
    severity: str = Field(default="warning", description="Becomes the severity label.")
    duration: Duration = Field(
        default=0.0, description="How long the condition must hold before firing (for).")
    keep_firing_for: Duration = Field(
        default=0.0, description="Keep firing this long after the condition clears.")
    anomaly_sensitivity: Literal["low", "medium", "high"] = Field(
        default="medium", description="anomaly_detection: fire at an anomaly score of 0.7 "
                                      "(low), 0.6 (medium) or 0.5 (high).")
    labels: dict[str, str] = Field(default_factory=dict, description="Labels added.")
    annotations: dict[str, str] = Field(
        default_factory=dict, description="Annotations (Go templates: {{ $value }}, "
                                          "{{ $labels.x }}).")

    def problems(self, at: str) -> list[str]:
        out = []
        if self.threshold_type == "static" and self.threshold is None:
            out.append(f"{at}::threshold: required with threshold_type static")
        if self.threshold_type != "static" and self.threshold is not None:
            out.append(f"{at}::threshold: only for threshold_type static (adaptive rules "
                       "take base_threshold)")
        for key in self.labels:
            if not _LABEL_NAME.fullmatch(key) or key == "__name__":
                out.append(f"{at}::labels: invalid label name {key!r}")
        from otelpy.promql.rules.gotemplate import Template, TemplateError

        for key, text in self.annotations.items():
            try:
                Template(text)
            except TemplateError as exc:
                out.append(f"{at}::annotations: {key}: {exc}")
        return out


class EscalationRules(ConfigModel):
    """The spec's ``escalation_rules``: channels per severity (other keys), added to alert
    records as ``channels``; the notify exporter acts on the timeout and escalations."""

    model_config = ConfigDict(frozen=True, extra="allow")
    __pydantic_extra__: dict[str, list[str]] = Field(init=False)

    timeout_minutes: float = Field(default=15, ge=0, description="For the notify exporter.")
    max_escalations: int = Field(default=3, ge=0, description="For the notify exporter.")

    def channels(self) -> dict[str, list[str]]:
        return dict(self.__pydantic_extra__ or {})


class ResourceConversion(ConfigModel):
    enabled: bool = Field(default=False, description="Resource attributes become labels.")


class AlertingConfig(ConfigModel):
    """``connectors: alerting:`` settings."""

    rule_files: list[str] = Field(
        default_factory=list, description="Prometheus rule files (globs), checked as "
                                          "promtool check rules does.")
    evaluation_interval: Duration = Field(
        default=60.0, description="Interval of inline rules and of groups without one.")
    lookback_delta: Duration = Field(
        default=300.0, description="How far back an instant selector looks for a sample.")
    external_labels: dict[str, str] = Field(
        default_factory=dict, description="$externalLabels in templates.")
    max_series: int = Field(
        default=100_000, ge=1, description="Series kept in the window; beyond, the one "
                                           "updated longest ago is evicted (counted).")
    storage: ExtensionID | None = Field(
        default=None, description="Storage extension keeping pending and firing alerts, and "
                                  "the baselines adaptive and anomaly_detection rules "
                                  "learned, across restarts.")
    baseline_save_interval: Duration = Field(
        default=60.0, description="With storage: how often the learned baselines are saved "
                                  "when they changed (also at shutdown); 0: only at "
                                  "shutdown.")
    for_outage_tolerance: Duration = Field(
        default=3600.0, description="Saved alert state older than this is not restored.")
    add_metric_suffixes: bool = Field(
        default=True, description="Prometheus names with unit and _total suffixes.")
    resource_to_telemetry_conversion: ResourceConversion = Field(
        default_factory=ResourceConversion, description="As the prometheus exporter's.")
    smart_thresholds: SmartThresholds = Field(
        default_factory=SmartThresholds, description="Learning of adaptive and anomaly rules.")
    alert_rules: dict[str, InlineRuleConfig] = Field(
        default_factory=dict, description="Inline rules by alert name.")
    notification_channels: dict[str, dict[str, ChannelValue]] = Field(
        default_factory=dict, description="Accepted so the spec's alerting_config validates "
                                          "as written (values redacted when shown); delivery "
                                          "is the notify exporter's.")
    escalation_rules: EscalationRules | None = Field(
        default=None, description="Channels per severity, added to alert records.")

    def validate_config(self) -> list[str]:
        problems = []
        if not self.rule_files and not self.alert_rules:
            problems.append("rule_files: no rules: set rule_files or alert_rules")
        for name, rule in self.alert_rules.items():
            problems += rule.problems(f"alert_rules::{name}")
        for i, pattern in enumerate(self.rule_files):
            problems += [f"rule_files::{i}: {p}" for p in rule_file_problems(pattern)]
        if self.escalation_rules is not None and self.notification_channels:
            for severity, names in self.escalation_rules.channels().items():
                for name in names:
                    if name not in self.notification_channels:
                        problems.append(f"escalation_rules::{severity}: unknown channel "
                                        f"{name!r} (not in notification_channels)")
        return problems


def rule_file_problems(pattern: str) -> list[str]:
    """promtool's findings for every file ``pattern`` matches."""
    from otelpy.promql.rules.rulefile import RuleFileError, load

    paths = sorted(glob.glob(pattern))
    if not paths and not glob.has_magic(pattern):
        return [f"{pattern}: no such file"]
    problems = []
    for path in paths:
        try:
            load(path)
        except RuleFileError as exc:
            problems += exc.problems
        except OSError as exc:
            problems.append(f"{path}: {exc.strerror}")
    return problems

"""Configuration of the notify exporter: Alertmanager's own keys inline (``route``,
``receivers``, ``inhibit_rules``, ``time_intervals``, ``global``) or ``config_file`` naming
an ``alertmanager.yml``, plus otelpy's keys (storage, escalation, rate limits, bounds)."""

from __future__ import annotations

from pydantic import Field

from otelpy.alertmanager.config import AlertmanagerConfig, HTTPConfig
from otelpy.alertmanager.labels import MatcherError, parse_matchers
from otelpy.alertmanager.validate import check, load_file
from otelpy.config.problems import format_path
from otelpy.config.types import ConfigModel, Duration
from otelpy.exporterhelper.config import RetrySettings


class EscalationConfig(ConfigModel):
    """The spec's ``escalation_rules``."""

    severities: dict[str, list[str]] = Field(default_factory=dict, description="Severity -> "
                                             "receivers notified at each escalation.")
    timeout_minutes: float = Field(15.0, gt=0, description="Escalate when an alert is still "
                                   "firing, unacknowledged and not silenced this long after "
                                   "its first notification (and after each escalation).")
    max_escalations: int = Field(3, ge=0, description="Most escalations per alert.")
    severity_label: str = Field("severity", description="Label holding the severity.")


class CorrelationConfig(ConfigModel):
    """The spec's ``correlate_alerts(time_window_minutes, correlation_threshold)``."""

    time_window_minutes: float = Field(10.0, gt=0, description="Alerts that started within "
                                       "this many minutes of each other may correlate.")
    correlation_threshold: float = Field(0.8, gt=0, le=1, description="Least similarity to "
                                         "correlate: label similarity (share of the "
                                         "correlation labels present on either alert with "
                                         "equal values) or, with `series`, the correlation of "
                                         "the alerts' recent values, whichever is higher.")
    labels: list[str] = Field(default_factory=lambda: ["service", "team", "host"],
                              min_length=1, description="Labels compared.")
    receivers: list[str] = Field(default_factory=list, description="Receivers notified of "
                                 "incidents (opened, member joined or resolved, resolved); "
                                 "empty: incidents only on the API.")
    update_interval: Duration = Field(10.0, gt=0, description="How often incidents are "
                                      "checked for changes to notify.")
    max_incidents: int = Field(1000, ge=1, description="Most incidents kept (the oldest "
                               "resolved go first; evictions counted).")
    series: bool = Field(True, description="Also correlate by the alerts' recent values "
                         "(the alerting connector's `series` attribute): Pearson's r over "
                         "common time buckets counts as the similarity when it is higher.")
    series_step: Duration = Field(60.0, gt=0, description="Bucket width the two series are "
                                  "aligned on (the mean of each bucket).")
    min_points: int = Field(4, ge=2, description="Fewest common buckets for a series "
                            "correlation; with fewer, labels alone decide.")
    service_label: str = Field("service", min_length=1, description="Alert label naming "
                               "its service, matched against the service graph.")
    dependency_ttl: Duration = Field(3600.0, gt=0, description="Service-graph edges "
                                     "(servicegraph metrics sent to this exporter in a "
                                     "metrics pipeline) are forgotten when not seen this long.")


class ForwardConfig(ConfigModel):
    """An Alertmanager receiving every alert as Prometheus sends them."""

    url: str = Field(..., description="Alertmanager base URL (`http://host:9093`); alerts "
                     "are POSTed to `<url>/api/v2/alerts`.")
    resend_delay: Duration = Field(60.0, gt=0, description="Firing alerts are re-sent this "
                                   "often; their endsAt is 4 x resend_delay ahead.")
    timeout: Duration = Field(10.0, gt=0, description="Time limit of one POST.")
    matchers: list[str] = Field(default_factory=list, description="Only alerts matching "
                                "all of these (Alertmanager matcher syntax).")
    http_config: HTTPConfig | None = Field(None, description="Authorization (basic_auth, "
                                           "authorization, bearer_token).")


class NotifyConfig(AlertmanagerConfig):
    """``exporters: notify:`` settings."""

    config_file: str = Field("", description="An alertmanager.yml used as-is (then no "
                             "Alertmanager keys inline).")
    external_url: str = Field("", description="`externalURL` of payloads and links.")
    storage: str = Field("", description="Storage extension keeping the notification log, "
                         "silences, acknowledgements and escalation state (unset: memory "
                         "only; a restart may re-notify).")
    rate_limits: dict[str, float] = Field(
        default_factory=lambda: {"slack": 1.0, "pagerduty": 2.0, "email": 1.0,
                                 "webhook": 0.0, "msteams": 1.0, "opsgenie": 2.0},
        description="Requests a second per integration, by kind (webhook, slack, "
                    "pagerduty, email, msteams, opsgenie); 0 = unlimited. Over the limit a "
                    "send waits.")
    retry_on_failure: RetrySettings = Field(
        default_factory=lambda: RetrySettings(initial_interval=0.5, max_interval=10.0,
                                              max_elapsed_time=60.0),
        description="Retries of one notification (Retry-After honoured).")
    escalation: EscalationConfig | None = Field(None, description="Escalation by severity "
                                                "(unset: none).")
    correlation: CorrelationConfig | None = Field(None, description="Correlation of alerts "
                                                  "into incidents (unset: none).")
    forward: list[ForwardConfig] = Field(default_factory=list, description="Alertmanagers "
                                         "receiving every alert (`alertmanager` notifier).")
    max_alerts: int = Field(100_000, ge=1, description="Most alerts held; more are refused "
                            "and counted.")
    max_groups: int = Field(10_000, ge=1, description="Most aggregation groups.")
    max_silences: int = Field(10_000, ge=1, description="Most silences.")

    def effective(self) -> AlertmanagerConfig:
        """The Alertmanager config in force (raises ValueError when config_file is bad)."""
        if not self.config_file:
            return self
        cfg, problems = load_file(self.config_file)
        if cfg is None or problems:
            raise ValueError("; ".join(problems))
        return cfg

    def validate_config(self) -> list[str]:
        problems = self.retry_on_failure.validate_config()
        if self.config_file:
            if self.route is not None or self.receivers:
                problems.append("config_file: set either config_file or route/receivers "
                                "inline, not both")
            cfg, found = load_file(self.config_file)
            problems += [f"config_file: {p}" for p in found]
        else:
            cfg = self
            problems += [f"{format_path(p)}: {m}" if p else m for p, m in check(self)]
        if cfg is not None and self.escalation is not None:
            names = {r.name for r in cfg.receivers}
            for sev, receivers in self.escalation.severities.items():
                problems += [f"escalation::severities::{sev}: undefined receiver \"{r}\""
                             for r in receivers if r not in names]
        if cfg is not None and self.correlation is not None:
            names = {r.name for r in cfg.receivers}
            problems += [f"correlation::receivers: undefined receiver \"{r}\""
                         for r in self.correlation.receivers if r not in names]
        for i, fwd in enumerate(self.forward):
            problems += [f"forward::{i}::{p}" for p in fwd_problems(fwd)]
        return problems


def fwd_problems(fwd: ForwardConfig) -> list[str]:
    out = []
    if not fwd.url.startswith(("http://", "https://")):
        out.append(f"url: expected an http:// or https:// URL, got {fwd.url!r}")
    for j, text in enumerate(fwd.matchers):
        try:
            parse_matchers(text)
        except MatcherError as exc:
            out.append(f"matchers::{j}: {exc}")
    return out

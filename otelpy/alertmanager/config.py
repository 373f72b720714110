"""Alertmanager's configuration (``alertmanager.yml``, 0.25) as typed models: the same keys,
defaults and durations (Prometheus syntax: ``30s``, ``5m``, ``4h``, ``1d``). The same models
validate keys written inline in an otelpy config and a file named by ``config_file``.

Receivers of kinds otelpy does not implement (victorops, wechat, ...) are refused by name.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, PlainSerializer, WithJsonSchema

from otelpy.config.types import ConfigModel, Secret
from otelpy.promql.lexer import parse_duration
from otelpy.promql.rules.durations import model_duration

__all__ = ["AlertmanagerConfig", "EmailConfig", "GlobalConfig", "HTTPConfig", "InhibitRule",
           "PagerdutyConfig", "PromDuration", "Receiver", "RouteConfig", "SlackConfig",
           "TimeInterval", "TimeRange", "WebhookConfig"]


def _seconds(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("expected a duration")
    if isinstance(value, (int, float)):
        return float(value)
    if not isinstance(value, str):
        raise ValueError("expected a duration")
    return parse_duration(value) / 1000.0


PromDuration = Annotated[
    float, BeforeValidator(_seconds),
    PlainSerializer(lambda s: model_duration(round(s * 1000)), return_type=str),
    WithJsonSchema({"anyOf": [{"type": "string", "pattern": r"^(([0-9]+)(y|w|d|h|m|s|ms))+$"},
                              {"type": "number", "minimum": 0}],
                    "description": "duration, Prometheus syntax (30s, 5m, 4h, 1d)"}),
]


class BasicAuth(ConfigModel):
    username: str = Field("", description="User name.")
    password: Secret = Field(Secret(""), description="Password.")


class Authorization(ConfigModel):
    type: str = Field("Bearer", description="Scheme of the Authorization header.")
    credentials: Secret = Field(Secret(""), description="Credentials sent after the type.")


class HTTPConfig(ConfigModel):
    """``http_config``: the parts of Prometheus's HTTP client config otelpy honours."""

    basic_auth: BasicAuth | None = Field(None, description="HTTP basic authentication.")
    authorization: Authorization | None = Field(None, description="Authorization header.")
    bearer_token: Secret = Field(Secret(""), description="Shorthand for authorization "
                                 "with type Bearer.")
    follow_redirects: bool = Field(True, description="Follow HTTP 3xx redirects.")


class GlobalConfig(ConfigModel):
    """``global``: defaults for receivers and alerts."""

    resolve_timeout: PromDuration = Field(300.0, description="An alert with no endsAt is "
                                          "resolved this long after its last update.")
    http_config: HTTPConfig = Field(default_factory=HTTPConfig,
                                    description="Default HTTP client settings.")
    smtp_from: str = Field("", description="Default sender of email_configs.")
    smtp_hello: str = Field("localhost", description="Default EHLO host name.")
    smtp_smarthost: str = Field("", description="Default SMTP server, host:port.")
    smtp_auth_username: str = Field("", description="Default SMTP user.")
    smtp_auth_password: Secret = Field(Secret(""), description="Default SMTP password.")
    smtp_auth_identity: str = Field("", description="Default PLAIN identity.")
    smtp_auth_secret: Secret = Field(Secret(""), description="Default CRAM-MD5 secret "
                                     "(refused: not supported).")
    smtp_require_tls: bool = Field(True, description="Default: require STARTTLS.")
    slack_api_url: Secret = Field(Secret(""), description="Default Slack incoming webhook "
                                  "URL.")
    pagerduty_url: str = Field("https://events.pagerduty.com/v2/enqueue",
                               description="Default PagerDuty Events API v2 URL.")
    opsgenie_api_url: str = Field("https://api.opsgenie.com/",
                                  description="Default Opsgenie API URL.")
    opsgenie_api_key: Secret = Field(Secret(""), description="Default Opsgenie API key.")


class WebhookConfig(ConfigModel):
    send_resolved: bool = Field(True, description="Notify about resolved alerts.")
    http_config: HTTPConfig | None = Field(None, description="HTTP client settings.")
    url: Secret = Field(Secret(""), description="Where to POST the payload (required).")
    max_alerts: int = Field(0, ge=0, description="Most alerts in one payload; 0 = all.")


class SlackField(ConfigModel):
    title: str = Field(..., description="Field title (template).")
    value: str = Field(..., description="Field value (template).")
    short: bool | None = Field(None, description="Show side by side.")


class SlackConfig(ConfigModel):
    send_resolved: bool = Field(False, description="Notify about resolved alerts.")
    http_config: HTTPConfig | None = Field(None, description="HTTP client settings.")
    api_url: Secret = Field(Secret(""), description="Incoming webhook URL (default: "
                            "global slack_api_url).")
    channel: str = Field("", description="Channel or user (template).")
    username: str = Field('{{ template "slack.default.username" . }}',
                          description="Bot user name (template).")
    color: str = Field('{{ if eq .Status "firing" }}danger{{ else }}good{{ end }}',
                       description="Attachment colour (template); otelpy's default follows "
                                   "severity (see README).")
    title: str = Field('{{ template "slack.default.title" . }}', description="Title "
                       "(template).")
    title_link: str = Field('{{ template "slack.default.titlelink" . }}',
                            description="Title link (template).")
    pretext: str = Field("", description="Pretext (template).")
    text: str = Field('{{ template "slack.default.text" . }}', description="Text "
                      "(template).")
    fields: list[SlackField] = Field(default_factory=list, description="Attachment fields.")
    short_fields: bool = Field(False, description="Show fields side by side.")
    footer: str = Field("", description="Footer (template).")
    fallback: str = Field('{{ template "slack.default.fallback" . }}',
                          description="Plain-text summary (template).")
    icon_emoji: str = Field("", description="Icon emoji.")
    icon_url: str = Field("", description="Icon URL.")
    link_names: bool = Field(False, description="Link @names and #channels.")
    mrkdwn_in: list[str] = Field(default_factory=lambda: ["fallback", "pretext", "text"],
                                 description="Attachment fields rendered as mrkdwn.")
    mentions: list[str] = Field(default_factory=list, description="otelpy addition: "
                                "mentions (`<@U123>`, `<!here>`) prepended to the text of "
                                "firing notifications with a critical alert.")


class PagerdutyConfig(ConfigModel):
    send_resolved: bool = Field(True, description="Notify about resolved alerts.")
    http_config: HTTPConfig | None = Field(None, description="HTTP client settings.")
    routing_key: Secret = Field(Secret(""), description="Events API v2 integration key.")
    service_key: Secret = Field(Secret(""), description="Events API v1 key (refused: otelpy "
                                "sends v2 only).")
    url: str = Field("", description="Events API URL (default: global pagerduty_url).")
    client: str = Field('{{ template "pagerduty.default.client" . }}',
                        description="Client name (template).")
    client_url: str = Field('{{ template "pagerduty.default.clientURL" . }}',
                            description="Client URL (template).")
    description: str = Field('{{ template "pagerduty.default.description" .}}',
                             description="Summary (template).")
    details: dict[str, str] = Field(default_factory=dict, description="custom_details "
                                    "(templates); default: firing, resolved, num_firing, "
                                    "num_resolved.")
    source: str = Field("", description="Source (template); default: client.")
    severity: str = Field("", description="Severity (template); default: mapped from the "
                          "alerts' severity label (see README).")
    class_: str = Field("", alias="class", description="Event class (template).")
    component: str = Field("", description="Component (template).")
    group: str = Field("", description="Group (template).")


class MSTeamsConfig(ConfigModel):
    send_resolved: bool = Field(True, description="Notify about resolved alerts.")
    http_config: HTTPConfig | None = Field(None, description="HTTP client settings.")
    webhook_url: Secret = Field(Secret(""), description="Incoming webhook URL (required).")
    title: str = Field('{{ template "msteams.default.title" . }}', description="Card title "
                       "(template).")
    summary: str = Field('{{ template "msteams.default.summary" . }}',
                         description="Card summary (template).")
    text: str = Field('{{ template "msteams.default.text" . }}', description="Card text, "
                      "markdown (template).")


class OpsgenieResponder(ConfigModel):
    id: str = Field("", description="Responder ID (template).")
    name: str = Field("", description="Responder name (template).")
    username: str = Field("", description="Responder user name (template).")
    type: str = Field(..., description="team, teams, user, escalation or schedule "
                      "(template).")


class OpsgenieConfig(ConfigModel):
    send_resolved: bool = Field(True, description="Close the Opsgenie alert on resolution.")
    http_config: HTTPConfig | None = Field(None, description="HTTP client settings.")
    api_key: Secret = Field(Secret(""), description="API key (default: global "
                            "opsgenie_api_key); sent as `Authorization: GenieKey <key>`.")
    api_url: str = Field("", description="API URL (default: global opsgenie_api_url).")
    message: str = Field('{{ template "opsgenie.default.message" . }}',
                         description="Alert text, at most 130 characters (template).")
    description: str = Field('{{ template "opsgenie.default.description" . }}',
                             description="Description (template).")
    source: str = Field('{{ template "opsgenie.default.source" . }}',
                        description="Backlink to the sender (template).")
    details: dict[str, str] = Field(default_factory=dict, description="Extra details "
                                    "(templates), added to the group's common labels.")
    entity: str = Field("", description="Entity (template).")
    responders: list[OpsgenieResponder] = Field(default_factory=list,
                                                description="Who is notified.")
    actions: str = Field("", description="Comma-separated custom actions (template).")
    tags: str = Field("", description="Comma-separated tags (template).")
    note: str = Field("", description="Note (template).")
    priority: str = Field("", description="P1 to P5 (template); empty: Opsgenie's default.")
    update_alerts: bool = Field(False, description="Also update message and description "
                                "of an open alert on each notification.")


class TLSConfig(ConfigModel):
    insecure_skip_verify: bool = Field(False, description="Do not verify the server.")
    ca_file: str = Field("", description="CA certificates to verify the server with.")
    server_name: str = Field("", description="Server name to verify.")


class EmailConfig(ConfigModel):
    send_resolved: bool = Field(False, description="Notify about resolved alerts.")
    to: str = Field("", description="Recipients, comma separated (template).")
    from_: str = Field("", alias="from", description="Sender (default: global smtp_from).")
    hello: str = Field("", description="EHLO name (default: global smtp_hello).")
    smarthost: str = Field("", description="SMTP host:port (default: global).")
    auth_username: str = Field("", description="SMTP user (default: global).")
    auth_password: Secret = Field(Secret(""), description="SMTP password (default: global).")
    auth_identity: str = Field("", description="PLAIN identity.")
    headers: dict[str, str] = Field(default_factory=dict, description="Headers (templates); "
                                    "Subject, To and From by default.")
    html: str = Field('{{ template "email.default.html" . }}', description="HTML body "
                      "(template).")
    text: str = Field("", description="Text body (template); otelpy default: a plain "
                      "listing of the alerts.")
    require_tls: bool | None = Field(None, description="Require STARTTLS (default: global "
                                     "smtp_require_tls). Port 465 uses implicit TLS.")
    implicit_tls: bool | None = Field(None, description="otelpy addition: TLS from the first "
                                      "byte (SMTPS); default: only on port 465.")
    tls_config: TLSConfig = Field(default_factory=TLSConfig, description="TLS settings.")


_UNSUPPORTED = ("victorops_configs", "wechat_configs", "pushover_configs",
                "sns_configs", "telegram_configs", "webex_configs", "discord_configs")


class Receiver(ConfigModel):
    name: str = Field(..., description="Receiver name, referenced by routes.")
    webhook_configs: list[WebhookConfig] = Field(default_factory=list, description="Webhooks.")
    slack_configs: list[SlackConfig] = Field(default_factory=list, description="Slack.")
    pagerduty_configs: list[PagerdutyConfig] = Field(default_factory=list,
                                                     description="PagerDuty.")
    email_configs: list[EmailConfig] = Field(default_factory=list, description="Email.")
    opsgenie_configs: list[OpsgenieConfig] = Field(default_factory=list,
                                                   description="Opsgenie (Alert API v2).")
    msteams_configs: list[MSTeamsConfig] = Field(default_factory=list,
                                                 description="Microsoft Teams (incoming "
                                                 "webhook, MessageCard).")
    victorops_configs: list[Any] | None = Field(None, description="Not supported.")
    wechat_configs: list[Any] | None = Field(None, description="Not supported.")
    pushover_configs: list[Any] | None = Field(None, description="Not supported.")
    sns_configs: list[Any] | None = Field(None, description="Not supported.")
    telegram_configs: list[Any] | None = Field(None, description="Not supported.")
    webex_configs: list[Any] | None = Field(None, description="Not supported.")
    discord_configs: list[Any] | None = Field(None, description="Not supported.")


class RouteConfig(ConfigModel):
    receiver: str = Field("", description="Receiver of alerts ending at this route "
                          "(inherited).")
    group_by: list[str] | None = Field(None, description="Labels grouping alerts; `...` = "
                                       "all labels (inherited).")
    continue_: bool = Field(False, alias="continue", description="Go on matching siblings "
                            "after this route matched.")
    matchers: list[str] = Field(default_factory=list, description="Matchers "
                                "(`name=\"value\"`, `=~`, `!=`, `!~`).")
    match: dict[str, str] = Field(default_factory=dict, description="Deprecated equality "
                                  "matchers.")
    match_re: dict[str, str] = Field(default_factory=dict, description="Deprecated regex "
                                     "matchers.")
    group_wait: PromDuration | None = Field(None, description="Wait before the first "
                                            "notification of a group (default 30s).")
    group_interval: PromDuration | None = Field(None, description="Wait before notifying "
                                                "about changes of a group (default 5m).")
    repeat_interval: PromDuration | None = Field(None, description="Wait before re-sending "
                                                 "an unchanged notification (default 4h).")
    mute_time_intervals: list[str] = Field(default_factory=list, description="Names of "
                                           "time intervals when notifications are muted.")
    active_time_intervals: list[str] = Field(default_factory=list, description="Names of "
                                             "time intervals outside which notifications "
                                             "are muted.")
    routes: list[RouteConfig] = Field(default_factory=list, description="Child routes.")


class InhibitRule(ConfigModel):
    source_matchers: list[str] = Field(default_factory=list, description="Inhibiting "
                                       "alerts match these.")
    target_matchers: list[str] = Field(default_factory=list, description="Inhibited alerts "
                                       "match these.")
    source_match: dict[str, str] = Field(default_factory=dict, description="Deprecated.")
    source_match_re: dict[str, str] = Field(default_factory=dict, description="Deprecated.")
    target_match: dict[str, str] = Field(default_factory=dict, description="Deprecated.")
    target_match_re: dict[str, str] = Field(default_factory=dict, description="Deprecated.")
    equal: list[str] = Field(default_factory=list, description="Labels that must be equal "
                             "on source and target.")


class TimeRange(ConfigModel):
    start_time: str = Field(..., description="HH:MM, inclusive.")
    end_time: str = Field(..., description="HH:MM, exclusive (24:00 allowed).")


class TimePeriod(ConfigModel):
    times: list[TimeRange] = Field(default_factory=list, description="Times of day.")
    weekdays: list[str] = Field(default_factory=list, description="`monday`, "
                                "`monday:friday`.")
    days_of_month: list[str] = Field(default_factory=list, description="`1`, `1:5`, `-1`.")
    months: list[str] = Field(default_factory=list, description="`january`, `1:3`.")
    years: list[str] = Field(default_factory=list, description="`2024`, `2024:2026`.")
    location: str = Field("UTC", description="IANA time zone, `Local` or `UTC`.")


class TimeInterval(ConfigModel):
    name: str = Field(..., description="Name referenced by routes.")
    time_intervals: list[TimePeriod] = Field(default_factory=list, description="Periods; "
                                             "the interval is active in any of them.")


class AlertmanagerConfig(ConfigModel):
    """An ``alertmanager.yml`` document."""

    global_: GlobalConfig = Field(default_factory=GlobalConfig, alias="global",
                                  description="Global defaults.")
    route: RouteConfig | None = Field(None, description="The root route (required).")
    receivers: list[Receiver] = Field(default_factory=list, description="Receivers.")
    inhibit_rules: list[InhibitRule] = Field(default_factory=list, description="Inhibition.")
    time_intervals: list[TimeInterval] = Field(default_factory=list, description="Named "
                                               "time intervals.")
    mute_time_intervals: list[TimeInterval] = Field(default_factory=list,
                                                    description="Deprecated name of "
                                                    "time_intervals.")
    templates: list[str] = Field(default_factory=list, description="Template files "
                                 "(refused: see README).")


Unsupported = Literal[
    "victorops_configs", "wechat_configs", "pushover_configs", "sns_configs",
    "telegram_configs", "webex_configs", "discord_configs"]
UNSUPPORTED_RECEIVERS: tuple[str, ...] = _UNSUPPORTED

"""The Prometheus ``config`` block a scrape engine takes: ``global`` and ``scrape_configs``.

Keys, defaults and checks follow Prometheus's ``config`` package (durations in Prometheus's
syntax: ``1d``, ``1h30m``, ``500ms``). Keys Prometheus has but this engine does not
implement (other service discoveries, remote write, rule files, proxies, OAuth2...) are
refused by name with a sentence saying so, never ignored.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, PlainSerializer, WithJsonSchema, model_validator

from otelpy.config.types import ConfigModel, Secret
from otelpy.prometheus.relabel import RelabelRule, compile_rule, rule_problems

__all__ = ["PromConfig", "ScrapeConfig", "RelabelConfig", "parse_prom_duration"]

_PROM_DURATION = re.compile(
    r"(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?")
_UNITS = (365 * 86400.0, 7 * 86400.0, 86400.0, 3600.0, 60.0, 1.0, 0.001)
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_JSON_PATTERN = r"^(0|([0-9]+y)?([0-9]+w)?([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?)$"


def parse_prom_duration(value: Any) -> float:
    """Prometheus's ``model.ParseDuration`` (``1d``, ``5m``, ``1h30m``, ``0``) -> seconds."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return float(value)
    if not isinstance(value, str):
        raise ValueError("expected a duration such as 15s, 1m or 1h30m")
    if value == "0":
        return 0.0
    m = _PROM_DURATION.fullmatch(value)
    if not value or m is None or not any(m.groups()):
        raise ValueError(f"not a valid duration string: {value!r} (e.g. 15s, 1m, 1h30m, 1d)")
    return sum(int(g) * unit for g, unit in zip(m.groups(), _UNITS, strict=True) if g)


def _format(seconds: float) -> str:
    return f"{seconds * 1000:g}ms" if seconds % 1 else f"{seconds:g}s"


PromDuration = Annotated[
    float, BeforeValidator(parse_prom_duration), PlainSerializer(_format, return_type=str),
    WithJsonSchema({"anyOf": [{"type": "string", "pattern": _JSON_PATTERN},
                              {"type": "number", "minimum": 0}],
                    "description": "Prometheus duration: 15s, 1m, 1h30m, 1d, 500ms"})]

# Prometheus keys this engine does not implement, refused by name (scrape config level).
UNSUPPORTED_SCRAPE_KEYS = {
    **{k: "service discovery other than static_configs and file_sd_configs is not supported"
       for k in ("kubernetes_sd_configs", "consul_sd_configs", "dns_sd_configs",
                 "ec2_sd_configs", "azure_sd_configs", "gce_sd_configs", "http_sd_configs",
                 "docker_sd_configs", "dockerswarm_sd_configs", "openstack_sd_configs",
                 "digitalocean_sd_configs", "eureka_sd_configs", "hetzner_sd_configs",
                 "ionos_sd_configs", "kuma_sd_configs", "lightsail_sd_configs",
                 "linode_sd_configs", "marathon_sd_configs", "nerve_sd_configs",
                 "nomad_sd_configs", "openstack_sd_config", "ovhcloud_sd_configs",
                 "puppetdb_sd_configs", "scaleway_sd_configs", "serverset_sd_configs",
                 "triton_sd_configs", "uyuni_sd_configs", "vultr_sd_configs",
                 "consulagent_sd_configs")},
    **{k: "is not supported" for k in (
        "oauth2", "proxy_url", "no_proxy", "proxy_from_environment", "proxy_connect_header",
        "native_histogram_bucket_limit", "scrape_classic_histograms", "target_limit",
        "label_limit", "label_name_length_limit", "label_value_length_limit",
        "keep_dropped_targets", "scrape_protocols", "metric_name_validation_scheme",
        "always_scrape_classic_histograms", "convert_classic_histograms_to_nhcb",
        "native_histogram_min_bucket_factor", "track_timestamps_staleness")},
}
UNSUPPORTED_TOP_KEYS = ("rule_files", "scrape_config_files", "alerting", "remote_write",
                        "remote_read", "storage", "tracing", "otlp")


def _refuse(data: Any, unsupported: dict[str, str]) -> Any:
    if isinstance(data, dict):
        for key in data:
            if key in unsupported:
                raise ValueError(f"{key}: {unsupported[key]} by otelpy's prometheus receiver")
    return data


class RelabelConfig(ConfigModel):
    """One ``relabel_configs`` / ``metric_relabel_configs`` entry (Prometheus's defaults)."""

    source_labels: list[str] = Field(default_factory=list, description="Labels whose values "
                                     "are joined with separator and matched by regex.")
    separator: str | None = Field(None, description="Joins the source label values; `;`.")
    regex: str | None = Field(None, description="RE2 regex, anchored at both ends; `(.*)`.")
    modulus: int = Field(0, ge=0, description="Modulus of the hashmod action.")
    target_label: str = Field("", description="Label written by replace, hashmod, "
                              "lowercase, uppercase; compared by keepequal/dropequal.")
    replacement: str | None = Field(None, description="Value written, with `$1`/`${name}` "
                                    "references to regex groups; `$1`.")
    action: str = Field("replace", description="replace, keep, drop, keepequal, dropequal, "
                        "hashmod, labelmap, labeldrop, labelkeep, lowercase, uppercase.")

    def validate_config(self) -> list[str]:
        return rule_problems(self.action, self.source_labels, self.separator, self.regex,
                             self.target_label, self.replacement, self.modulus)

    def compile(self) -> RelabelRule:
        return compile_rule(self.action, self.source_labels, self.separator, self.regex,
                            self.target_label, self.replacement, self.modulus)


class StaticConfig(ConfigModel):
    targets: list[str] = Field(default_factory=list, description="host:port of each target.")
    labels: dict[str, str] = Field(default_factory=dict, description="Labels added to every "
                                   "target of the group.")


class FileSDConfig(ConfigModel):
    files: list[str] = Field(description="JSON or YAML files of target groups; the last path "
                             "element may hold a * glob (`*.json`, `*.yml`, `*.yaml`).")
    refresh_interval: PromDuration = Field(300.0, description="Re-read the files this often "
                                           "(they are also checked for changes every second).")


class BasicAuth(ConfigModel):
    username: str = Field("", description="User name.")
    password: Secret | None = Field(None, description="Password.")
    password_file: str = Field("", description="File holding the password (read per scrape).")


class Authorization(ConfigModel):
    type: str = Field("Bearer", description="Scheme of the Authorization header.")
    credentials: Secret | None = Field(None, description="Credentials sent after the type.")
    credentials_file: str = Field("", description="File holding the credentials.")


class PromTLSConfig(ConfigModel):
    ca_file: str = Field("", description="CA certificates verifying the target, PEM.")
    cert_file: str = Field("", description="Client certificate, PEM.")
    key_file: str = Field("", description="Client private key, PEM.")
    server_name: str = Field("", description="Name checked in the target's certificate.")
    insecure_skip_verify: bool = Field(False, description="Do not verify the target.")
    min_version: Literal["", "TLS10", "TLS11", "TLS12", "TLS13"] = Field(
        "", description="Oldest TLS version: TLS10..TLS13.")
    max_version: Literal["", "TLS10", "TLS11", "TLS12", "TLS13"] = Field(
        "", description="Newest TLS version.")


class ScrapeConfig(ConfigModel):
    """One ``scrape_configs`` entry."""

    job_name: str = Field(description="The job label of every target; unique.")
    scrape_interval: PromDuration | None = Field(None, description="Default: global's.")
    scrape_timeout: PromDuration | None = Field(None, description="Default: global's, at "
                                                "most scrape_interval.")
    metrics_path: str = Field("/metrics", description="URL path scraped.")
    scheme: Literal["http", "https"] = Field("http", description="http or https.")
    params: dict[str, list[str]] = Field(default_factory=dict, description="URL query "
                                         "parameters.")
    honor_labels: bool = Field(False, description="Scraped labels win over target labels "
                               "(else they are kept as exported_<name>).")
    honor_timestamps: bool = Field(True, description="Use the timestamps the target exposes.")
    body_size_limit: int | str = Field(0, description="Largest body read, bytes (e.g. 10MB); "
                                       "0 = no limit. Larger bodies fail the scrape.")
    sample_limit: int = Field(0, ge=0, description="More samples after metric relabelling "
                              "fail the scrape; 0 = no limit.")
    basic_auth: BasicAuth | None = Field(None, description="HTTP basic authentication.")
    authorization: Authorization | None = Field(None, description="Authorization header.")
    bearer_token: Secret | None = Field(None, description="Deprecated form of authorization.")
    bearer_token_file: str = Field("", description="Deprecated form of authorization.")
    tls_config: PromTLSConfig = Field(default_factory=PromTLSConfig, description="TLS.")
    follow_redirects: bool = Field(True, description="Follow HTTP redirects.")
    enable_http2: bool = Field(True, description="Accepted; scrapes use HTTP/1.1.")
    static_configs: list[StaticConfig] = Field(default_factory=list, description="Targets.")
    file_sd_configs: list[FileSDConfig] = Field(default_factory=list, description="Target "
                                                "files, re-read on change.")
    relabel_configs: list[RelabelConfig] = Field(default_factory=list, description="Target "
                                                 "relabelling.")
    metric_relabel_configs: list[RelabelConfig] = Field(default_factory=list, description=""
                                                        "Sample relabelling.")

    @model_validator(mode="before")
    @classmethod
    def _refuse_unsupported(cls, data: Any) -> Any:
        return _refuse(data, UNSUPPORTED_SCRAPE_KEYS)

    def validate_config(self) -> list[str]:
        problems = []
        auths = [k for k in ("basic_auth", "authorization", "bearer_token", "bearer_token_file")
                 if getattr(self, k)]
        if len(auths) > 1:
            problems.append(f"{auths[1]}: at most one of basic_auth, authorization, "
                            "bearer_token and bearer_token_file must be configured")
        if self.basic_auth and self.basic_auth.password and self.basic_auth.password_file:
            problems.append("basic_auth: at most one of password and password_file")
        if self.authorization and self.authorization.type.lower() == "basic":
            problems.append("authorization::type: authorization type cannot be set to "
                            "\"basic\", use \"basic_auth\" instead")
        try:
            body_limit(self.body_size_limit)
        except ValueError as exc:
            problems.append(f"body_size_limit: {exc}")
        for i, group in enumerate(self.static_configs):
            problems += [f"static_configs::{i}::labels: {name!r} is not a valid label name"
                         for name in group.labels if not _LABEL_NAME.fullmatch(name)]
            problems += [f"static_configs::{i}::targets: {t!r} must be host:port (no scheme "
                         "or path)" for t in group.targets if "/" in t]
        return problems


_SIZE = re.compile(r"(\d+)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?")
_SIZE_UNITS = {None: 1, "B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, "TB": 1 << 40,
               "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}


def body_limit(value: int | str) -> int:
    """Prometheus's units.Base2Bytes (``10MB`` = 10 MiB) -> bytes; 0 = no limit."""
    if isinstance(value, int):
        if value < 0:
            raise ValueError("must not be negative")
        return value
    m = _SIZE.fullmatch(value.strip())
    if m is None:
        raise ValueError(f"invalid size {value!r} (e.g. 10MB)")
    return int(m.group(1)) * _SIZE_UNITS[m.group(2)]


class GlobalConfig(ConfigModel):
    scrape_interval: PromDuration = Field(60.0, description="Default scrape interval.")
    scrape_timeout: PromDuration = Field(10.0, description="Default scrape timeout.")
    evaluation_interval: PromDuration = Field(60.0, description="Accepted; no rules here.")
    external_labels: dict[str, str] = Field(default_factory=dict, description="Labels added "
                                            "to every sample (a scraped label of the same "
                                            "name wins).")


class PromConfig(ConfigModel):
    """The Prometheus configuration: ``global`` and ``scrape_configs``."""

    global_: GlobalConfig = Field(default_factory=GlobalConfig, alias="global",
                                  description="Defaults of every scrape config.")
    scrape_configs: list[ScrapeConfig] = Field(default_factory=list, description="Jobs.")

    @model_validator(mode="before")
    @classmethod
    def _refuse_unsupported(cls, data: Any) -> Any:
        return _refuse(data, {k: "is not supported" for k in UNSUPPORTED_TOP_KEYS})

    def validate_config(self) -> list[str]:
        problems, seen = [], set()
        for i, job in enumerate(self.scrape_configs):
            if job.job_name in seen:
                problems.append(f"scrape_configs::{i}::job_name: found multiple scrape "
                                f"configs with job name {job.job_name!r}")
            seen.add(job.job_name)
            if job.scrape_timeout is not None and job.scrape_timeout > self.interval(job):
                problems.append(f"scrape_configs::{i}::scrape_timeout: scrape timeout greater "
                                f"than scrape interval for scrape config with job name "
                                f"{job.job_name!r}")
            problems += [f"scrape_configs::{i}::{p}" for p in job.validate_config()]
            for key in ("relabel_configs", "metric_relabel_configs"):
                for j, rule in enumerate(getattr(job, key)):
                    problems += [f"scrape_configs::{i}::{key}::{j}::{p}"
                                 for p in rule.validate_config()]
        if self.global_.scrape_timeout > self.global_.scrape_interval:
            problems.append("global::scrape_timeout: global scrape timeout greater than scrape "
                            "interval")
        problems += [f"global::external_labels: {n!r} is not a valid label name"
                     for n in self.global_.external_labels if not _LABEL_NAME.fullmatch(n)]
        return problems

    def interval(self, job: ScrapeConfig) -> float:
        return job.scrape_interval if job.scrape_interval is not None \
            else self.global_.scrape_interval

    def timeout(self, job: ScrapeConfig) -> float:
        if job.scrape_timeout is not None:
            return job.scrape_timeout
        return min(self.global_.scrape_timeout, self.interval(job))

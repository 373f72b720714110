"""Configuration of the k8sattributes processor (the Collector's k8sattributesprocessor keys)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field

from otelpy.config.types import ConfigModel, Duration
from otelpy.k8swatch import K8sAPIConfig

DEFAULT_METADATA = ["k8s.namespace.name", "k8s.pod.name", "k8s.pod.uid", "k8s.pod.start_time",
                    "k8s.deployment.name", "k8s.node.name"]
METADATA_FIELDS = frozenset(DEFAULT_METADATA + [
    "k8s.pod.ip", "k8s.pod.hostname", "k8s.replicaset.name", "k8s.replicaset.uid",
    "k8s.deployment.uid", "k8s.daemonset.name", "k8s.daemonset.uid", "k8s.statefulset.name",
    "k8s.statefulset.uid", "k8s.job.name", "k8s.job.uid", "k8s.cronjob.name",
    "k8s.container.name", "container.id", "container.image.name", "container.image.tag"])


class FieldFilter(ConfigModel):
    """One ``filter: labels:`` or ``filter: fields:`` term."""

    key: str = Field(description="Label key or field path (fields: e.g. status.phase).")
    value: str = Field("", description="Value compared with (equals / not-equals).")
    op: Literal["equals", "not-equals", "exists", "does-not-exist"] = Field(
        "equals", description="Comparison; exists / does-not-exist are for labels only.")


class FilterConfig(ConfigModel):
    """Which pods are watched (narrows the API requests, as the Collector does)."""

    node: str = Field("", description="Watch only pods on this node.")
    node_from_env_var: str = Field(
        "", description="Watch only pods on the node named by this environment variable "
                        "(set it from spec.nodeName with the downward API).")
    namespace: str = Field("", description="Watch only pods in this namespace.")
    labels: list[FieldFilter] = Field(default_factory=list,
                                      description="Label selector terms (all must hold).")
    fields: list[FieldFilter] = Field(default_factory=list,
                                      description="Field selector terms (all must hold).")


class FieldExtract(ConfigModel):
    """One ``extract: labels:`` / ``annotations:`` rule."""

    tag_name: str = Field(
        "", description="Resource attribute to set (empty = k8s.<from>.labels.<key> or "
                        "k8s.<from>.annotations.<key>); with key_regex, $1.. name groups.")
    key: str = Field("", description="The label or annotation key.")
    key_regex: str = Field("", description="A regex matching whole keys (instead of key).")
    from_: Literal["pod", "namespace"] = Field(
        "pod", alias="from", description="Take it from the pod or from its namespace.")


class ExtractConfig(ConfigModel):
    """What to copy onto resources."""

    metadata: list[str] = Field(default_factory=lambda: list(DEFAULT_METADATA),
                                description="Metadata attributes to set (see README).")
    labels: list[FieldExtract] = Field(default_factory=list,
                                       description="Labels to copy.")
    annotations: list[FieldExtract] = Field(default_factory=list,
                                            description="Annotations to copy.")


class AssociationSource(ConfigModel):
    """Where one identifier of a pod comes from."""

    from_: Literal["resource_attribute", "connection"] = Field(
        alias="from", description="resource_attribute (named by name) or connection.")
    name: str = Field("", description="The resource attribute: k8s.pod.ip, k8s.pod.uid, "
                                      "k8s.pod.name, k8s.namespace.name.")


class PodAssociation(ConfigModel):
    """One association rule: all its sources together identify a pod."""

    sources: list[AssociationSource] = Field(description="Identifier sources (all must be "
                                                         "present).")


class ExcludePod(ConfigModel):
    name: str = Field(description="Regex matched against whole pod names.")


class ExcludeConfig(ConfigModel):
    pods: list[ExcludePod] = Field(
        default_factory=lambda: [ExcludePod(name="jaeger-agent"),
                                 ExcludePod(name="jaeger-collector")],
        description="Pods never associated with.")


class K8sAttributesConfig(K8sAPIConfig):
    """``processors: k8sattributes:`` settings."""

    passthrough: bool = Field(
        False, description="Do not watch the API: only the association identifier is kept.")
    filter: FilterConfig = Field(default_factory=FilterConfig,
                                 description="Which pods to watch.")
    extract: ExtractConfig = Field(default_factory=ExtractConfig,
                                   description="What to add to resources.")
    pod_association: list[PodAssociation] = Field(
        default_factory=list,
        description="Rules tried in order (empty = k8s.pod.ip, then k8s.pod.uid resource "
                    "attributes, then the connection).")
    exclude: ExcludeConfig = Field(default_factory=ExcludeConfig, description="Pods skipped.")
    wait_for_metadata: bool = Field(
        False, description="Start only after the first list of pods arrived.")
    wait_for_metadata_timeout: Duration = Field(
        10.0, description="How long start waits with wait_for_metadata before failing.")
    max_pods: int = Field(100_000, ge=1,
                          description="otelpy: bound of the pod cache (more are counted, "
                                      "not kept).")

    def validate_config(self) -> list[str]:
        problems = [f'extract.metadata: unknown field "{m}"'
                    for m in self.extract.metadata if m not in METADATA_FIELDS]
        for section in ("labels", "annotations"):
            for i, rule in enumerate(getattr(self.extract, section)):
                where = f"extract.{section}[{i}]"
                if bool(rule.key) == bool(rule.key_regex):
                    problems.append(f"{where}: set exactly one of key and key_regex")
                elif rule.key_regex:
                    try:
                        re.compile(rule.key_regex)
                    except re.error as exc:
                        problems.append(f"{where}.key_regex: {exc}")
        for i, rule in enumerate(self.pod_association):
            for j, src in enumerate(rule.sources):
                if src.from_ == "resource_attribute" and not src.name:
                    problems.append(f"pod_association[{i}].sources[{j}]: name is required "
                                    "with from: resource_attribute")
        return problems

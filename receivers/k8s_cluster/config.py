"""Configuration of the k8s_cluster receiver (the Collector's k8sclusterreceiver keys)."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, Field, create_model

from otelpy.config.types import ConfigModel, Duration
from otelpy.k8swatch import K8sAPIConfig
from otelpy.receivers.k8s_cluster.metadata import METRICS, RESOURCE_ATTRIBUTES

__all__ = ["K8sClusterConfig"]


class EnabledByDefault(ConfigModel):
    enabled: bool = Field(default=True, description="Whether it is emitted.")


class DisabledByDefault(ConfigModel):
    enabled: bool = Field(default=False, description="Whether it is emitted.")


def _key(name: str) -> str:
    return re.sub(r"\W", "_", name)


def _toggles(model: str, entries: list[tuple[str, bool, str]]) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for name, enabled, description in entries:
        kind = EnabledByDefault if enabled else DisabledByDefault
        fields[_key(name)] = (kind, Field(default_factory=kind, alias=name,
                                          description=description))
    return create_model(model, __base__=ConfigModel, **fields)


K8sClusterMetrics = _toggles("K8sClusterMetrics",
                             [(m.name, m.enabled, m.description) for m in METRICS])
K8sClusterResourceAttributes = _toggles("K8sClusterResourceAttributes", RESOURCE_ATTRIBUTES)


class K8sClusterConfig(K8sAPIConfig):
    """``receivers: k8s_cluster:`` settings."""

    collection_interval: Duration = Field(
        10.0, gt=0, description="How often a snapshot of the watched objects is sent.")
    node_conditions_to_report: list[str] = Field(
        default_factory=lambda: ["Ready"],
        description="Node condition types, each sent as k8s.node.condition_<type in "
                    "snake_case> (1 true, 0 false, -1 unknown or absent): Ready, "
                    "MemoryPressure, DiskPressure, PIDPressure, NetworkUnavailable or any "
                    "custom condition type.")
    allocatable_types_to_report: list[str] = Field(
        default_factory=list,
        description="Node allocatable resources, each sent as k8s.node.allocatable_<type "
                    "in snake_case>: cpu (cores, a double), memory, ephemeral-storage, "
                    "storage (bytes), pods or any other resource name.")
    namespace: str = Field(
        "", description="Watch only this namespace (added to namespaces); cluster-scoped "
                        "kinds (nodes, namespaces) are not watched then.")
    namespaces: list[str] = Field(
        default_factory=list,
        description="Watch only these namespaces (empty = the whole cluster); cluster-scoped "
                    "kinds (nodes, namespaces) are not watched then.")
    distribution: Literal["kubernetes", "openshift"] = Field(
        "kubernetes", description="Accepted; otelpy does not read OpenShift cluster quotas.")
    metadata_exporters: list[str] = Field(
        default_factory=list,
        description="Accepted for compatibility; otelpy sends no entity metadata (a warning "
                    "is logged when set).")
    metadata_collection_interval: Duration = Field(
        300.0, description="Accepted for compatibility (entity metadata is not sent).")
    max_objects: int = Field(100_000, ge=1,
                             description="otelpy: bound of each kind's object cache.")
    metrics: K8sClusterMetrics = Field(  # type: ignore[valid-type]
        default_factory=K8sClusterMetrics, description="`metrics::<name>::enabled` toggles.")
    resource_attributes: K8sClusterResourceAttributes = Field(  # type: ignore[valid-type]
        default_factory=K8sClusterResourceAttributes,
        description="`resource_attributes::<name>::enabled` toggles.")

    def metric_enabled(self, name: str) -> bool:
        toggle = getattr(self.metrics, _key(name), None)
        return True if toggle is None else bool(toggle.enabled)

    def attribute_enabled(self, name: str) -> bool:
        return bool(getattr(self.resource_attributes, _key(name)).enabled)

    def watched_namespaces(self) -> list[str]:
        """The namespaces to watch; empty = the whole cluster."""
        out = list(self.namespaces)
        if self.namespace and self.namespace not in out:
            out.append(self.namespace)
        return out

"""Configuration of the k8sobjects receiver (the Collector's k8sobjectsreceiver keys)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from otelpy.config.types import ConfigModel, Duration
from otelpy.k8swatch import K8sAPIConfig


class ObjectsConfig(ConfigModel):
    """One ``objects:`` entry: a resource to pull or watch."""

    name: str = Field(description="The resource's plural name: pods, events, deployments.")
    group: str = Field("", description="API group (empty = the core group; e.g. apps, "
                                       "events.k8s.io).")
    version: str = Field("v1", description="otelpy: API version within the group.")
    mode: Literal["pull", "watch"] = Field("pull", description="pull lists every interval; "
                                                               "watch streams changes.")
    interval: Duration = Field(3600.0, description="With pull: time between lists.")
    namespaces: list[str] = Field(default_factory=list,
                                  description="Namespaces to read (empty = all).")
    label_selector: str = Field("", description="Label selector sent to the API server.")
    field_selector: str = Field("", description="Field selector sent to the API server.")
    resource_version: str = Field(
        "", description="With watch: start from this resourceVersion (empty = the current "
                        "one, so only changes from now on are emitted).")
    exclude_watch_type: list[Literal["ADDED", "MODIFIED", "DELETED"]] = Field(
        default_factory=list, description="With watch: event types not emitted.")


class K8sObjectsConfig(K8sAPIConfig):
    """``receivers: k8sobjects:`` settings."""

    objects: list[ObjectsConfig] = Field(description="The resources to collect.")
    max_objects: int = Field(100_000, ge=1, description="otelpy: bound of each watch's "
                                                         "object cache.")

    def validate_config(self) -> list[str]:
        return [f"objects[{i}].interval: must be positive" for i, o in enumerate(self.objects)
                if o.mode == "pull" and o.interval <= 0]

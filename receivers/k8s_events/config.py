"""Configuration of the k8s_events receiver (the Collector's k8seventsreceiver keys)."""

from __future__ import annotations

from pydantic import Field

from otelpy.k8swatch import K8sAPIConfig


class K8sEventsConfig(K8sAPIConfig):
    """``receivers: k8s_events:`` settings."""

    namespaces: list[str] = Field(
        default_factory=list,
        description="Namespaces to watch for events, one watch each (empty = all "
                    "namespaces, one cluster-wide watch).")
    max_objects: int = Field(
        100_000, ge=1,
        description="otelpy: bound of each watch's cache of the events it saw (what makes "
                    "a 410 relist emit only new and changed events); an event beyond it is "
                    "counted and not emitted.")

    def validate_config(self) -> list[str]:
        return [f"namespaces[{i}]: must not be empty" for i, ns in enumerate(self.namespaces)
                if not ns]

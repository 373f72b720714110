"""The ``k8s_cluster`` receiver (the Collector's k8sclusterreceiver): watches the cluster's
objects (pods and their containers, nodes, namespaces, deployments, replicasets,
statefulsets, daemonsets, jobs, cronjobs, HPAs, replication controllers, resource quotas)
and sends their state as the Collector's k8s.* metrics every collection_interval."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from otelpy.component import Factory, Kind, Settings, Signal, Stability
from otelpy.consumer import Consumer
from otelpy.receivers.k8s_cluster.config import K8sClusterConfig


def _create(settings: Settings, cfg: K8sClusterConfig,
            consumers: Mapping[Signal, Consumer]) -> Any:
    from otelpy.receivers.k8s_cluster.receiver import K8sClusterReceiver

    return K8sClusterReceiver(settings, cfg, consumers[Signal.METRICS])


factory = Factory(
    type="k8s_cluster",
    kind=Kind.RECEIVER,
    config_type=K8sClusterConfig,
    create=_create,
    stability={"metrics": Stability.BETA},
    description="Kubernetes cluster state (pods, containers, nodes, workloads) as the "
                "Collector's k8s.* metrics, from watched caches",
)

__all__ = ["factory", "K8sClusterConfig"]

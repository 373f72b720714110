"""Resource attributes -> Datadog tags and hostname, as Datadog's exporter maps them
(mapping-go ``attributes.TagsFromAttributes`` and the source provider)."""

from __future__ import annotations

import socket
from collections.abc import Iterable
from typing import Any

from otelpy.pdata.asstring import as_string
from otelpy.pdata.values import to_value

__all__ = ["host_of", "resource_tags", "system_hostname"]

_MAPPED = {
    "deployment.environment": "env", "deployment.environment.name": "env",
    "service.name": "service", "service.version": "version",
    "container.id": "container_id", "container.name": "container_name",
    "container.image.name": "image_name", "container.image.tag": "image_tag",
    "container.runtime": "runtime",
    "cloud.provider": "cloud_provider", "cloud.region": "region",
    "cloud.availability_zone": "zone",
    "aws.ecs.task.family": "task_family", "aws.ecs.task.arn": "task_arn",
    "aws.ecs.cluster.arn": "ecs_cluster_name", "aws.ecs.task.revision": "task_version",
    "aws.ecs.container.arn": "ecs_container_name",
    "k8s.container.name": "kube_container_name", "k8s.cluster.name": "kube_cluster_name",
    "k8s.deployment.name": "kube_deployment", "k8s.replicaset.name": "kube_replica_set",
    "k8s.statefulset.name": "kube_stateful_set", "k8s.daemonset.name": "kube_daemon_set",
    "k8s.job.name": "kube_job", "k8s.cronjob.name": "kube_cronjob",
    "k8s.namespace.name": "kube_namespace", "k8s.pod.name": "pod_name",
    "tags.datadoghq.com/env": "env", "tags.datadoghq.com/service": "service",
    "tags.datadoghq.com/version": "version",
    "app.kubernetes.io/name": "kube_app_name", "app.kubernetes.io/instance": "kube_app_instance",
    "app.kubernetes.io/version": "kube_app_version",
    "app.kubernetes.io/part-of": "kube_app_part_of",
    "app.kubernetes.io/managed-by": "kube_app_managed_by",
}
_CONTAINER_TAG_PREFIX = "datadog.container.tag."
_HOST_KEYS = ("datadog.host.name", "host.name")


def resource_tags(attributes: Iterable[Any], all_attributes: bool) -> tuple[str, ...]:
    """Mapped tags (service, env, version, container, cloud, Kubernetes, custom
    ``datadog.container.tag.*``), plus every attribute as ``key:value`` when asked."""
    tags: list[str] = []
    for kv in attributes:
        value = to_value(kv.value)
        mapped = _MAPPED.get(kv.key)
        if mapped and isinstance(value, str) and value:
            tags.append(f"{mapped}:{value}")
        elif kv.key.startswith(_CONTAINER_TAG_PREFIX) and isinstance(value, str) and value:
            tags.append(f"{kv.key[len(_CONTAINER_TAG_PREFIX):]}:{value}")
        if all_attributes:
            tags.append(f"{kv.key}:{as_string(value)}")
    return tuple(tags)


def host_of(attributes: Iterable[Any], fallback: str) -> str:
    """``datadog.host.name``, else ``host.name``, else ``fallback``."""
    found = {kv.key: to_value(kv.value) for kv in attributes if kv.key in _HOST_KEYS}
    for key in _HOST_KEYS:
        value = found.get(key)
        if isinstance(value, str) and value:
            return value
    return fallback


def system_hostname() -> str:
    return socket.gethostname()

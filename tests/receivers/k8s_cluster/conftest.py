"""A fake API server holding cluster.json's objects (realistic, in the API's own JSON)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from otelpy.testing.k8sapi import FakeKubeAPI

#: plural -> (kind, apiVersion)
KIND_NAMES = {"nodes": ("Node", "v1"), "namespaces": ("Namespace", "v1"),
              "pods": ("Pod", "v1"), "replicationcontrollers": ("ReplicationController", "v1"),
              "resourcequotas": ("ResourceQuota", "v1"),
              "deployments": ("Deployment", "apps/v1"), "replicasets": ("ReplicaSet", "apps/v1"),
              "statefulsets": ("StatefulSet", "apps/v1"), "daemonsets": ("DaemonSet", "apps/v1"),
              "jobs": ("Job", "batch/v1"), "cronjobs": ("CronJob", "batch/v1"),
              "horizontalpodautoscalers": ("HorizontalPodAutoscaler", "autoscaling/v2")}


def cluster() -> dict[str, list[dict[str, Any]]]:
    doc: dict[str, list[dict[str, Any]]] = json.loads(
        (Path(__file__).parent / "cluster.json").read_text())
    return doc


async def filled(api: FakeKubeAPI) -> FakeKubeAPI:
    for path, objects in cluster().items():
        api.collection(path, *KIND_NAMES[path.rsplit("/", 1)[1]])
        for obj in objects:
            await api.add(path, obj)
    return api


@pytest.fixture
async def api() -> AsyncIterator[FakeKubeAPI]:
    server = await filled(FakeKubeAPI())
    yield server
    await server.stop()

"""The kubernetes check against the fake API server through a kubeconfig: ready vs desired
deployments, crash-looping pods in details, the API down is a failed check."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from otelpy.clock import SystemClock
from otelpy.probes.base import run_probe
from otelpy.probes.config import KubernetesProbeSettings
from otelpy.probes.kubernetes import KubernetesProbe
from otelpy.testing.k8sapi import FakeKubeAPI, write_kubeconfig

DEPLOYS, PODS = "/apis/apps/v1/deployments", "/api/v1/pods"


def deployment(name: str, ready: int, desired: int = 3) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "app", "uid": f"d-{name}"},
            "spec": {"replicas": desired}, "status": {"readyReplicas": ready}}


def pod(name: str, ready: bool = True, waiting: str = "", restarts: int = 0) -> dict[str, Any]:
    state = {"waiting": {"reason": waiting}} if waiting else {"running": {}}
    return {"metadata": {"name": name, "namespace": "app", "uid": f"p-{name}"},
            "status": {"phase": "Running",
                       "conditions": [{"type": "Ready", "status": str(ready)}],
                       "containerStatuses": [{"name": "main", "state": state,
                                              "restartCount": restarts}]}}


@pytest.fixture
async def api() -> AsyncIterator[FakeKubeAPI]:
    server = FakeKubeAPI()
    server.collection(DEPLOYS, "Deployment", "apps/v1")
    server.collection(PODS, "Pod", "v1")
    yield server
    await server.stop()


async def probe(api: FakeKubeAPI, tmp_path: Path) -> KubernetesProbe:
    url = await api.start()
    return KubernetesProbe(KubernetesProbeSettings.model_validate({
        "auth_type": "kubeConfig", "kubeconfig": str(write_kubeconfig(tmp_path, url)),
        "namespace": "app", "resources": ["deployments", "pods"]}))


async def test_all_ready_is_healthy(api: FakeKubeAPI, tmp_path: Path) -> None:
    await api.add(DEPLOYS, deployment("web", 3))
    await api.add(PODS, pod("web-1"))
    other = deployment("elsewhere", 0)
    other["metadata"]["namespace"] = "other"
    await api.add(DEPLOYS, other)
    p = await probe(api, tmp_path)
    result, _ = await run_probe(p, 10, SystemClock())
    await p.close()
    assert result.status == "healthy", result
    assert result.details["deployments"] == 1 and result.details["deployments_ready"] == 1
    assert result.details["pods_ready"] == 1
    assert all(r.authorization == "Bearer test-token" for r in api.requests)
    assert {r.path for r in api.requests} == {"/apis/apps/v1/namespaces/app/deployments",
                                              "/api/v1/namespaces/app/pods"}


@pytest.mark.parametrize(("ready", "status"), [(1, "critical"), (0, "critical"),
                                                (2, "warning")])
async def test_deployment_short_of_replicas(api: FakeKubeAPI, tmp_path: Path, ready: int,
                                            status: str) -> None:
    await api.add(DEPLOYS, deployment("web", ready))
    p = await probe(api, tmp_path)
    result, _ = await run_probe(p, 10, SystemClock())
    await p.close()
    assert result.status == status
    assert result.details["deployments_not_ready"] == [f"web {ready}/3"]
    assert f"deployment web: {ready}/3 replicas ready" in result.message


async def test_crash_looping_pod_in_details(api: FakeKubeAPI, tmp_path: Path) -> None:
    await api.add(DEPLOYS, deployment("web", 3))
    await api.add(PODS, pod("web-1"))
    await api.add(PODS, pod("web-2", ready=False, waiting="CrashLoopBackOff", restarts=7))
    p = await probe(api, tmp_path)
    result, _ = await run_probe(p, 10, SystemClock())
    await p.close()
    assert result.status == "critical"
    assert result.details["crash_looping"] == ["web-2/main"]
    assert result.details["pods_crash_looping"] == 1
    assert result.details["not_ready"] == ["web-2"]
    assert result.details["restarted"] == ["web-2 7"]


async def test_api_down_is_failed(api: FakeKubeAPI, tmp_path: Path) -> None:
    p = await probe(api, tmp_path)
    await api.stop()
    result, _ = await run_probe(p, 10, SystemClock())
    await p.close()
    assert result.status == "failed"
    assert result.message


async def test_wrong_token_is_failed(api: FakeKubeAPI, tmp_path: Path) -> None:
    api.token = "other"
    p = await probe(api, tmp_path)
    result, _ = await run_probe(p, 10, SystemClock())
    await p.close()
    assert result.status == "failed" and "401" in result.message

"""Kubernetes probe: deployments ready vs desired, pods not ready or crash-looping, in one
namespace, over the k8s components' API connection (:mod:`otelpy.k8swatch`).

Rules (each finding's worst wins): a deployment with 0 ready of >0 desired, or ready/desired
under ``degraded_ready_ratio``, is critical; fewer ready than desired otherwise is warning. A
container waiting in ``CrashLoopBackOff`` is critical; a running or pending pod that is not
Ready, or a container restarted ``restarts_warning`` times or more, is warning. Succeeded and
Failed pods (finished jobs) are not judged. An API that cannot be reached or refuses the list
raises: the runner reports the check failed.
"""

from __future__ import annotations

from typing import Any

from otelpy.k8swatch.client import ApiConnection, JSONObject
from otelpy.probes.config import KubernetesProbeSettings
from otelpy.probes.result import ProbeResult, Status

__all__ = ["KubernetesProbe"]

_PATHS = {"deployments": "/apis/apps/v1/namespaces/{ns}/deployments",
          "pods": "/api/v1/namespaces/{ns}/pods",
          "services": "/api/v1/namespaces/{ns}/services"}
MAX_NAMED = 10  # names listed in details per finding kind

Findings = list[tuple[Status, str]]


def _items(doc: JSONObject) -> list[JSONObject]:
    items = doc.get("items")
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _name(obj: JSONObject) -> str:
    meta = obj.get("metadata")
    return str(meta.get("name", "")) if isinstance(meta, dict) else ""


def _int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def judge_deployments(items: list[JSONObject], ratio: float, details: dict[str, Any],
                      findings: Findings) -> None:
    """Ready vs desired replicas of each deployment."""
    short: list[str] = []
    for dep in items:
        spec, status = dep.get("spec") or {}, dep.get("status") or {}
        desired = _int(spec.get("replicas"), 1)
        ready = _int(status.get("readyReplicas"))
        if ready >= desired:
            continue
        short.append(f"{_name(dep)} {ready}/{desired}")
        bad = ready == 0 or ready / desired < ratio
        findings.append((Status.CRITICAL if bad else Status.WARNING,
                         f"deployment {_name(dep)}: {ready}/{desired} replicas ready"))
    details["deployments"] = len(items)
    details["deployments_ready"] = len(items) - len(short)
    if short:
        details["deployments_not_ready"] = short[:MAX_NAMED]


def _pod_ready(pod: JSONObject) -> bool:
    conditions = (pod.get("status") or {}).get("conditions") or []
    return any(isinstance(c, dict) and c.get("type") == "Ready" and c.get("status") == "True"
               for c in conditions)


def _containers(pod: JSONObject) -> list[JSONObject]:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    return [c for c in statuses if isinstance(c, dict)]


def _crash_looping(pod: JSONObject) -> list[str]:
    return [str(c.get("name", "")) for c in _containers(pod)
            if ((c.get("state") or {}).get("waiting") or {}).get("reason") == "CrashLoopBackOff"]


def judge_pods(items: list[JSONObject], restarts_warning: int, details: dict[str, Any],
               findings: Findings) -> None:
    """Not ready, crash-looping and often restarted pods (finished pods are skipped)."""
    live = [p for p in items
            if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")]
    not_ready, looping, restarted = [], [], []
    for pod in live:
        name = _name(pod)
        for container in _crash_looping(pod):
            looping.append(f"{name}/{container}")
            findings.append((Status.CRITICAL, f"pod {name}: container {container} in "
                                              "CrashLoopBackOff"))
        if not _pod_ready(pod):
            not_ready.append(name)
            findings.append((Status.WARNING, f"pod {name} not ready"))
        restarts = sum(_int(c.get("restartCount")) for c in _containers(pod))
        if restarts_warning and restarts >= restarts_warning:
            restarted.append(f"{name} {restarts}")
            findings.append((Status.WARNING, f"pod {name}: {restarts} restarts"))
    details.update(pods=len(live), pods_ready=len(live) - len(not_ready),
                   pods_crash_looping=len(looping))
    for key, names in (("pods_not_ready", not_ready), ("crash_looping", looping),
                       ("restarted", restarted)):
        if names:
            details[key if key != "pods_not_ready" else "not_ready"] = names[:MAX_NAMED]


class KubernetesProbe:
    """One API connection, opened on the first check (credentials are loaded then)."""

    def __init__(self, settings: KubernetesProbeSettings) -> None:
        self.settings = settings
        self._conn = ApiConnection(settings)
        self._opened = False

    async def _list(self, resource: str) -> list[JSONObject]:
        path = _PATHS[resource].format(ns=self.settings.namespace)
        return _items(await self._conn.get_json(path, {}))

    async def check(self) -> ProbeResult:
        s = self.settings
        if not self._opened:
            await self._conn.open()
            self._opened = True
        details: dict[str, Any] = {"namespace": s.namespace}
        findings: Findings = []
        if "deployments" in s.resources:
            judge_deployments(await self._list("deployments"), s.degraded_ready_ratio,
                              details, findings)
        if "pods" in s.resources:
            judge_pods(await self._list("pods"), s.restarts_warning, details, findings)
        if "services" in s.resources:
            details["services"] = len(await self._list("services"))
        return ProbeResult.worst(findings, details)

    async def close(self) -> None:
        await self._conn.close()

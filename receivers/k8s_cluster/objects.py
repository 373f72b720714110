"""Each watched kind's objects as the Collector's k8s_cluster metrics: one Group (a resource
and its points) per object, container groups for a pod's containers. Pure functions of the
JSON objects; toggles are applied by the receiver."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from otelpy.receivers.k8s_cluster.metadata import METRICS, MetricDef
from otelpy.receivers.k8s_cluster.quantity import milli_value, parse_quantity, value

__all__ = ["KINDS", "Group", "Kind", "image_name_tag", "node_groups", "snake"]

JSON = dict[str, Any]
DEFS = {m.name: m for m in METRICS}
POD_PHASES = {"Pending": 1, "Running": 2, "Succeeded": 3, "Failed": 4, "Unknown": 5}
STATUS_REASONS = {"Evicted": 1, "NodeAffinity": 2, "NodeLost": 3, "Shutdown": 4,
                  "UnexpectedAdmissionError": 5}
CONDITION_VALUES = {"True": 1, "False": 0}
INT64 = 2**63
_RUNTIME_PREFIX = re.compile(r"^\w+://(.+)$")


@dataclass
class Group:
    """One resource's points: (metric, value, point attributes)."""

    resource: dict[str, str]
    points: list[tuple[MetricDef, int | float, dict[str, str]]] = field(default_factory=list)

    def add(self, name: str, amount: Any, **attrs: str) -> None:
        """Add a point; a value that is not a finite int64-range number is left out."""
        if isinstance(amount, (int, float)) and not isinstance(amount, bool) \
                and math.isfinite(amount) and -INT64 <= amount < INT64:
            self.points.append((DEFS[name], amount, attrs))


def _get(obj: Any, *path: str) -> Any:
    for key in path:
        obj = obj.get(key) if isinstance(obj, dict) else None
    return obj


def _list(obj: Any, *path: str) -> list[Any]:
    found = _get(obj, *path)
    return found if isinstance(found, list) else []


def _dict(obj: Any, *path: str) -> JSON:
    found = _get(obj, *path)
    return found if isinstance(found, dict) else {}


def _text(obj: Any, *path: str) -> str:
    """A scalar field as text; "" when absent or not a scalar."""
    found = _get(obj, *path)
    return str(found) if isinstance(found, (str, int, float)) else ""


def _count(obj: Any, *path: str) -> int:
    """An integer field; 0 when absent or not an integer (bad input is not a crash)."""
    found = _get(obj, *path)
    return found if isinstance(found, int) and not isinstance(found, bool) else 0


def _ident(obj: JSON, kind: str) -> dict[str, str]:
    """k8s.namespace.name (when namespaced), k8s.<kind>.name and .uid."""
    out = {f"k8s.{kind}.name": _text(obj, "metadata", "name"),
           f"k8s.{kind}.uid": _text(obj, "metadata", "uid")}
    if _text(obj, "metadata", "namespace"):
        out = {"k8s.namespace.name": _text(obj, "metadata", "namespace"), **out}
    return out


def snake(name: str) -> str:
    """PIDPressure -> pid_pressure, ephemeral-storage -> ephemeral_storage."""
    text = re.sub(r"[^0-9A-Za-z]+", "_", name)
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", text)
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    return text.strip("_").lower()


def image_name_tag(image: str) -> tuple[str, str]:
    """registry/repo:tag@digest -> (registry/repo, tag); no tag -> latest."""
    name = image.split("@", 1)[0]
    repo, sep, tag = name.rpartition(":")
    if sep and "/" not in tag:
        return repo, tag
    return name, "latest"


def _pod(obj: JSON) -> Iterator[Group]:
    resource = {"k8s.namespace.name": _text(obj, "metadata", "namespace"),
                "k8s.node.name": _text(obj, "spec", "nodeName"),
                "k8s.pod.name": _text(obj, "metadata", "name"),
                "k8s.pod.uid": _text(obj, "metadata", "uid")}
    pod = Group({**resource, "k8s.pod.qos_class": _text(obj, "status", "qosClass")})
    pod.add("k8s.pod.phase", POD_PHASES.get(_text(obj, "status", "phase"), 5))
    pod.add("k8s.pod.status_reason", STATUS_REASONS.get(_text(obj, "status", "reason"), 6))
    yield pod
    # as the Collector: a status without a containerID (not created yet) is not used
    statuses = {_text(s, "name"): s for s in _list(obj, "status", "containerStatuses")
                if _text(s, "containerID")}
    for spec in _list(obj, "spec", "containers"):
        if isinstance(spec, dict):
            yield _container(resource, spec, statuses.get(_text(spec, "name")))


_RESOURCES = (("cpu", "cpu"), ("memory", "memory"), ("storage", "storage"),
              ("ephemeral-storage", "ephemeralstorage"))


def _container(pod: dict[str, str], spec: JSON, status: JSON | None) -> Group:
    """Requests and limits from the spec; with a status: container.id, the image (as the
    container runs it), restarts and readiness."""
    container_id = _text(status, "containerID")
    match = _RUNTIME_PREFIX.match(container_id)
    group = Group({**pod, "container.id": match.group(1) if match else container_id,
                   "k8s.container.name": _text(spec, "name")})
    for which in ("requests", "limits"):
        amounts = _dict(spec, "resources", which)
        suffix = "request" if which == "requests" else "limit"
        for key, metric in _RESOURCES:
            amount = parse_quantity(amounts.get(key))
            if amount is not None:
                number = milli_value(amount) / 1000.0 if key == "cpu" else value(amount)
                group.add(f"k8s.container.{metric}_{suffix}", number)
    if status is None:
        return group
    if _text(status, "image"):
        name, tag = image_name_tag(_text(status, "image"))
        group.resource |= {"container.image.name": name, "container.image.tag": tag}
    reason = _text(status, "lastState", "terminated", "reason")
    if reason:
        group.resource["k8s.container.status.last_terminated_reason"] = reason
    group.add("k8s.container.restarts", _count(status, "restartCount"))
    group.add("k8s.container.ready", 1 if status.get("ready") is True else 0)
    return group


def _counts(kind: str, spec_key: str, desired: str, pairs: tuple[tuple[str, str], ...],
            ) -> Callable[[JSON], Iterator[Group]]:
    """A kind whose metrics are ``spec.<spec_key>`` (1 when unset: the API's default) and
    status counters (0 when unset)."""
    def groups(obj: JSON) -> Iterator[Group]:
        group = Group(_ident(obj, kind))
        wanted = _get(obj, "spec", spec_key)
        group.add(desired, 1 if wanted is None else wanted)
        for metric, status_key in pairs:
            group.add(metric, _count(obj, "status", status_key))
        yield group
    return groups


def _statefulset(obj: JSON) -> Iterator[Group]:
    if _get(obj, "spec", "replicas") is None:
        return
    yield from _counts("statefulset", "replicas", "k8s.statefulset.desired_pods", (
        ("k8s.statefulset.ready_pods", "readyReplicas"),
        ("k8s.statefulset.current_pods", "currentReplicas"),
        ("k8s.statefulset.updated_pods", "updatedReplicas")))(obj)


def _daemonset(obj: JSON) -> Iterator[Group]:
    group = Group(_ident(obj, "daemonset"))
    for metric, key in (("current_scheduled_nodes", "currentNumberScheduled"),
                        ("desired_scheduled_nodes", "desiredNumberScheduled"),
                        ("misscheduled_nodes", "numberMisscheduled"),
                        ("ready_nodes", "numberReady")):
        group.add(f"k8s.daemonset.{metric}", _count(obj, "status", key))
    yield group


def _job(obj: JSON) -> Iterator[Group]:
    group = Group(_ident(obj, "job"))
    group.add("k8s.job.active_pods", _count(obj, "status", "active"))
    group.add("k8s.job.desired_successful_pods", _get(obj, "spec", "completions"))
    group.add("k8s.job.failed_pods", _count(obj, "status", "failed"))
    group.add("k8s.job.max_parallel_pods", _get(obj, "spec", "parallelism"))
    group.add("k8s.job.successful_pods", _count(obj, "status", "succeeded"))
    yield group


def _cronjob(obj: JSON) -> Iterator[Group]:
    group = Group(_ident(obj, "cronjob"))
    group.add("k8s.cronjob.active_jobs", len(_list(obj, "status", "active")))
    yield group


def _hpa(obj: JSON) -> Iterator[Group]:
    group = Group(_ident(obj, "hpa"))
    group.add("k8s.hpa.max_replicas", _get(obj, "spec", "maxReplicas"))
    minimum = _get(obj, "spec", "minReplicas")
    group.add("k8s.hpa.min_replicas", 1 if minimum is None else minimum)  # the API's default
    group.add("k8s.hpa.current_replicas", _count(obj, "status", "currentReplicas"))
    group.add("k8s.hpa.desired_replicas", _count(obj, "status", "desiredReplicas"))
    yield group


def _namespace(obj: JSON) -> Iterator[Group]:
    group = Group({"k8s.namespace.name": _text(obj, "metadata", "name"),
                   "k8s.namespace.uid": _text(obj, "metadata", "uid")})
    group.add("k8s.namespace.phase", 1 if _get(obj, "status", "phase") == "Active" else 0)
    yield group


def _resourcequota(obj: JSON) -> Iterator[Group]:
    group = Group(_ident(obj, "resourcequota"))
    for which, metric in (("hard", "k8s.resource_quota.hard_limit"),
                          ("used", "k8s.resource_quota.used")):
        for name, text in sorted(_dict(obj, "status", which).items()):
            amount = parse_quantity(text)
            if amount is not None:
                cpu = name == "cpu" or name.endswith(".cpu")
                group.add(metric, milli_value(amount) if cpu else value(amount),
                          resource=str(name))
    yield group


@dataclass(frozen=True)
class Kind:
    """A watched collection: its plural, API group/version, scope and metrics."""

    plural: str
    api: str  # "v1" (core) or "group/version"
    namespaced: bool
    groups: Callable[[JSON], Iterator[Group]]

    def path(self, namespace: str = "") -> str:
        base = f"/api/{self.api}" if "/" not in self.api else f"/apis/{self.api}"
        return f"{base}/namespaces/{namespace}/{self.plural}" if namespace else \
            f"{base}/{self.plural}"


KINDS: list[Kind] = [
    Kind("namespaces", "v1", False, _namespace),
    Kind("pods", "v1", True, _pod),
    Kind("replicationcontrollers", "v1", True, _counts(
        "replicationcontroller", "replicas", "k8s.replication_controller.desired",
        (("k8s.replication_controller.available", "availableReplicas"),))),
    Kind("resourcequotas", "v1", True, _resourcequota),
    Kind("deployments", "apps/v1", True, _counts(
        "deployment", "replicas", "k8s.deployment.desired",
        (("k8s.deployment.available", "availableReplicas"),))),
    Kind("replicasets", "apps/v1", True, _counts(
        "replicaset", "replicas", "k8s.replicaset.desired",
        (("k8s.replicaset.available", "availableReplicas"),))),
    Kind("statefulsets", "apps/v1", True, _statefulset),
    Kind("daemonsets", "apps/v1", True, _daemonset),
    Kind("jobs", "batch/v1", True, _job),
    Kind("cronjobs", "batch/v1", True, _cronjob),
    Kind("horizontalpodautoscalers", "autoscaling/v2", True, _hpa),
]


def _allocatable_unit(resource: str) -> str:
    if resource == "cpu":
        return "{cpu}"
    if resource in ("memory", "ephemeral-storage", "storage"):
        return "By"
    return "{pod}" if resource == "pods" else "{" + resource + "}"


def node_groups(obj: JSON, conditions: list[str], allocatable: list[str]) -> Iterator[Group]:
    """A node's metrics: k8s.node.condition_<type> for each of ``conditions`` (1, 0, -1 when
    unknown or absent), k8s.node.allocatable_<type> for each of ``allocatable`` it has, and
    k8s.node.condition (off by default) for every condition it reports."""
    info = _dict(obj, "status", "nodeInfo")
    runtime, _, version = _text(info, "containerRuntimeVersion").partition("://")
    resource = {"k8s.node.name": _text(obj, "metadata", "name"),
                "k8s.node.uid": _text(obj, "metadata", "uid"),
                "k8s.kubelet.version": _text(info, "kubeletVersion"),
                "os.type": _text(info, "operatingSystem"),
                "os.description": _text(info, "osImage")}
    if runtime and version:
        resource |= {"container.runtime": runtime, "container.runtime.version": version}
    group = Group(resource)
    states = {_text(c, "type"): _text(c, "status") for c in _list(obj, "status", "conditions")}
    for kind, status in states.items():
        group.add("k8s.node.condition", CONDITION_VALUES.get(status, -1), condition=kind)
    for kind in conditions:
        metric = MetricDef(f"k8s.node.condition_{snake(kind)}", "",
                           f"{kind} condition status of the node (true=1, false=0, "
                           "unknown=-1)")
        group.points.append((metric, CONDITION_VALUES.get(states.get(kind, ""), -1), {}))
    amounts = _dict(obj, "status", "allocatable")
    for kind in allocatable:
        amount = parse_quantity(amounts.get(kind))
        if amount is None:
            continue
        metric = MetricDef(f"k8s.node.allocatable_{snake(kind)}", _allocatable_unit(kind),
                           f"Amount of {kind} allocatable on the node", double=kind == "cpu")
        number = milli_value(amount) / 1000.0 if kind == "cpu" else value(amount)
        if -INT64 <= number < INT64:
            group.points.append((metric, number, {}))
    yield group

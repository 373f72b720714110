"""The k8s_cluster receiver's object -> metric rules on realistic objects (cluster.json, in
the API's own JSON): values, units, value types and resource attributes as the Collector
makes them, quantities, image names and the node condition / allocatable metrics."""

from __future__ import annotations

import json
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from otelpy.receivers.k8s_cluster.metadata import METRICS
from otelpy.receivers.k8s_cluster.objects import KINDS, Group, image_name_tag, node_groups, snake
from otelpy.receivers.k8s_cluster.quantity import milli_value, parse_quantity, value

CLUSTER: dict[str, list[dict[str, Any]]] = json.loads(
    (Path(__file__).parent / "cluster.json").read_text())


def groups(plural: str) -> list[Group]:
    kind = next(k for k in KINDS if k.plural == plural)
    return [g for obj in CLUSTER[kind.path()] for g in kind.groups(obj)]


def values(group: Group) -> dict[str, int | float]:
    return {d.name + "".join(f"[{v}]" for v in attrs.values()): amount
            for d, amount, attrs in group.points}


@pytest.mark.parametrize(("text", "exact"), [
    ("250m", Fraction(1, 4)), ("1", Fraction(1)), ("128Mi", Fraction(128 * 2**20)),
    ("64M", Fraction(64_000_000)), ("1.5", Fraction(3, 2)), ("1e3", Fraction(1000)),
    ("15842276Ki", Fraction(15842276 * 1024)), (".5Gi", Fraction(2**29)), (4, Fraction(4)),
    ("100n", Fraction(1, 10**7)), ("bad", None), ("1Xi", None), ("", None), (True, None),
    (None, None), ("1e400", None)])
def test_quantities(text: object, exact: Fraction | None) -> None:
    assert parse_quantity(text) == exact


def test_quantities_round_up_as_the_api_does() -> None:
    assert value(Fraction(1, 4)) == 1
    assert milli_value(Fraction(1, 10**7)) == 1
    assert milli_value(Fraction(3920, 1000)) == 3920


@pytest.mark.parametrize(("image", "name", "tag"), [
    ("ghcr.io/acme/web:1.4.2", "ghcr.io/acme/web", "1.4.2"),
    ("acme/worker", "acme/worker", "latest"),
    ("localhost:5000/app:dev", "localhost:5000/app", "dev"),
    ("localhost:5000/app", "localhost:5000/app", "latest"),
    ("envoyproxy/envoy@sha256:4f1e8c2b", "envoyproxy/envoy", "latest"),
    ("nginx:1.27@sha256:4f1e", "nginx", "1.27")])
def test_image_name_and_tag(image: str, name: str, tag: str) -> None:
    assert image_name_tag(image) == (name, tag)


def test_snake_case_as_the_collector_names_node_metrics() -> None:
    assert [snake(s) for s in ("Ready", "MemoryPressure", "PIDPressure", "NetworkUnavailable",
                               "ephemeral-storage", "KernelDeadlock")] == [
        "ready", "memory_pressure", "pid_pressure", "network_unavailable", "ephemeral_storage",
        "kernel_deadlock"]


def test_pods_and_containers() -> None:
    found = groups("pods")
    web_pod, web, proxy, worker_pod, worker, pending_pod, pending = found
    assert web_pod.resource == {"k8s.namespace.name": "shop", "k8s.node.name": "node-a",
                                "k8s.pod.name": "web-7d4b9c-x2k4p", "k8s.pod.uid": "p-web",
                                "k8s.pod.qos_class": "Burstable"}
    assert values(web_pod) == {"k8s.pod.phase": 2, "k8s.pod.status_reason": 6}
    assert values(pending_pod)["k8s.pod.phase"] == 1
    assert web.resource == {"k8s.namespace.name": "shop", "k8s.node.name": "node-a",
                            "k8s.pod.name": "web-7d4b9c-x2k4p", "k8s.pod.uid": "p-web",
                            "container.id": "0a1b2c3d4e5f", "k8s.container.name": "web",
                            "container.image.name": "ghcr.io/acme/web",
                            "container.image.tag": "1.4.2"}
    # the image as the status reports it (the spec's digest form is not used)
    assert (proxy.resource["container.image.name"],
            proxy.resource["container.image.tag"]) == ("envoyproxy/envoy", "latest")
    assert values(web) == {
        "k8s.container.cpu_request": 0.25, "k8s.container.memory_request": 128 * 2**20,
        "k8s.container.cpu_limit": 1.0, "k8s.container.memory_limit": 256 * 2**20,
        "k8s.container.ephemeralstorage_limit": 2**30,
        "k8s.container.restarts": 0, "k8s.container.ready": 1}
    assert values(proxy) == {"k8s.container.restarts": 1, "k8s.container.ready": 1}
    # the crash-looping container: restarts, not ready, its last termination's reason
    assert values(worker) == {"k8s.container.cpu_request": 0.1,
                              "k8s.container.memory_request": 64_000_000,
                              "k8s.container.restarts": 7, "k8s.container.ready": 0}
    assert worker.resource["container.id"] == "deadbeef"
    assert worker.resource["k8s.container.status.last_terminated_reason"] == "Error"
    assert worker_pod.resource["k8s.node.name"] == "node-b"
    # not created yet: no status, so an empty container.id, no image, restarts or ready
    assert pending.resource["container.id"] == ""
    assert "container.image.name" not in pending.resource
    assert values(pending) == {}
    assert pending.resource["k8s.node.name"] == ""


def test_workloads() -> None:
    (deployment,) = groups("deployments")
    assert deployment.resource == {"k8s.namespace.name": "shop", "k8s.deployment.name": "web",
                                   "k8s.deployment.uid": "d-web"}
    assert values(deployment) == {"k8s.deployment.desired": 3, "k8s.deployment.available": 2}
    assert values(groups("replicasets")[0]) == {"k8s.replicaset.desired": 3,
                                                "k8s.replicaset.available": 2}
    assert values(groups("statefulsets")[0]) == {
        "k8s.statefulset.desired_pods": 3, "k8s.statefulset.ready_pods": 2,
        "k8s.statefulset.current_pods": 3, "k8s.statefulset.updated_pods": 1}
    (daemonset,) = groups("daemonsets")
    assert daemonset.resource["k8s.daemonset.name"] == "otelpy-agent"
    assert values(daemonset) == {
        "k8s.daemonset.current_scheduled_nodes": 2, "k8s.daemonset.desired_scheduled_nodes": 2,
        "k8s.daemonset.misscheduled_nodes": 0, "k8s.daemonset.ready_nodes": 1}
    (job,) = groups("jobs")
    assert job.resource == {"k8s.namespace.name": "shop", "k8s.job.name": "migrate-29301",
                            "k8s.job.uid": "j-migrate"}
    assert values(job) == {"k8s.job.active_pods": 2, "k8s.job.desired_successful_pods": 5,
                           "k8s.job.failed_pods": 1, "k8s.job.max_parallel_pods": 2,
                           "k8s.job.successful_pods": 2}
    assert values(groups("cronjobs")[0]) == {"k8s.cronjob.active_jobs": 1}
    (hpa,) = groups("horizontalpodautoscalers")
    assert hpa.resource["k8s.hpa.uid"] == "hpa-web"
    assert values(hpa) == {"k8s.hpa.max_replicas": 10, "k8s.hpa.min_replicas": 2,
                           "k8s.hpa.current_replicas": 3, "k8s.hpa.desired_replicas": 4}


def test_a_status_without_container_id_is_not_used() -> None:
    pod = {"metadata": {"name": "p", "namespace": "n", "uid": "u"},
           "spec": {"containers": [{"name": "c", "image": "x:1"}]},
           "status": {"phase": "Pending", "containerStatuses": [
               {"name": "c", "ready": False, "restartCount": 0, "image": "x:1",
                "state": {"waiting": {"reason": "ContainerCreating"}}}]}}
    _, container = next(k for k in KINDS if k.plural == "pods").groups(pod)
    assert values(container) == {}
    assert container.resource["container.id"] == ""


def test_optional_spec_fields_are_left_out() -> None:
    kinds = {k.plural: k for k in KINDS}
    job = {"metadata": {"name": "j", "namespace": "n", "uid": "u"}, "spec": {}, "status": {}}
    (group,) = kinds["jobs"].groups(job)
    assert values(group) == {"k8s.job.active_pods": 0, "k8s.job.failed_pods": 0,
                             "k8s.job.successful_pods": 0}
    sts = {"metadata": {"name": "s", "namespace": "n", "uid": "u"}, "spec": {}}
    assert list(kinds["statefulsets"].groups(sts)) == []
    # replicas / minReplicas unset: the API server's default of 1
    bare = {"metadata": {"name": "d", "namespace": "n", "uid": "u"}}
    (group,) = kinds["deployments"].groups(bare)
    assert values(group) == {"k8s.deployment.desired": 1, "k8s.deployment.available": 0}
    (group,) = kinds["horizontalpodautoscalers"].groups(
        {**bare, "spec": {"maxReplicas": 4}})
    assert values(group) == {"k8s.hpa.max_replicas": 4, "k8s.hpa.min_replicas": 1,
                             "k8s.hpa.current_replicas": 0, "k8s.hpa.desired_replicas": 0}


def test_namespaces_and_quotas() -> None:
    assert [(g.resource, values(g)) for g in groups("namespaces")] == [
        ({"k8s.namespace.name": "default", "k8s.namespace.uid": "ns-default"},
         {"k8s.namespace.phase": 1}),
        ({"k8s.namespace.name": "shop", "k8s.namespace.uid": "ns-shop"},
         {"k8s.namespace.phase": 1}),
        ({"k8s.namespace.name": "old", "k8s.namespace.uid": "ns-old"},
         {"k8s.namespace.phase": 0})]
    (quota,) = groups("resourcequotas")
    assert values(quota) == {
        "k8s.resource_quota.hard_limit[pods]": 20,
        "k8s.resource_quota.hard_limit[requests.cpu]": 4000,
        "k8s.resource_quota.hard_limit[requests.memory]": 8 * 2**30,
        "k8s.resource_quota.used[pods]": 3, "k8s.resource_quota.used[requests.cpu]": 350,
        "k8s.resource_quota.used[requests.memory]": 192 * 2**20}


def test_nodes_conditions_and_allocatable() -> None:
    node_a, node_b = CLUSTER["/api/v1/nodes"]
    (ready,) = node_groups(node_a, ["Ready", "MemoryPressure", "NetworkUnavailable"],
                           ["cpu", "memory", "ephemeral-storage", "pods", "storage"])
    assert ready.resource == {"k8s.node.name": "node-a", "k8s.node.uid": "n-a",
                              "k8s.kubelet.version": "v1.30.2", "os.type": "linux",
                              "os.description": "Ubuntu 22.04.4 LTS",
                              "container.runtime": "containerd",
                              "container.runtime.version": "1.7.18"}
    got = values(ready)
    assert {k: v for k, v in got.items() if not k.startswith("k8s.node.condition[")} == {
        "k8s.node.condition_ready": 1, "k8s.node.condition_memory_pressure": 0,
        "k8s.node.condition_network_unavailable": -1,  # not reported by the node
        "k8s.node.allocatable_cpu": 3.92, "k8s.node.allocatable_memory": 15842276 * 1024,
        "k8s.node.allocatable_ephemeral_storage": 95551679124,
        "k8s.node.allocatable_pods": 110}  # storage: the node has none, left out
    assert got["k8s.node.condition[PIDPressure]"] == 0
    units = {d.name: (d.unit, d.double) for d, _, _ in ready.points}
    assert units["k8s.node.allocatable_cpu"] == ("{cpu}", True)
    assert units["k8s.node.allocatable_memory"] == ("By", False)
    assert units["k8s.node.allocatable_pods"] == ("{pod}", False)
    assert units["k8s.node.condition_ready"] == ("", False)
    (not_ready,) = node_groups(node_b, ["Ready", "MemoryPressure"], [])
    assert values(not_ready) == {"k8s.node.condition[MemoryPressure]": -1,
                                 "k8s.node.condition[Ready]": 0,
                                 "k8s.node.condition_ready": 0,
                                 "k8s.node.condition_memory_pressure": -1}


def test_metadata_matches_the_collector() -> None:
    """Units, value types and default toggles as the Collector's metadata.yaml has them."""
    table = {m.name: (m.unit, m.double, m.enabled) for m in METRICS}
    assert table["k8s.container.cpu_request"] == ("{cpu}", True, True)
    assert table["k8s.container.memory_limit"] == ("By", False, True)
    assert table["k8s.container.restarts"] == ("{restart}", False, True)
    assert table["k8s.container.ready"] == ("", False, True)
    assert table["k8s.pod.phase"] == ("", False, True)
    assert table["k8s.pod.status_reason"] == ("", False, False)
    assert table["k8s.node.condition"] == ("{condition}", False, False)
    assert table["k8s.cronjob.active_jobs"] == ("{job}", False, True)
    assert table["k8s.daemonset.ready_nodes"] == ("{node}", False, True)
    assert table["k8s.resource_quota.used"] == ("{resource}", False, True)
    assert len(table) == 40


GARBAGE: list[Any] = [None, "x", [], {}, True, 2**70, -1, 1.5, float("nan"), [{"a": 1}]]


def _variants(obj: Any) -> Iterator[Any]:
    """``obj`` with each one of its values (at any depth) replaced by each GARBAGE value."""
    if isinstance(obj, dict):
        for key, child in obj.items():
            for bad in GARBAGE:
                yield {**obj, key: bad}
            for variant in _variants(child):
                yield {**obj, key: variant}
    elif isinstance(obj, list):
        for index, child in enumerate(obj):
            for variant in _variants(child):
                yield obj[:index] + [variant] + obj[index + 1:]


def test_malformed_objects_never_raise() -> None:
    """Any field of any kind's object turned into garbage: metrics still come out (or are
    left out), never an exception that would stop the snapshots."""
    checked = 0
    for path, objects in CLUSTER.items():
        plural = path.rsplit("/", 1)[1]
        kind = next((k for k in KINDS if k.plural == plural), None)
        for obj in objects:
            for variant in _variants(obj):
                found = (list(node_groups(variant, ["Ready", "X"], ["cpu", "memory"]))
                         if kind is None else list(kind.groups(variant)))
                for group in found:
                    assert all(isinstance(v, str) for v in group.resource.values())
                    assert all(-2**63 <= p[1] < 2**63 for p in group.points)
                checked += 1
    assert checked > 2500

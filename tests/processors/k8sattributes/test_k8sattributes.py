"""k8sattributes against the fake API server: association by IP, UID and name+namespace,
metadata through the ReplicaSet owner, labels/annotations, filters sent as selectors,
pod changes followed, existing attributes kept, config validation."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.pdata.build import RequestBuilder
from otelpy.pdata.values import Attributes
from otelpy.processors.k8sattributes import K8sAttributesConfig, factory
from otelpy.processors.k8sattributes.processor import pod_watch
from otelpy.telemetry import Telemetry
from otelpy.testing.k8sapi import FakeKubeAPI, write_kubeconfig
from otelpy.testing.polling import until
from otelpy.testing.sink import FakeHost, SinkConsumer

PODS, RS, NS = "/api/v1/pods", "/apis/apps/v1/replicasets", "/api/v1/namespaces"

POD: dict[str, Any] = {
    "metadata": {"name": "web-7d9f-abcde", "namespace": "shop", "uid": "pod-1",
                 "labels": {"app": "web", "app.kubernetes.io/component": "frontend"},
                 "annotations": {"team": "checkout"},
                 "ownerReferences": [{"kind": "ReplicaSet", "name": "web-7d9f",
                                      "uid": "rs-1", "apiVersion": "apps/v1"}]},
    "spec": {"nodeName": "node-a", "containers": [
        {"name": "app", "image": "ghcr.io/acme/web:1.4.2"}]},
    "status": {"podIP": "10.1.2.3", "startTime": "2026-12-01T10:00:00Z",
               "containerStatuses": [{"name": "app", "containerID": "containerd://c0ffee"}]}}
REPLICASET = {"metadata": {"name": "web-7d9f", "namespace": "shop", "uid": "rs-1",
                           "ownerReferences": [{"kind": "Deployment", "name": "web",
                                                "uid": "dep-1"}]}}
NAMESPACE = {"metadata": {"name": "shop", "uid": "ns-1", "labels": {"tier": "gold"}}}


@pytest.fixture
async def api() -> AsyncIterator[FakeKubeAPI]:
    server = FakeKubeAPI()
    server.collection(PODS, "Pod", "v1")
    server.collection(RS, "ReplicaSet", "apps/v1")
    server.collection(NS, "Namespace", "v1")
    await server.add(PODS, POD)
    await server.add(RS, REPLICASET)
    await server.add(NS, NAMESPACE)
    yield server
    await server.stop()


async def _processor(api: FakeKubeAPI, tmp_path: Path, **cfg: Any) -> tuple[Any, SinkConsumer]:
    url = await api.start()
    config = K8sAttributesConfig.model_validate(
        {"auth_type": "kubeConfig", "kubeconfig": str(write_kubeconfig(tmp_path, url)),
         "wait_for_metadata": True, **cfg})
    assert config.validate_config() == []
    sink = SinkConsumer()
    settings = Settings(ComponentID("k8sattributes"), Kind.PROCESSOR, logging.getLogger("t"),
                        Telemetry())
    proc = factory.create(settings, config, Signal.LOGS, sink)
    await proc.start(FakeHost())
    for watcher in proc.watchers:
        await until(lambda w=watcher: w.synced.is_set())
    return proc, sink


async def _enrich(proc: Any, sink: SinkConsumer, resource: dict[str, Any]) -> dict[str, Any]:
    builder = RequestBuilder(Signal.LOGS)
    builder.scope(resource).log_records.add().body.string_value = "hello"
    await proc.consume_logs(builder.batch())
    out = sink.batches[-1].message.resource_logs[0].resource.attributes
    return Attributes(out).as_dict()


async def test_default_metadata_by_pod_ip_with_deployment_from_the_replicaset(
        api: FakeKubeAPI, tmp_path: Path) -> None:
    proc, sink = await _processor(api, tmp_path)
    got = await _enrich(proc, sink, {"k8s.pod.ip": "10.1.2.3"})
    assert got == {"k8s.pod.ip": "10.1.2.3", "k8s.pod.name": "web-7d9f-abcde",
                   "k8s.namespace.name": "shop", "k8s.pod.uid": "pod-1",
                   "k8s.pod.start_time": "2026-12-01T10:00:00Z",
                   "k8s.deployment.name": "web", "k8s.node.name": "node-a"}
    assert await _enrich(proc, sink, {"k8s.pod.ip": "10.9.9.9"}) == {"k8s.pod.ip": "10.9.9.9"}
    assert [w.spec.path for w in proc.watchers] == [PODS, RS]
    await proc.shutdown()


async def test_association_rules_containers_labels_and_annotations(
        api: FakeKubeAPI, tmp_path: Path) -> None:
    proc, sink = await _processor(api, tmp_path, extract={
        "metadata": ["k8s.pod.name", "k8s.replicaset.name", "container.image.name",
                     "container.image.tag", "container.id"],
        "labels": [{"tag_name": "component", "key": "app.kubernetes.io/component"},
                   {"key_regex": "^ti(.*)$", "tag_name": "ns.$1", "from": "namespace"}],
        "annotations": [{"key": "team"}]},
        pod_association=[{"sources": [{"from": "resource_attribute", "name": "k8s.pod.name"},
                                      {"from": "resource_attribute",
                                       "name": "k8s.namespace.name"}]}])
    got = await _enrich(proc, sink, {"k8s.pod.name": "web-7d9f-abcde",
                                     "k8s.namespace.name": "shop",
                                     "k8s.container.name": "app",
                                     "component": "kept-as-sent"})
    assert got == {"k8s.pod.name": "web-7d9f-abcde", "k8s.namespace.name": "shop",
                   "k8s.container.name": "app", "component": "kept-as-sent",
                   "k8s.replicaset.name": "web-7d9f", "container.image.name": "ghcr.io/acme/web",
                   "container.image.tag": "1.4.2", "container.id": "c0ffee",
                   "ns.er": "gold", "k8s.pod.annotations.team": "checkout"}
    # the IP alone is not a configured rule
    assert await _enrich(proc, sink, {"k8s.pod.ip": "10.1.2.3"}) == {"k8s.pod.ip": "10.1.2.3"}
    await proc.shutdown()


async def test_follows_pod_changes_and_deletions(api: FakeKubeAPI, tmp_path: Path) -> None:
    proc, sink = await _processor(api, tmp_path)
    moved = api.get(PODS, "pod-1")
    moved["status"]["podIP"] = "10.1.2.4"
    await api.modify(PODS, moved)
    await until(lambda: proc.table.find(("k8s.pod.ip",), ("10.1.2.4",)) is not None)
    assert proc.table.find(("k8s.pod.ip",), ("10.1.2.3",)) is None
    got = await _enrich(proc, sink, {"k8s.pod.uid": "pod-1"})
    assert got["k8s.pod.name"] == "web-7d9f-abcde"
    await api.delete(PODS, "pod-1")
    await until(lambda: len(proc.table) == 0)
    assert await _enrich(proc, sink, {"k8s.pod.uid": "pod-1"}) == {"k8s.pod.uid": "pod-1"}
    await proc.shutdown()


async def test_filters_become_selectors_on_the_pod_watch(
        api: FakeKubeAPI, tmp_path: Path) -> None:
    proc, sink = await _processor(api, tmp_path, filter={
        "node_from_env_var": "OTELPY_TEST_NODE_UNSET", "node": "node-b", "namespace": "shop",
        "labels": [{"key": "app", "value": "web"}]})
    listed = api.lists("/api/v1/namespaces/shop/pods")[0].query
    assert listed["fieldSelector"] == "spec.nodeName=node-b"
    assert listed["labelSelector"] == "app=web"
    assert len(proc.table) == 0  # the pod runs on node-a
    await proc.shutdown()
    cfg = K8sAttributesConfig.model_validate({"filter": {
        "node_from_env_var": "KUBE_NODE_NAME",
        "labels": [{"key": "a", "op": "exists"}, {"key": "b", "op": "does-not-exist"},
                   {"key": "c", "value": "x", "op": "not-equals"}],
        "fields": [{"key": "status.phase", "value": "Running", "op": "not-equals"}]}})
    spec = pod_watch(cfg, {"KUBE_NODE_NAME": "node-z"})
    assert spec.label_selector == "a,!b,c!=x"
    assert spec.field_selector == "status.phase!=Running,spec.nodeName=node-z"


async def test_passthrough_never_calls_the_api(api: FakeKubeAPI, tmp_path: Path) -> None:
    proc, sink = await _processor(api, tmp_path, passthrough=True)
    assert await _enrich(proc, sink, {"k8s.pod.ip": "10.1.2.3"}) == {"k8s.pod.ip": "10.1.2.3"}
    assert api.requests == []
    await proc.shutdown()


@pytest.mark.parametrize(("cfg", "problem"), [
    ({"extract": {"metadata": ["k8s.pod.nam"]}}, 'extract.metadata: unknown field "k8s.pod.nam"'),
    ({"extract": {"labels": [{"tag_name": "x"}]}},
     "extract.labels[0]: set exactly one of key and key_regex"),
    ({"extract": {"annotations": [{"key_regex": "("}]}}, "extract.annotations[0].key_regex"),
    ({"pod_association": [{"sources": [{"from": "resource_attribute"}]}]},
     "pod_association[0].sources[0]: name is required"),
], ids=["metadata", "key-or-regex", "bad-regex", "association-name"])
def test_validation(cfg: dict[str, Any], problem: str) -> None:
    problems = K8sAttributesConfig.model_validate(cfg).validate_config()
    assert len(problems) == 1 and problems[0].startswith(problem)

"""k8s_cluster against the fake API server (kubeconfig, bearer token): every kind is listed
then watched; each collection_interval one snapshot of every cached object goes out; a watch
event changes the next snapshot; a 410 Gone relist neither duplicates nor loses objects."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from otelpy.component import ComponentID, Kind, Settings, Signal
from otelpy.pdata import Batch, items
from otelpy.receivers.k8s_cluster import K8sClusterConfig, factory
from otelpy.receivers.k8s_cluster.receiver import K8sClusterReceiver
from otelpy.telemetry import Telemetry
from otelpy.testing.clock import FakeClock
from otelpy.testing.k8sapi import FakeKubeAPI, write_kubeconfig
from otelpy.testing.polling import until
from otelpy.testing.sink import FakeHost, SinkConsumer

PODS, DEPLOYMENTS, JOBS = "/api/v1/pods", "/apis/apps/v1/deployments", "/apis/batch/v1/jobs"
NODES = "/api/v1/nodes"
ALL_PATHS = ["/api/v1/nodes", "/api/v1/namespaces", PODS, "/api/v1/replicationcontrollers",
             "/api/v1/resourcequotas", DEPLOYMENTS, "/apis/apps/v1/replicasets",
             "/apis/apps/v1/statefulsets", "/apis/apps/v1/daemonsets", JOBS,
             "/apis/batch/v1/cronjobs", "/apis/autoscaling/v2/horizontalpodautoscalers"]


class Run:
    def __init__(self, receiver: K8sClusterReceiver, sink: SinkConsumer,
                 clock: FakeClock) -> None:
        self.receiver, self.sink, self.clock = receiver, sink, clock

    async def snapshot(self) -> dict[tuple[str, str], Any]:
        """Advance one collection_interval; the snapshot sent, by (resource, metric)."""
        before = len(self.sink.batches)
        await self.clock.advance(10)
        await until(lambda: len(self.sink.batches) > before, what="a snapshot")
        return flatten(self.sink.batches[-1])

    async def advance_until(self, predicate: Callable[[], object], what: str) -> None:
        """Move time in small steps (watch backoffs sleep on the clock) until it holds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 20
        while not predicate():
            assert loop.time() < deadline, f"timed out waiting for {what}"
            await self.clock.advance(0.25)
            await asyncio.sleep(0.01)


def resource_key(attrs: dict[str, str]) -> str:
    return "/".join(v for k, v in attrs.items()
                    if k.endswith(".name") and k != "container.image.name")


def flatten(batch: Batch) -> dict[tuple[str, str], Any]:
    out: dict[tuple[str, str], Any] = {}
    for item in items.data_points(batch.message):
        resource = {kv.key: kv.value.string_value for kv in item.resource.resource.attributes}
        name = item.metric.name + "".join(
            f"[{kv.value.string_value}]" for kv in item.point.attributes)
        key = (resource_key(resource), name)
        assert key not in out, f"{key} twice in one snapshot"
        value = item.point.as_double if item.point.HasField("as_double") else item.point.as_int
        out[key] = value
    return out


def resources(batch: Batch) -> list[dict[str, str]]:
    return [{kv.key: kv.value.string_value for kv in r.resource.attributes}
            for r in batch.message.resource_metrics]


@pytest.fixture
async def receivers() -> AsyncIterator[list[K8sClusterReceiver]]:
    started: list[K8sClusterReceiver] = []
    yield started
    for receiver in started:
        await receiver.shutdown()


async def start(api: FakeKubeAPI, tmp_path: Path, started: list[K8sClusterReceiver],
                **extra: Any) -> Run:
    url = await api.start()
    cfg = K8sClusterConfig.model_validate({
        "auth_type": "kubeConfig", "kubeconfig": str(write_kubeconfig(tmp_path, url)),
        "collection_interval": "10s", **extra})
    sink, clock = SinkConsumer(), FakeClock()
    settings = Settings(ComponentID("k8s_cluster"), Kind.RECEIVER, logging.getLogger("t"),
                        Telemetry(), clock)
    receiver = factory.create(settings, cfg, {Signal.METRICS: sink})
    started.append(receiver)
    await receiver.start(FakeHost())
    await until(lambda: all(w.reconnects >= 1 for _, w in receiver.watchers),
                what="every kind listed and watched")
    return Run(receiver, sink, clock)


async def test_snapshot_of_a_cluster(api: FakeKubeAPI, tmp_path: Path,
        receivers: list[K8sClusterReceiver]) -> None:
    run = await start(api, tmp_path, receivers, allocatable_types_to_report=["cpu", "memory"])
    assert sorted(w.spec.path for _, w in run.receiver.watchers) == sorted(ALL_PATHS)
    for path in ALL_PATHS:  # listed once (paged), then watched from the list's version
        (listed,) = api.lists(path)
        assert listed.query["limit"] == "500"
        assert listed.authorization == "Bearer test-token"
        (watch,) = api.watches(path)
        assert watch.query["resourceVersion"] == str(api.version)
    await run.clock.advance(9.9)
    assert run.sink.batches == []  # the first snapshot comes after one interval
    got = await run.snapshot()
    shop = "shop/node-a/web-7d4b9c-x2k4p"
    assert got[("shop/web", "k8s.deployment.desired")] == 3
    assert got[("shop/web", "k8s.deployment.available")] == 2
    assert got[("shop/node-b/worker-5c8f-9zz/worker", "k8s.container.restarts")] == 7
    assert got[("shop/node-b/worker-5c8f-9zz/worker", "k8s.container.ready")] == 0
    assert got[(f"{shop}/web", "k8s.container.cpu_limit")] == 1.0
    assert got[(f"{shop}/web", "k8s.container.memory_request")] == 128 * 2**20
    assert got[(shop, "k8s.pod.phase")] == 2
    assert got[("default//pending-1", "k8s.pod.phase")] == 1
    assert got[("node-a", "k8s.node.condition_ready")] == 1
    assert got[("node-b", "k8s.node.condition_ready")] == 0
    assert got[("node-a", "k8s.node.allocatable_cpu")] == 3.92
    assert got[("node-b", "k8s.node.allocatable_memory")] == 8 * 2**30
    assert got[("shop/migrate-29301", "k8s.job.desired_successful_pods")] == 5
    assert got[("shop/migrate-29301", "k8s.job.active_pods")] == 2
    assert got[("shop/report", "k8s.cronjob.active_jobs")] == 1
    assert got[("old", "k8s.namespace.phase")] == 0
    assert got[("shop/db", "k8s.statefulset.ready_pods")] == 2
    assert got[("otelpy/otelpy-agent", "k8s.daemonset.ready_nodes")] == 1
    assert got[("shop/web", "k8s.hpa.desired_replicas")] == 4
    assert got[("shop/shop-quota", "k8s.resource_quota.used[requests.cpu]")] == 350
    # off by default: k8s.pod.status_reason, k8s.node.condition; qos_class, kubelet version
    assert not [k for k in got if k[1].startswith(("k8s.pod.status_reason",
                                                   "k8s.node.condition["))]
    batch = run.sink.batches[-1]
    container = next(r for r in resources(batch) if r.get("k8s.container.name") == "web")
    assert container == {"k8s.namespace.name": "shop", "k8s.node.name": "node-a",
                         "k8s.pod.name": "web-7d4b9c-x2k4p", "k8s.pod.uid": "p-web",
                         "container.id": "0a1b2c3d4e5f", "k8s.container.name": "web",
                         "container.image.name": "ghcr.io/acme/web",
                         "container.image.tag": "1.4.2"}
    # os.*, container.runtime*, k8s.kubelet.version: off by default, as in the Collector
    assert [r for r in resources(batch) if r.get("k8s.node.uid") == "n-a"] == [
        {"k8s.node.name": "node-a", "k8s.node.uid": "n-a"}]
    metric = next(m.metric for m in items.metrics(batch.message)
                  if m.metric.name == "k8s.container.restarts")
    assert (metric.unit, metric.WhichOneof("data")) == ("{restart}", "gauge")
    scope = batch.message.resource_metrics[0].scope_metrics[0].scope
    assert scope.name.endswith("/receiver/k8sclusterreceiver")
    assert (await run.snapshot()) == got  # nothing changed: the same snapshot again


async def test_watch_events_change_the_next_snapshot(
        api: FakeKubeAPI, tmp_path: Path, receivers: list[K8sClusterReceiver]) -> None:
    run = await start(api, tmp_path, receivers)
    await run.snapshot()
    deployment = api.get(DEPLOYMENTS, "d-web")
    deployment["status"]["availableReplicas"] = 3
    await api.modify(DEPLOYMENTS, deployment)
    node = api.get(NODES, "n-b")
    node["status"]["conditions"][1]["status"] = "True"
    await api.modify(NODES, node)
    await api.delete(PODS, "p-pending")
    watchers = {w.spec.path: w for _, w in run.receiver.watchers}
    await until(lambda: watchers[PODS].cache.get("p-pending") is None
                and watchers[NODES].resource_version == str(api.version - 1))
    got = await run.snapshot()
    assert got[("shop/web", "k8s.deployment.available")] == 3
    assert got[("node-b", "k8s.node.condition_ready")] == 1
    assert not [k for k in got if "pending-1" in k[0]]
    assert all(len(api.lists(p)) == 1 for p in ALL_PATHS)  # no relist was needed


async def test_gone_relist_neither_duplicates_nor_loses(
        api: FakeKubeAPI, tmp_path: Path, receivers: list[K8sClusterReceiver]) -> None:
    run = await start(api, tmp_path, receivers)
    before = await run.snapshot()
    watchers = [w for _, w in run.receiver.watchers]
    await api.drop_watches()  # streams that delivered nothing: each reconnects after a backoff
    await until(lambda: run.clock.sleepers == len(watchers) + 1, what="watchers backing off")
    # while disconnected: changes the watches will never see, then the history is compacted
    deployment = api.get(DEPLOYMENTS, "d-web")
    deployment["status"]["availableReplicas"] = 1
    await api.modify(DEPLOYMENTS, deployment)
    await api.delete(PODS, "p-worker")
    await api.add(JOBS, {"metadata": {"name": "backfill", "namespace": "shop", "uid": "j-b"},
                         "spec": {"completions": 1, "parallelism": 1},
                         "status": {"active": 1}})
    api.compact()
    await run.advance_until(lambda: all(w.relists == 1 for w in watchers),
                            "every watch answered 410 Gone and relisted")
    assert all(len(api.lists(p)) == 2 for p in ALL_PATHS)
    got = await run.snapshot()  # flatten() fails on any metric twice for one resource
    assert got[("shop/web", "k8s.deployment.available")] == 1
    assert got[("shop/backfill", "k8s.job.active_pods")] == 1
    assert not [k for k in got if "worker-5c8f-9zz" in k[0]]
    lost = {k for k in before if "worker-5c8f-9zz" not in k[0]} - set(got)
    assert lost == set()
    uids = [r.get("k8s.pod.uid") for r in resources(run.sink.batches[-1])
            if "k8s.pod.uid" in r and "k8s.container.name" not in r]
    assert sorted(uids) == ["p-pending", "p-web"]


async def test_namespaces_and_toggles(api: FakeKubeAPI, tmp_path: Path,
        receivers: list[K8sClusterReceiver]) -> None:
    run = await start(api, tmp_path, receivers, namespaces=["shop"],
                      node_conditions_to_report=[],
                      metrics={"k8s.pod.phase": {"enabled": False},
                               "k8s.pod.status_reason": {"enabled": True}},
                      resource_attributes={"k8s.pod.uid": {"enabled": False},
                                           "k8s.pod.qos_class": {"enabled": True}})
    paths = sorted(w.spec.path for _, w in run.receiver.watchers)
    assert "/api/v1/namespaces/shop/pods" in paths
    assert "/apis/apps/v1/namespaces/shop/deployments" in paths
    assert len(paths) == len(ALL_PATHS) - 2  # no nodes, no namespaces: cluster-scoped
    got = await run.snapshot()
    assert {k[0].split("/")[0] for k in got} == {"shop"}
    assert got[("shop/node-a/web-7d4b9c-x2k4p", "k8s.pod.status_reason")] == 6
    assert not [k for k in got if k[1] == "k8s.pod.phase"]
    pod = next(r for r in resources(run.sink.batches[-1]) if r.get("k8s.pod.name") ==
               "web-7d4b9c-x2k4p" and "k8s.container.name" not in r)
    assert pod == {"k8s.namespace.name": "shop", "k8s.node.name": "node-a",
                   "k8s.pod.name": "web-7d4b9c-x2k4p", "k8s.pod.qos_class": "Burstable"}


async def test_refused_credentials_send_nothing_and_keep_trying(tmp_path: Path) -> None:
    api = FakeKubeAPI(token="another-token")
    api.collection(PODS, "Pod", "v1")
    url = await api.start()
    cfg = K8sClusterConfig.model_validate({
        "auth_type": "kubeConfig", "kubeconfig": str(write_kubeconfig(tmp_path, url))})
    sink, clock = SinkConsumer(), FakeClock()
    settings = Settings(ComponentID("k8s_cluster"), Kind.RECEIVER, logging.getLogger("t"),
                        Telemetry(), clock)
    receiver = factory.create(settings, cfg, {Signal.METRICS: sink})
    await receiver.start(FakeHost())
    run = Run(receiver, sink, clock)
    await run.advance_until(lambda: len(api.lists(PODS)) >= 3, "retries after 401")
    assert sink.batches == []
    assert all(w.errors >= 1 and not w.synced.is_set() for _, w in receiver.watchers)
    await receiver.shutdown()
    await api.stop()


async def test_objects_beyond_max_objects_are_left_out_with_a_warning(
        api: FakeKubeAPI, tmp_path: Path, receivers: list[K8sClusterReceiver],
        caplog: pytest.LogCaptureFixture) -> None:
    run = await start(api, tmp_path, receivers, max_objects=2)
    with caplog.at_level(logging.WARNING, logger="t"):
        got = await run.snapshot()
    assert len({k[0] for k in got if k[1] == "k8s.pod.phase"}) == 2  # of 3 pods
    assert len({k[0] for k in got if k[1] == "k8s.namespace.phase"}) == 2  # of 3
    assert [r.message for r in caplog.records if "max_objects" in r.message] == [
        "receiver k8s_cluster: 2 objects left out: a kind has more than max_objects (2)"]

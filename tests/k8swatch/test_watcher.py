"""The shared watch engine against the fake API server: list, watch, resume, 410 relist."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from otelpy.clock import SYSTEM_CLOCK
from otelpy.k8swatch import ApiConnection, JSONObject, K8sAPIConfig, Watcher, WatchSpec
from otelpy.testing.k8sapi import FakeKubeAPI, write_kubeconfig
from otelpy.testing.polling import until

PODS = "/api/v1/pods"


def pod(name: str, ns: str = "default", node: str = "node-1") -> JSONObject:
    return {"metadata": {"name": name, "namespace": ns, "uid": f"uid-{name}",
                         "labels": {"app": name}},
            "spec": {"nodeName": node}, "status": {"podIP": f"10.0.0.{len(name)}"}}


@pytest.fixture
async def api() -> AsyncIterator[FakeKubeAPI]:
    server = FakeKubeAPI(gone_as_event=True)
    server.collection(PODS, "Pod", "v1")
    yield server
    await server.stop()


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, str]] = []

    async def __call__(self, kind: str, obj: JSONObject) -> None:
        meta = obj["metadata"]
        self.events.append((kind, meta["name"], meta["resourceVersion"]))


async def _run(api: FakeKubeAPI, tmp_path: Path, spec: WatchSpec,
               ) -> tuple[Watcher, Recorder, asyncio.Task[None], ApiConnection]:
    url = await api.start()
    conn = ApiConnection(K8sAPIConfig(auth_type="kubeConfig",
                                      kubeconfig=str(write_kubeconfig(tmp_path, url))))
    await conn.open()
    rec = Recorder()
    watcher = Watcher(conn, spec, rec, SYSTEM_CLOCK, logging.getLogger("test"))
    task = asyncio.create_task(watcher.run())
    await asyncio.wait_for(watcher.synced.wait(), 30)
    return watcher, rec, task, conn


async def _stop(task: asyncio.Task[None], conn: ApiConnection) -> None:
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await conn.close()


async def test_lists_in_pages_then_watches_from_the_list_version(
        api: FakeKubeAPI, tmp_path: Path) -> None:
    for name in ("a", "bb", "ccc"):
        await api.add(PODS, pod(name))
    watcher, rec, task, conn = await _run(api, tmp_path, WatchSpec(PODS, page_size=2))
    assert [e[:2] for e in rec.events] == [("ADDED", "a"), ("ADDED", "bb"), ("ADDED", "ccc")]
    lists = api.lists(PODS)
    assert [r.query.get("continue") for r in lists] == [None, "2"]
    assert all(r.authorization == "Bearer test-token" for r in api.requests)
    await until(lambda: api.watches(PODS))
    first = api.watches(PODS)[0].query
    assert first["resourceVersion"] == "103" and first["allowWatchBookmarks"] == "true"
    changed = api.get(PODS, "uid-a")
    changed["metadata"]["labels"]["v"] = "2"
    await api.modify(PODS, changed)
    await api.delete(PODS, "uid-bb")
    await until(lambda: len(rec.events) == 5)
    assert rec.events[3:] == [("MODIFIED", "a", "104"), ("DELETED", "bb", "105")]
    assert len(watcher.cache) == 2 and watcher.resource_version == "105"
    await _stop(task, conn)


async def test_reconnect_resumes_from_the_last_version_and_bookmarks(
        api: FakeKubeAPI, tmp_path: Path) -> None:
    await api.add(PODS, pod("a"))
    watcher, rec, task, conn = await _run(api, tmp_path, WatchSpec(PODS))
    await until(lambda: api.watches(PODS))
    await api.add(PODS, pod("bb"))
    await until(lambda: len(rec.events) == 2)
    await api.bookmark()  # an unrelated change elsewhere moves the version on
    await until(lambda: watcher.resource_version == "102")
    await api.drop_watches()
    await until(lambda: len(api.watches(PODS)) == 2)
    assert api.watches(PODS)[1].query["resourceVersion"] == "102"
    await api.add(PODS, pod("ccc"))
    await until(lambda: len(rec.events) == 3)
    assert [e[:2] for e in rec.events] == [("ADDED", "a"), ("ADDED", "bb"), ("ADDED", "ccc")]
    assert len(api.lists(PODS)) == 1
    await _stop(task, conn)


@pytest.mark.parametrize("as_event", [True, False], ids=["error-event", "http-410"])
async def test_gone_relists_and_hands_on_only_what_changed(
        api: FakeKubeAPI, tmp_path: Path, as_event: bool) -> None:
    api.gone_as_event = as_event
    for name in ("a", "bb", "ccc"):
        await api.add(PODS, pod(name))
    watcher, rec, task, conn = await _run(api, tmp_path, WatchSpec(PODS))
    await until(lambda: api.watches(PODS))
    await api.drop_watches()
    # while nobody watches: one change, one delete, one add; then history is compacted
    changed = api.get(PODS, "uid-a")
    changed["spec"]["nodeName"] = "node-2"
    await api.modify(PODS, changed)
    await api.delete(PODS, "uid-bb")
    await api.add(PODS, pod("dddd"))
    api.compact()
    await until(lambda: len(rec.events) == 6)
    # the synthesized DELETED carries the last state the watcher saw
    assert sorted(rec.events[3:]) == [("ADDED", "dddd", "106"), ("DELETED", "bb", "102"),
                                      ("MODIFIED", "a", "104")]
    assert watcher.relists == 1 and len(api.lists(PODS)) == 2
    await until(lambda: len(api.watches(PODS)) >= 3)
    assert api.watches(PODS)[-1].query["resourceVersion"] == "106"
    await api.add(PODS, pod("eeeee"))
    await until(lambda: len(rec.events) == 7)
    assert rec.events[-1][:2] == ("ADDED", "eeeee")
    await _stop(task, conn)


async def test_cache_is_bounded_and_counts_what_it_refuses(
        api: FakeKubeAPI, tmp_path: Path) -> None:
    for name in ("a", "bb", "ccc"):
        await api.add(PODS, pod(name))
    watcher, rec, task, conn = await _run(api, tmp_path, WatchSpec(PODS, max_objects=2))
    assert len(watcher.cache) == 2 and watcher.cache.refused == 1
    assert [e[1] for e in rec.events] == ["a", "bb"]
    await _stop(task, conn)


async def test_selectors_are_sent_and_honoured(api: FakeKubeAPI, tmp_path: Path) -> None:
    await api.add(PODS, pod("a", node="node-1"))
    await api.add(PODS, pod("bb", node="node-2"))
    spec = WatchSpec(PODS, field_selector="spec.nodeName=node-2", label_selector="app=bb")
    watcher, rec, task, conn = await _run(api, tmp_path, spec)
    assert [e[1] for e in rec.events] == ["bb"]
    await until(lambda: api.watches(PODS))
    assert api.watches(PODS)[0].query["fieldSelector"] == "spec.nodeName=node-2"
    assert api.lists(PODS)[0].query["labelSelector"] == "app=bb"
    await _stop(task, conn)
